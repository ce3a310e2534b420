package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.flush;
import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Racer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link AsyncJob#await(CompletionStage)} on the job loops and on a user's thread-confined executor:
 * values, failures unwrapped, a cancel while waiting (the future is cancelled, the job sees one
 * {@link CancellationException}), a thousand awaits in one job, an await racing a cancel, the ctx's
 * own fds at the same time, no fd opened; and outside a job, in a raw {@code start} without a
 * callback, with pausing blocked and with a pause the JVM refuses.
 */
@Timeout(120)
class AwaitTest {
    /** Where a launched job runs. */
    enum Where { LOOP, EXECUTOR }

    private String name;
    private JobLoopGroup group;
    private JobOptions options;
    private ExecutorService executor;
    private Thread executorThread;

    @BeforeEach
    void start() throws Exception {
        name = CoreTestSupport.uniqueName("await");
        group = JobLoopGroup.builder().threads(1).name(name).build();
        options = JobOptions.builder().loops(group).build();
        executor = Executors.newSingleThreadExecutor(r -> new Thread(r, name + "-exec"));
        executorThread = executor.submit(Thread::currentThread).get();
    }

    @AfterEach
    void stop() throws InterruptedException {
        group.close();
        executor.shutdown();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    private <R> JobTicket launch(Where where, JobFunction<R> func, JobObserver<R> obs) {
        return where == Where.LOOP ? AsyncJobs.launch(func, options, obs)
                : AsyncJobs.launch(func, JobOptions.defaults(), executor, obs);
    }

    private Thread threadOf(Where where) {
        return where == Where.LOOP ? group.loop(0).thread() : executorThread;
    }

    /** Waits until whatever was queued on the job's thread before has run. */
    private void settle(Where where) {
        if (where == Where.LOOP) {
            flush(group.loop(0));
        } else {
            try {
                executor.submit(() -> { }).get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    private <T> T onExecutor(java.util.concurrent.Callable<T> call) {
        try {
            return executor.submit(call).get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- values and failures

    @ParameterizedTest
    @EnumSource(Where.class)
    void aJobPausesUntilTheFutureCompletesAndGetsItsValueWithoutAnyFd(Where where) {
        int baseline = CoreTestSupport.fdBaseline();
        CompletableFuture<String> f = new CompletableFuture<>();
        CountDownLatch awaiting = new CountDownLatch(1);
        RecordingObserver<String> obs = new RecordingObserver<>();
        launch(where, () -> {
            awaiting.countDown();
            return "got " + AsyncJob.await(f);
        }, obs);
        CoreTestSupport.await(awaiting, "the job to await");
        settle(where);
        assertThat(obs.isCalled()).as("paused until the future completes").isFalse();
        assertThat(Fds.count()).as("no fd for an await; open: %s", Fds.targets())
                .isLessThanOrEqualTo(baseline);
        new Thread(() -> f.complete("v")).start(); // a client library's thread
        RecordingObserver.Call c = obs.await();
        settle(where);
        assertThat(obs.only().kind()).isEqualTo("success");
        assertThat(c.value()).isEqualTo("got v");
        assertThat(c.thread()).isSameAs(threadOf(where));
        assertThat(group.liveJobs()).isZero();
        CoreTestSupport.assertFdsBackTo(baseline);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void failuresAreThrownUnwrappedCheckedUncheckedErrorsAndCompletionExceptions(Where where) {
        IOException checked = new IOException("checked");
        IllegalArgumentException unchecked = new IllegalArgumentException("unchecked");
        StackOverflowError error = new StackOverflowError("error");
        IOException wrapped = new IOException("wrapped");
        IOException upstream = new IOException("upstream of a dependent stage");
        List<Throwable> seen = new ArrayList<>();
        List<CompletableFuture<String>> fs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            fs.add(new CompletableFuture<>());
        }
        CompletableFuture<String> source = new CompletableFuture<>();
        CompletionStage<String> dependent = source.thenApply(s -> s + "!"); // fails with a CompletionException
        AtomicInteger awaiting = new AtomicInteger();
        RecordingObserver<String> obs = new RecordingObserver<>();
        launch(where, () -> {
            for (CompletableFuture<String> f : fs) {
                try {
                    awaiting.incrementAndGet();
                    AsyncJob.await(f);
                } catch (Throwable t) {
                    seen.add(t);
                }
            }
            awaiting.incrementAndGet();
            try {
                AsyncJob.await(dependent);
            } catch (Throwable t) {
                seen.add(t);
            }
            return "done";
        }, obs);
        CoreTestSupport.spinUntil("await 1", () -> awaiting.get() == 1);
        fs.get(0).completeExceptionally(checked);
        CoreTestSupport.spinUntil("await 2", () -> awaiting.get() == 2);
        fs.get(1).completeExceptionally(unchecked);
        CoreTestSupport.spinUntil("await 3", () -> awaiting.get() == 3);
        fs.get(2).completeExceptionally(error);
        CoreTestSupport.spinUntil("await 4", () -> awaiting.get() == 4);
        fs.get(3).completeExceptionally(new CompletionException(wrapped));
        CoreTestSupport.spinUntil("await 5", () -> awaiting.get() == 5);
        fs.get(4).cancel(false); // cancelled by someone else: its CancellationException, as join() throws
        CoreTestSupport.spinUntil("await 6", () -> awaiting.get() == 6);
        source.completeExceptionally(upstream);
        assertThat(obs.await().value()).isEqualTo("done");
        assertThat(seen).hasSize(6);
        assertThat(seen.get(0)).isSameAs(checked);
        assertThat(seen.get(1)).isSameAs(unchecked);
        assertThat(seen.get(2)).isSameAs(error);
        assertThat(seen.get(3)).isSameAs(wrapped);
        assertThat(seen.get(4)).isInstanceOf(CancellationException.class);
        assertThat(seen.get(5)).isSameAs(upstream);
    }

    @Test
    void aFailedAwaitIsTheJobsFailureWhenNotCaught() {
        IOException boom = new IOException("boom");
        CompletableFuture<String> f = new CompletableFuture<>();
        RecordingObserver<String> obs = new RecordingObserver<>();
        launch(Where.LOOP, () -> AsyncJob.await(f), obs);
        flush(group.loop(0));
        f.completeExceptionally(boom);
        RecordingObserver.Call c = obs.await();
        assertThat(c.kind()).isEqualTo("failure");
        assertThat(c.error()).isSameAs(boom);
    }

    @Test
    void aStageThatIsNotACompletableFutureAndOneAlreadyDoneWork() {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        RecordingObserver<Integer> obs = new RecordingObserver<>();
        launch(Where.LOOP, () -> AsyncJob.await(CompletableFuture.completedFuture(1))
                + AsyncJob.await(f.minimalCompletionStage())
                + AsyncJob.await(CompletableFuture.completedStage(100)), obs);
        flush(group.loop(0));
        assertThat(obs.isCalled()).isFalse();
        f.complete(10);
        assertThat(obs.await().value()).isEqualTo(111);
    }

    // ---------------------------------------------------------------- cancel

    @ParameterizedTest
    @EnumSource(Where.class)
    void aCancelWhileWaitingCancelsTheFutureAndEndsTheJobWithOneCancellationException(Where where) {
        try (HookRecorder hooks = new HookRecorder()) {
            CompletableFuture<String> f = new CompletableFuture<>();
            AtomicReference<Throwable> inJob = new AtomicReference<>();
            CountDownLatch awaiting = new CountDownLatch(1);
            RecordingObserver<String> obs = new RecordingObserver<>();
            JobTicket t = launch(where, () -> {
                awaiting.countDown();
                try {
                    return AsyncJob.await(f);
                } catch (Throwable e) {
                    inJob.set(e);
                    throw e;
                }
            }, obs);
            CoreTestSupport.await(awaiting, "the job to await");
            settle(where);
            t.cancel();
            RecordingObserver.Call c = obs.await();
            settle(where);
            assertThat(obs.only().kind()).isEqualTo("dropped");
            assertThat(c.error()).isInstanceOf(CancellationException.class).isSameAs(inJob.get());
            assertThat(f.isCancelled()).as("the awaited future is cancelled").isTrue();
            assertThat(c.thread()).isSameAs(threadOf(where));
            assertThat(t.isDone()).isTrue();
            assertThat(group.liveJobs()).isZero();
            assertThat(hooks.errors).isEmpty();
        }
    }

    @Test
    void anAwaitInAJobCancelledBeforeItThrowsAtOnceButADoneStageStillGivesItsValue() {
        onNewThread(() -> {
            CompletableFuture<String> pending = new CompletableFuture<>();
            List<String> trace = new ArrayList<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    h.cancel(); // while running
                    trace.add(AsyncJob.await(CompletableFuture.completedFuture("done stage")));
                    try {
                        AsyncJob.await(pending);
                    } catch (CancellationException e) {
                        trace.add("cancelled");
                    }
                    return "end";
                })).isEqualTo(StartStatus.FINISH);
            }
            assertThat(trace).containsExactly("done stage", "cancelled");
            assertThat(pending.isCancelled()).isTrue();
        });
    }

    /**
     * The future completing and the job being cancelled at the same instant, 10,000 times: the
     * job gets exactly one outcome from its await, and it agrees with the future's: the value iff
     * the future kept it, a CancellationException iff the future was cancelled. The observer is
     * told once; nothing stays live, no fd is left open.
     */
    @ParameterizedTest
    @EnumSource(Where.class)
    void anAwaitRacingACancelHasExactlyOneOutcome(Where where) {
        int rounds = where == Where.LOOP ? 10_000 : 2_000;
        int baseline = CoreTestSupport.fdBaseline();
        int[] kinds = new int[3];
        try (Racer racer = new Racer(1, name + "-racer"); HookRecorder hooks = new HookRecorder()) {
            for (int i = 0; i < rounds; i++) {
                int round = i;
                CompletableFuture<Integer> f = new CompletableFuture<>();
                AtomicReference<String> inJob = new AtomicReference<>();
                AtomicInteger outcomes = new AtomicInteger();
                CountDownLatch awaiting = new CountDownLatch(1);
                RecordingObserver<Integer> obs = new RecordingObserver<>();
                JobTicket t = launch(where, () -> {
                    awaiting.countDown();
                    try {
                        int v = AsyncJob.await(f);
                        outcomes.incrementAndGet();
                        inJob.set("value " + v);
                        return v;
                    } catch (CancellationException e) {
                        outcomes.incrementAndGet();
                        inJob.set("cancelled");
                        throw e;
                    }
                }, obs);
                CoreTestSupport.await(awaiting, "round " + round + ": the job to await");
                if ((round & 1) == 0) { // each side starts on either thread
                    racer.race(() -> f.complete(round), t::cancel);
                } else {
                    racer.race(t::cancel, () -> f.complete(round));
                }
                RecordingObserver.Call c = obs.await();
                CoreTestSupport.spinUntil("round " + round + ": ticket done", t::isDone);
                assertThat(obs.calls).as("round %d: observer calls", round).hasSize(1);
                assertThat(outcomes).as("round %d: outcomes of the await", round).hasValue(1);
                if (f.isCancelled()) {
                    assertThat(inJob.get()).as("round %d", round).isEqualTo("cancelled");
                    assertThat(c.kind()).isEqualTo("dropped");
                    assertThat(c.error()).isInstanceOf(CancellationException.class);
                    kinds[0]++;
                } else {
                    assertThat(inJob.get()).as("round %d", round).isEqualTo("value " + round);
                    assertThat(c.kind()).as("round %d", round).isIn("success", "dropped");
                    assertThat(c.value()).isEqualTo(round);
                    kinds[c.kind().equals("success") ? 1 : 2]++;
                }
            }
            settle(where);
            assertThat(hooks.errors).isEmpty();
        }
        assertThat(group.liveJobs()).isZero();
        if (where == Where.LOOP) {
            assertThat(CoreTestSupport.onLoop(group.loop(0), CoreTestSupport::jobsInUse)).as("slots freed").isZero();
        } else {
            assertThat(onExecutor(CoreTestSupport::jobsInUse)).as("slots freed").isZero();
        }
        CoreTestSupport.assertFdsBackTo(baseline);
        if (where == Where.EXECUTOR) {
            return; // its resume hops through an executor queue: the cancel may win every round
        }
        // both sides won some rounds, or the race did not race
        assertThat(kinds[0]).as("cancel won (cancelled, value kept, dropped) = %d/%d/%d", kinds[0], kinds[1], kinds[2])
                .isPositive();
        assertThat(kinds[1] + kinds[2]).as("value won (cancelled, value kept, dropped) = %d/%d/%d", kinds[0], kinds[1], kinds[2])
                .isPositive();
    }

    // ---------------------------------------------------------------- many awaits, fds, ctx's own fds

    @ParameterizedTest
    @EnumSource(Where.class)
    void aJobAwaitsAThousandFuturesInSequence(Where where) throws InterruptedException {
        int n = 1_000;
        BlockingQueue<CompletableFuture<Integer>> pending = new ArrayBlockingQueue<>(1);
        Thread completer = new Thread(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    pending.take().complete(i);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name + "-completer");
        completer.start();
        RecordingObserver<Long> obs = new RecordingObserver<>();
        launch(where, () -> {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                CompletableFuture<Integer> f = new CompletableFuture<>();
                pending.put(f);
                sum += AsyncJob.await(f);
            }
            return sum;
        }, obs);
        RecordingObserver.Call c = obs.await();
        completer.join(20_000);
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.value()).isEqualTo((long) n * (n - 1) / 2);
    }

    @Test
    void twoHundredJobsAwaitingAtOnceOpenNoFd() {
        int n = 200;
        int baseline = CoreTestSupport.fdBaseline();
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        List<RecordingObserver<Integer>> obs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            fs.add(f);
            RecordingObserver<Integer> o = new RecordingObserver<>();
            obs.add(o);
            launch(Where.LOOP, () -> AsyncJob.await(f) + AsyncJob.await(f.thenApply(v -> v * 0)), o);
        }
        CoreTestSupport.await("all jobs live", Duration.ofSeconds(20), () -> group.liveJobs() == n);
        flush(group.loop(0));
        assertThat(Fds.count()).as("fds with %d jobs paused in await; open: %s", n, Fds.targets())
                .isLessThanOrEqualTo(baseline);
        for (int i = 0; i < n; i++) {
            fs.get(i).complete(i);
        }
        for (int i = 0; i < n; i++) {
            assertThat(obs.get(i).await().value()).isEqualTo(i);
        }
        CoreTestSupport.assertFdsBackTo(baseline);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void theCtxsOwnFdFiringDuringAnAwaitPausesAgainAndStillWorksAfter(Where where) {
        WakeupFd own = WakeupFd.open();
        AtomicInteger cleanups = new AtomicInteger();
        CompletableFuture<String> f = new CompletableFuture<>();
        CountDownLatch awaiting = new CountDownLatch(1);
        AtomicInteger afterAwait = new AtomicInteger();
        AtomicInteger segments = new AtomicInteger();
        RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get) {
            @Override
            public AutoCloseable onSegmentStart() {
                segments.incrementAndGet();
                return null;
            }
        };
        launch(where, () -> {
            AsyncJob.current().waitCtx().setWaitFd("own", own.channel(), own, (c, k, ch, d) -> {
                cleanups.incrementAndGet();
                ((WakeupFd) d).close();
            });
            awaiting.countDown();
            String v = AsyncJob.await(f);
            afterAwait.incrementAndGet();
            do { // now wait on the ctx's own fd, as an engine would
                AsyncJob.pauseOrThrow();
            } while (!own.drain());
            return v + " then fd";
        }, obs);
        CoreTestSupport.await(awaiting, "the job to await");
        settle(where);
        int before = segments.get();
        own.signal(); // resumes the job: the future is not done, so it pauses again
        CoreTestSupport.await("the fd to resume the job", Duration.ofSeconds(10), () -> segments.get() > before);
        own.drain(); // a readable fd resumes the job at every pause, as in OpenSSL: the engine drains it
        settle(where);
        assertThat(afterAwait).as("a resume by another fd does not end the await").hasValue(0);
        assertThat(obs.isCalled()).isFalse();
        f.complete("value");
        CoreTestSupport.await("the job to return from await", Duration.ofSeconds(10), () -> afterAwait.get() == 1);
        settle(where);
        assertThat(obs.isCalled()).as("waiting on its own fd now").isFalse();
        own.signal();
        RecordingObserver.Call c = obs.await();
        assertThat(c.value()).isEqualTo("value then fd");
        assertThat(c.probe()).as("the ctx's cleanup ran once, before the observer").isEqualTo(1);
        assertThat(own.channel().isOpen()).isFalse();
    }

    // ---------------------------------------------------------------- outside a job, raw start

    @Test
    void outsideAJobAwaitBlocksTheCallerAndReturnsOrThrowsUnwrapped() throws Exception {
        assertThat(AsyncJob.await(CompletableFuture.completedFuture("done"))).isEqualTo("done");
        CompletableFuture<String> later = new CompletableFuture<>();
        CompletableFuture.runAsync(() -> later.complete("later"), CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
        assertThat(AsyncJob.await(later)).isEqualTo("later");
        IOException boom = new IOException("boom");
        assertThatThrownBy(() -> AsyncJob.await(CompletableFuture.failedFuture(boom))).isSameAs(boom);
        CompletableFuture<String> cancelled = new CompletableFuture<>();
        cancelled.cancel(false);
        assertThatThrownBy(() -> AsyncJob.await(cancelled)).isInstanceOf(CancellationException.class);
        CoreTestSupport.assertNpeNaming("stage", () -> AsyncJob.await(null));
    }

    @Test
    void outsideAJobAnInterruptEndsTheWait() {
        onNewThread(() -> {
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> AsyncJob.await(new CompletableFuture<>())).isInstanceOf(InterruptedException.class);
        });
    }

    @Test
    void withPausingBlockedAwaitWaitsOnTheThread() {
        onNewThread(() -> {
            CompletableFuture<String> f = new CompletableFuture<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                AtomicInteger wakes = new AtomicInteger();
                ctx.setCallback(arg -> wakes.incrementAndGet() > 0, null);
                CompletableFuture.runAsync(() -> f.complete("blocked"), CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.blockPause();
                    try {
                        return AsyncJob.await(f);
                    } finally {
                        AsyncJob.unblockPause();
                    }
                })).as("no pause: the job ran to its end").isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("blocked");
            }
        });
    }

    @Test
    void aRefusedPauseWaitsOnTheThread() throws Exception {
        if (!CoreTestSupport.continuationBackend()) {
            return; // a virtual thread parks under any frame: nothing refuses (Rule08's note)
        }
        java.lang.reflect.Method pin = Class.forName("jdk.internal.vm.Continuation").getMethod("pin");
        java.lang.reflect.Method unpin = Class.forName("jdk.internal.vm.Continuation").getMethod("unpin");
        onNewThread(() -> {
            CompletableFuture<String> f = new CompletableFuture<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                ctx.setCallback(arg -> true, null);
                CompletableFuture.runAsync(() -> f.complete("refused"), CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
                assertThat(AsyncJob.start(h, ctx, () -> {
                    pin.invoke(null);
                    try {
                        return AsyncJob.await(f);
                    } finally {
                        unpin.invoke(null);
                    }
                })).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isNull();
                assertThat(h.result()).isEqualTo("refused");
            }
        });
    }

    /**
     * A caller driving {@code start} itself with no ctx callback (OpenSSL's model): the await
     * shows up as one wait fd that becomes readable when the future completes, and is cleared and
     * closed once the job has it.
     */
    @Test
    void withoutACallbackTheAwaitSetsAWaitFdForTheCallersLoopAndClosesItAfter() {
        onNewThread(() -> {
            int baseline = CoreTestSupport.fdBaseline();
            CompletableFuture<String> f = new CompletableFuture<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx(); java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
                assertThat(AsyncJob.start(h, ctx, () -> AsyncJob.await(f) + " " + AsyncJob.await(f.thenApply(s -> "again"))))
                        .isEqualTo(StartStatus.PAUSE);
                List<java.nio.channels.SelectableChannel> fds = ctx.getAllFds();
                assertThat(fds).hasSize(1);
                java.nio.channels.SelectionKey key = fds.get(0).register(sel, java.nio.channels.SelectionKey.OP_READ);
                assertThat(sel.selectNow()).as("not readable before the future completes").isZero();
                f.complete("v");
                assertThat(sel.select(20_000)).as("readable once it completes").isEqualTo(1);
                key.cancel();
                sel.selectNow();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("v again");
                assertThat(ctx.getAllFds()).as("cleared after the await").isEmpty();
                assertThat(fds.get(0).isOpen()).as("closed after the await").isFalse();
            }
            CoreTestSupport.assertFdsBackTo(baseline);
        });
    }

    @Test
    void withoutACallbackACancelledAwaitThrowsAndAClosedCtxClosesItsFd() {
        onNewThread(() -> {
            int baseline = CoreTestSupport.fdBaseline();
            CompletableFuture<String> f = new CompletableFuture<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> AsyncJob.await(f))).isEqualTo(StartStatus.PAUSE);
                h.cancel();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isInstanceOf(CancellationException.class);
                assertThat(f.isCancelled()).isTrue();
                assertThat(ctx.getAllFds()).isEmpty();
            }
            // a job paused in await whose ctx is closed: the ctx's cleanup closes the await's fd
            CompletableFuture<String> g = new CompletableFuture<>();
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            assertThat(AsyncJob.start(h, ctx, () -> AsyncJob.await(g))).isEqualTo(StartStatus.PAUSE);
            java.nio.channels.SelectableChannel fd = ctx.getAllFds().get(0);
            ctx.close();
            assertThat(fd.isOpen()).isFalse();
            g.complete("late");
            assertThat(h.cancel()).isTrue();
            assertThat(AsyncJob.start(h, ctx, null)).as("the owner still finishes it").isEqualTo(StartStatus.FINISH);
            assertThat(h.result()).as("completed before the cancel was seen: its value stands").isEqualTo("late");
            assertThat(CoreTestSupport.jobsInUse()).isZero();
            CoreTestSupport.assertFdsBackTo(baseline);
        });
    }
}
