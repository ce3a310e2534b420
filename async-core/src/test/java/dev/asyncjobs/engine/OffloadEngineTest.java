package dev.asyncjobs.engine;

import static dev.asyncjobs.engine.OffloadEngineTestKit.awaitFds;
import static dev.asyncjobs.engine.OffloadEngineTestKit.driveWithCallback;
import static dev.asyncjobs.engine.OffloadEngineTestKit.driveWithSelect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.StartStatus;
import dev.asyncjobs.core.WaitFd;
import dev.asyncjobs.core.WaitStatus;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import java.nio.channels.SelectableChannel;
import java.security.SignatureException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine driven by hand with {@link AsyncJob#start}: both wake-up paths, errors, close. */
class OffloadEngineTest {
    private OffloadEngine engine;
    private final List<Throwable> hookErrors = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        AsyncHooks.setOnError(hookErrors::add);
        Fds.warmUpNio();
        engine = OffloadEngine.builder().threads(2).queueCapacity(8).name("test-engine").build();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        engine.close();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
        AsyncHooks.resetOnError();
        assertThat(hookErrors).isEmpty();
    }

    @Test
    void outsideAJobTheWorkRunsInTheCaller() throws Exception {
        Thread caller = Thread.currentThread();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        String v = engine.call(() -> {
            ranOn.set(Thread.currentThread());
            return "sync";
        });
        assertThat(v).isEqualTo("sync");
        assertThat(ranOn.get()).isSameAs(caller);
        SignatureException boom = new SignatureException("bad");
        assertThatThrownBy(() -> engine.call(() -> {
            throw boom;
        })).isSameAs(boom);
        assertThat(engine.queue().peak()).as("the queue is not involved outside a job").isZero();
    }

    @Test
    void nullWorkAndBadBuilderArgumentsAreRejected() {
        assertThatThrownBy(() -> engine.call(null)).isInstanceOf(NullPointerException.class).hasMessage("work");
        assertThatThrownBy(() -> OffloadEngine.builder().threads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OffloadEngine.builder().queueCapacity(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OffloadEngine.builder().name(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("name");
    }

    @Test
    void completionsAreHeldBackAboveAQuarterOfTheQueueButNoMoreThan16CallsPerDeviceThread() {
        assertThat(OffloadEngine.holdAbove(64 * 2, 2)).isEqualTo(32); // the old default: as before
        assertThat(OffloadEngine.holdAbove(256 * 2, 2)).isEqualTo(32); // the default: the same depth
        assertThat(OffloadEngine.holdAbove(1_024, 2)).isEqualTo(32);
        assertThat(OffloadEngine.holdAbove(16, 2)).isEqualTo(4); // a small queue: its quarter
        assertThat(OffloadEngine.holdAbove(4, 2)).isEqualTo(2); // at least one per device thread
    }

    @Test
    void deviceThreadsAreNamedDaemonsAndDefaultsFollowTheCores() throws InterruptedException {
        assertThat(Threads.named("test-engine-").size()).isEqualTo(2);
        for (Thread t : engine.deviceThreads()) {
            assertThat(t.isDaemon()).isTrue();
            assertThat(t.getName()).matches("test-engine-[01]");
        }
        OffloadEngine d = OffloadEngine.builder().build();
        try {
            int cores = Runtime.getRuntime().availableProcessors();
            assertThat(d.threads()).isEqualTo(cores);
            assertThat(d.queueCapacity()).isEqualTo(256 * cores);
            assertThat(d.name()).isEqualTo("asyncjobs-engine");
            assertThat(d.deviceThreads()[0].getName()).isEqualTo("asyncjobs-engine-0");
        } finally {
            d.close();
            assertThat(d.awaitTermination(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void fdPathOneWakeupFdPerCtxReusedAcrossCallsAndClosedByTheCleanup() {
        int baseline = Fds.count();
        AsyncWaitCtx ctx = new AsyncWaitCtx();
        List<SelectableChannel> seen = new ArrayList<>();
        AtomicReference<Thread> jobThread = new AtomicReference<>();
        List<Thread> workThreads = new ArrayList<>();
        JobHandle<Integer> h = driveWithSelect(ctx, () -> {
            int sum = 0;
            for (int i = 1; i <= 3; i++) {
                int k = i;
                sum += engine.call(() -> {
                    synchronized (workThreads) {
                        workThreads.add(Thread.currentThread());
                    }
                    return k * 10;
                });
                seen.addAll(ctx.getAllFds());
                WaitFd wf = ctx.getFd(engine.key());
                assertThat(wf).isNotNull();
                assertThat(wf.customData()).isInstanceOf(WakeupFd.class);
                assertThat(((WakeupFd) wf.customData()).channel()).isSameAs(wf.fd());
            }
            assertThat(ctx.getStatus()).as("the fd path leaves the status alone").isEqualTo(WaitStatus.UNSUPPORTED);
            return sum;
        }, null);
        assertThat(h.failure()).isNull();
        assertThat(h.result()).isEqualTo(60);
        assertThat(seen).hasSize(3).containsOnly(seen.get(0));
        assertThat(workThreads).allSatisfy(t -> assertThat(t.getName()).startsWith("test-engine-"));
        SelectableChannel ch = seen.get(0);
        assertThat(ch.isOpen()).isTrue();
        assertThat(Fds.count()).isEqualTo(baseline + 2);
        ctx.close();
        assertThat(ch.isOpen()).as("the ctx cleanup closes the engine's fd").isFalse();
        awaitFds(baseline);
    }

    @Test
    void callbackPathCallsTheCallbackFromTheDeviceAndSetsStatusOk() {
        int baseline = Fds.count();
        AtomicInteger wakes = new AtomicInteger();
        AtomicReference<WaitStatus> statusInJob = new AtomicReference<>();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<String> h = driveWithCallback(ctx, () -> {
                String a = engine.call(() -> "a");
                statusInJob.set(AsyncJob.current().waitCtx().getStatus());
                return a + engine.call(() -> "b");
            }, wakes);
            assertThat(h.result()).isEqualTo("ab");
            assertThat(wakes.get()).isEqualTo(2);
            assertThat(statusInJob.get()).isEqualTo(WaitStatus.OK);
            assertThat(ctx.getFd(engine.key())).isNull();
        }
        assertThat(Fds.count()).isEqualTo(baseline);
    }

    @Test
    void spuriousResumeOnTheFdPathPausesAgainAndReturnsTheRightValue() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger resumes = new AtomicInteger();
        AtomicReference<WakeupFd> engineFd = new AtomicReference<>();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            Thread early = new Thread(() -> {
                try {
                    started.await();
                    // wake the job twice while its work is still running; each time it must resume
                    // and pause again (a late signal of the warm-up call may add a resume: fine)
                    for (int i = 0; i < 2; i++) {
                        int before = resumes.get();
                        engineFd.get().signal();
                        OffloadEngineTestKit.await("a spurious resume",
                                () -> resumes.get() > before && !engineFd.get().isSignalled());
                    }
                    release.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            early.start();
            // a work that blocks until released, woken early twice meanwhile
            JobHandle<String> h2 = driveWithSelect(ctx, () -> {
                engine.call(() -> "warm-up"); // makes the engine's fd on this ctx
                engineFd.set((WakeupFd) ctx.getFd(engine.key()).customData());
                resumes.set(0);
                return engine.call(() -> {
                    started.countDown();
                    assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                    return "right";
                });
            }, resumes);
            early.join();
            assertThat(h2.failure()).isNull();
            assertThat(h2.result()).isEqualTo("right");
            assertThat(resumes.get()).as("two spurious resumes and the real one").isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void spuriousResumeOnTheCallbackPathPausesAgain() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger wakes = new AtomicInteger();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            ctx.setCallback(arg -> {
                wakes.incrementAndGet();
                return true;
            }, null);
            JobHandle<Integer> h = new JobHandle<>();
            assertThat(AsyncJob.start(h, ctx, () -> engine.call(() -> {
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                return 42;
            }))).isEqualTo(StartStatus.PAUSE);
            // resumed although nobody called the callback: the job must pause again, many times
            for (int i = 0; i < 100; i++) {
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
            }
            assertThat(wakes.get()).isZero();
            release.countDown();
            OffloadEngineTestKit.await("the callback", () -> wakes.get() == 1);
            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            assertThat(h.result()).isEqualTo(42);
        }
    }

    @Test
    void exceptionsSurfaceWithTheirOwnTypeAndInstance() {
        SignatureException sig = new SignatureException("tampered");
        IllegalArgumentException iae = new IllegalArgumentException("bad arg");
        AssertionError err = new AssertionError("an Error from the work");
        for (Throwable thrown : List.of(sig, iae, err)) {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<Object> h = driveWithSelect(ctx, () -> engine.call(() -> {
                    if (thrown instanceof Exception e) {
                        throw e;
                    }
                    throw (Error) thrown;
                }), null);
                assertThat(h.failure()).isSameAs(thrown);
            }
        }
        // the device threads survived the Error: same threads, still working
        Thread[] before = engine.deviceThreads();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<Integer> h = driveWithSelect(ctx, () -> {
                int n = 0;
                for (int i = 0; i < 20; i++) {
                    n += engine.call(() -> 1);
                }
                return n;
            }, null);
            assertThat(h.result()).isEqualTo(20);
        }
        assertThat(engine.deviceThreads()).containsExactly(before);
        assertThat(before).allSatisfy(t -> assertThat(t.isAlive()).isTrue());
        assertThat(Threads.named("test-engine-").size()).isEqualTo(2);
    }

    @Test
    void anInterruptLeftByTheWorkReachesNeitherTheWakeUpNorTheNextWork() {
        AtomicInteger interruptedInCallback = new AtomicInteger();
        AtomicInteger interruptedAtStart = new AtomicInteger();
        AtomicInteger wakes = new AtomicInteger();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<Integer> h = OffloadEngineTestKit.driveWithCallback(ctx, () -> {
                int n = 0;
                for (int i = 0; i < 200; i++) {
                    n += engine.call(() -> {
                        if (Thread.interrupted()) {
                            interruptedAtStart.incrementAndGet();
                        }
                        Thread.currentThread().interrupt(); // left behind on purpose
                        return 1;
                    });
                }
                return n;
            }, wakes, () -> {
                if (Thread.currentThread().isInterrupted()) {
                    interruptedInCallback.incrementAndGet();
                }
            });
            assertThat(h.result()).isEqualTo(200);
        }
        assertThat(interruptedInCallback.get()).isZero();
        assertThat(interruptedAtStart.get()).isZero();
        // the same on the fd path: the interrupted device thread still signals the pipe
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<Integer> h = driveWithSelect(ctx, () -> {
                int n = 0;
                for (int i = 0; i < 200; i++) {
                    n += engine.call(() -> {
                        Thread.currentThread().interrupt();
                        return 1;
                    });
                }
                return n;
            }, null);
            assertThat(h.result()).isEqualTo(200);
        }
    }

    @Test
    void anErrorOnEveryDeviceThreadLeavesTheEngineUsable() {
        OffloadEngine one = OffloadEngine.builder().threads(1).queueCapacity(1).name("err-engine").build();
        try {
            for (int round = 0; round < 50; round++) {
                OutOfMemoryError oom = new OutOfMemoryError("simulated");
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    JobHandle<Object> h = driveWithSelect(ctx, () -> one.call(() -> {
                        throw oom;
                    }), null);
                    assertThat(h.failure()).isSameAs(oom);
                }
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    assertThat(driveWithSelect(ctx, () -> one.call(() -> "ok"), null).result()).isEqualTo("ok");
                }
            }
            assertThat(Threads.named("err-engine-").size()).isEqualTo(1);
        } finally {
            one.close();
        }
    }

    @Test
    void blockedPauseMakesTheCallSynchronous() {
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<String> h = new JobHandle<>();
            StartStatus st = AsyncJob.start(h, ctx, () -> {
                AsyncJob.blockPause();
                try {
                    return engine.call(() -> "x") + engine.call(() -> "y");
                } finally {
                    AsyncJob.unblockPause();
                }
            });
            assertThat(st).as("nothing paused").isEqualTo(StartStatus.FINISH);
            assertThat(h.result()).isEqualTo("xy");
        }
    }

    @Test
    void blockedPauseRunsQueuedWorkInlineOrWaitsForWorkAlreadyTaken() throws Exception {
        // Which of the two happens is a race between the device taking the call and the job
        // finding it cannot pause; devices kept busy by a second driver take calls within
        // nanoseconds, so both paths come up within a few thousand rounds.
        AtomicInteger inline = new AtomicInteger();
        AtomicInteger onDevice = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread load = new Thread(() -> {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                while (!stop.get()) {
                    driveWithSelect(ctx, () -> engine.call(() -> 1) + engine.call(() -> 1), null);
                }
            }
        });
        load.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int rounds = 0;
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            while ((inline.get() == 0 || onDevice.get() == 0) && System.nanoTime() < deadline) {
                int n = rounds++;
                JobHandle<Integer> h = new JobHandle<>();
                StartStatus st = AsyncJob.start(h, ctx, () -> {
                    AsyncJob.blockPause();
                    try {
                        return engine.call(() -> {
                            // inline: the job's own thread (the caller's, or the job's virtual thread)
                            boolean device = Thread.currentThread().getName().startsWith("test-engine-");
                            (device ? onDevice : inline).incrementAndGet();
                            return n;
                        });
                    } finally {
                        AsyncJob.unblockPause();
                    }
                });
                assertThat(st).as("nothing paused").isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isNull();
                assertThat(h.result()).isEqualTo(n);
            }
        } finally {
            stop.set(true);
            load.join();
        }
        assertThat(inline.get()).as("rounds run inline in %d rounds", rounds).isPositive();
        assertThat(onDevice.get()).as("rounds waited for on the thread in %d rounds", rounds).isPositive();
    }

    @Test
    void closeFailsQueuedCallsAndRoomWaitersAndLetsRunningOnesFinish() throws Exception {
        OffloadEngine small = OffloadEngine.builder().threads(1).queueCapacity(1).name("close-engine").build();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger ranAfterClose = new AtomicInteger();
        List<Throwable> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> drivers = new ArrayList<>();
        int baseline = Fds.count();
        // job 0 runs (blocks on the latch), job 1 is queued, jobs 2..4 wait for room
        for (int i = 0; i < 5; i++) {
            int n = i;
            Thread t = new Thread(() -> {
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    JobHandle<String> h = driveWithSelect(ctx, () -> small.call(() -> {
                        if (n == 0) {
                            running.countDown();
                            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                            return "finished";
                        }
                        ranAfterClose.incrementAndGet();
                        return "should not run";
                    }), null);
                    outcomes.add(h.failure() != null ? h.failure() : new Marker(h.result()));
                }
            }, "close-driver-" + i);
            t.start();
            drivers.add(t);
            if (i == 0) {
                assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            }
            if (i == 1) {
                OffloadEngineTestKit.await("job 1 queued", () -> small.queued() == 1);
            }
        }
        OffloadEngineTestKit.await("three jobs wait for room", () -> small.queue().roomWaiters() == 3);
        small.close();
        assertThatThrownBy(() -> small.call(() -> "late")).isInstanceOf(RejectedExecutionException.class);
        OffloadEngineTestKit.await("the queued and waiting jobs failed", () -> outcomes.size() == 4);
        assertThat(outcomes).allSatisfy(t -> assertThat(t).isInstanceOf(RejectedExecutionException.class));
        assertThat(small.awaitTermination(Duration.ofMillis(50))).as("the running work holds its thread").isFalse();
        release.countDown();
        for (Thread t : drivers) {
            t.join();
        }
        assertThat(outcomes).hasSize(5);
        assertThat(outcomes).filteredOn(t -> t instanceof Marker).singleElement()
                .satisfies(m -> assertThat(((Marker) m).value).isEqualTo("finished"));
        assertThat(ranAfterClose.get()).isZero();
        assertThat(small.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(Threads.named("close-engine-").size()).isZero();
        awaitFds(baseline);
    }

    @Test
    void callsAfterCloseAreRejectedInsideAndOutsideJobs() {
        engine.close();
        assertThatThrownBy(() -> engine.call(() -> 1)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("test-engine");
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<Integer> h = driveWithSelect(ctx, () -> engine.call(() -> 1), null);
            assertThat(h.failure()).isInstanceOf(RejectedExecutionException.class);
        }
        assertThat(engine.isClosed()).isTrue();
        assertThat(engine.toString()).contains("closed");
    }

    @Test
    void cancelWhileQueuedWithdrawsTheWork() throws Exception {
        OffloadEngine one = OffloadEngine.builder().threads(1).queueCapacity(4).name("cq-engine").build();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        int baseline = Fds.count();
        try {
            Thread blocker = new Thread(() -> {
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    driveWithSelect(ctx, () -> one.call(() -> {
                        running.countDown();
                        return release.await(30, TimeUnit.SECONDS);
                    }), null);
                }
            });
            blocker.start();
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            JobHandle<Integer> h = new JobHandle<>();
            assertThat(AsyncJob.start(h, ctx, () -> one.call(() -> ran.incrementAndGet()))).isEqualTo(StartStatus.PAUSE);
            assertThat(one.queued()).isEqualTo(1);
            assertThat(ctx.getAllFds()).hasSize(1);
            assertThat(h.cancel()).isTrue();
            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            assertThat(h.failure()).isInstanceOf(CancellationException.class);
            assertThat(one.queued()).as("withdrawn").isZero();
            ctx.close();
            release.countDown();
            blocker.join();
            // the device runs nothing else: the withdrawn work never ran
            try (AsyncWaitCtx c2 = new AsyncWaitCtx()) {
                assertThat(driveWithSelect(c2, () -> one.call(() -> "after"), null).result()).isEqualTo("after");
            }
            assertThat(ran.get()).isZero();
            awaitFds(baseline);
        } finally {
            one.close();
        }
    }

    @Test
    void cancelWhileRunningDiscardsTheResultAndTheJobFinishesAtOnce() throws Exception {
        OffloadEngine one = OffloadEngine.builder().threads(1).queueCapacity(4).name("cr-engine").build();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        int baseline = Fds.count();
        try {
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            JobHandle<Integer> h = new JobHandle<>();
            assertThat(AsyncJob.start(h, ctx, () -> one.call(() -> {
                running.countDown();
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                return finished.incrementAndGet();
            }))).isEqualTo(StartStatus.PAUSE);
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            SelectableChannel fd = ctx.getAllFds().get(0);
            h.cancel();
            assertThat(AsyncJob.start(h, ctx, null)).as("finishes without waiting for the work")
                    .isEqualTo(StartStatus.FINISH);
            assertThat(h.failure()).isInstanceOf(CancellationException.class);
            assertThat(finished.get()).isZero();
            ctx.close();
            assertThat(fd.isOpen()).isFalse();
            awaitFds(baseline);
            release.countDown();
            OffloadEngineTestKit.await("the work ran to its end", () -> finished.get() == 1);
            // the late completion found a closed fd: nothing breaks, nothing leaks
            try (AsyncWaitCtx c2 = new AsyncWaitCtx()) {
                assertThat(driveWithSelect(c2, () -> one.call(() -> 7), null).result()).isEqualTo(7);
            }
            awaitFds(baseline);
        } finally {
            one.close();
        }
    }

    @Test
    void aCancelledJobDoesNotSubmit() {
        AtomicInteger ran = new AtomicInteger();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<Integer> h = new JobHandle<>();
            assertThat(AsyncJob.start(h, ctx, () -> {
                AsyncJob.pause();
                return engine.call(() -> ran.incrementAndGet());
            })).isEqualTo(StartStatus.PAUSE);
            h.cancel();
            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            assertThat(h.failure()).isInstanceOf(CancellationException.class);
        }
        assertThat(ran.get()).isZero();
        assertThat(engine.queue().peak()).isZero();
    }

    @Test
    void aFailureOfWorkWhoseJobWasCancelledGoesToTheHook() throws Exception {
        OffloadEngine one = OffloadEngine.builder().threads(1).queueCapacity(4).name("late-engine").build();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SignatureException late = new SignatureException("late");
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<Object> h = new JobHandle<>();
            assertThat(AsyncJob.start(h, ctx, () -> one.call(() -> {
                running.countDown();
                release.await(30, TimeUnit.SECONDS);
                throw late;
            }))).isEqualTo(StartStatus.PAUSE);
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            h.cancel();
            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            release.countDown();
            OffloadEngineTestKit.await("the late failure reached the hook", () -> hookErrors.contains(late));
            hookErrors.remove(late);
        } finally {
            one.close();
        }
    }

    /** Wraps a value so outcomes can share one list with failures. */
    private static final class Marker extends RuntimeException {
        private static final long serialVersionUID = 1L;

        final transient Object value;

        Marker(Object value) {
            super(String.valueOf(value), null, false, false);
            this.value = value;
        }
    }
}
