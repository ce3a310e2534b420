package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.NoJobsPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.Scannable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

class AsyncMonoTest {
    private JobLoopGroup loops;
    private JobOptions options;

    @BeforeEach
    void setUp() {
        loops = JobLoopGroup.builder().threads(2).name("mono-test").build();
        options = JobOptions.builder().loops(loops).build();
    }

    @AfterEach
    void tearDown() {
        TestSupport.await(() -> loops.liveJobs() == 0, () -> "no live jobs, still " + loops.liveJobs());
        loops.close();
    }

    @Test
    void emitsTheValueOfAJobThatNeverPauses() {
        StepVerifier.create(AsyncMono.fromJob(() -> "done", options))
                .expectNext("done")
                .verifyComplete();
    }

    @Test
    void emitsTheValueOfAPausedJobWokenByItsFd() throws Exception {
        Probe p = new Probe();
        StepVerifier.create(AsyncMono.fromJob(p.job("woken"), options))
                .then(() -> {
                    await(p);
                    p.signalFd();
                })
                .expectNext("woken")
                .verifyComplete();
        assertThat(p.resumes).hasValue(1);
        assertThat(p.cleanups).hasValue(1);
    }

    @Test
    void emitsTheValueOfAPausedJobWokenByItsCallback() throws Exception {
        Probe p = new Probe();
        StepVerifier.create(AsyncMono.fromJob(p.job(42), options))
                .then(() -> {
                    await(p);
                    assertThat(p.callBack()).isTrue();
                })
                .expectNext(42)
                .verifyComplete();
        assertThat(p.resumes).hasValue(1);
        assertThat(p.cleanups).hasValue(1);
    }

    @Test
    void aNullResultCompletesEmpty() {
        StepVerifier.create(AsyncMono.fromJob(() -> null, options)).verifyComplete();
    }

    @Test
    void aFailureIsTheError() {
        StepVerifier.create(AsyncMono.fromJob(() -> {
            throw new IOException("engine down");
        }, options)).verifyErrorSatisfies(e -> assertThat(e).isInstanceOf(IOException.class).hasMessage("engine down"));
    }

    @Test
    void aFailureAfterAPauseIsTheErrorAndTheCtxIsClosedFirst() {
        Probe p = new Probe();
        AtomicInteger cleanupsAtError = new AtomicInteger(-1);
        StepVerifier.create(AsyncMono.fromJob(() -> {
                    p.waitForWake();
                    throw new IllegalArgumentException("bad input");
                }, options).doOnError(e -> cleanupsAtError.set(p.cleanups.get())))
                .then(() -> {
                    await(p);
                    p.signalFd();
                })
                .verifyError(IllegalArgumentException.class);
        assertThat(cleanupsAtError).hasValue(1);
    }

    @Test
    void eachSubscriptionRunsANewJob() {
        AtomicInteger runs = new AtomicInteger();
        Mono<Integer> mono = AsyncMono.fromJob(runs::incrementAndGet, options);
        assertThat(runs).hasValue(0); // lazy
        StepVerifier.create(mono).expectNext(1).verifyComplete();
        StepVerifier.create(mono).expectNext(2).verifyComplete();
        StepVerifier.create(mono.repeat(3)).expectNext(3, 4, 5, 6).verifyComplete();
    }

    @Test
    void aValueThatArrivesBeforeTheRequestIsHeldUntilRequested() {
        AtomicReference<Subscription> sub = new AtomicReference<>();
        StepVerifier.create(AsyncMono.fromJob(() -> "held", options), 0)
                .consumeSubscriptionWith(sub::set)
                .then(() -> TestSupport.await(
                        () -> Scannable.from(sub.get()).scanOrDefault(Scannable.Attr.BUFFERED, 0) == 1,
                        () -> "value held by the subscription"))
                .expectNoEvent(Duration.ofMillis(20))
                .thenRequest(1)
                .expectNext("held")
                .verifyComplete();
    }

    @Test
    void aRequestBeforeTheValueIsHonouredWhenTheValueComes() throws Exception {
        Probe p = new Probe();
        StepVerifier.create(AsyncMono.fromJob(p.job("late"), options), 0)
                .thenRequest(1)
                .then(() -> {
                    await(p);
                    p.callBack();
                })
                .expectNext("late")
                .verifyComplete();
    }

    @Test
    void disposeResumesThePausedJobCancelledAndRunsItsCleanupOnce() throws Exception {
        Probe p = new Probe();
        List<Object> signals = new CopyOnWriteArrayList<>();
        Disposable d = AsyncMono.fromJob(p.job("never"), options)
                .subscribe(signals::add, signals::add, () -> signals.add("complete"));
        p.awaitPaused();
        TestSupport.await(() -> loops.liveJobs() == 1, () -> "job paused");
        d.dispose();
        // liveJobs() drops as the job ends, just before its ctx is closed: wait for the cleanup too
        TestSupport.await(() -> loops.liveJobs() == 0 && p.cleanups.get() == 1, () -> "job ended after cancel");
        assertThat(p.cancelSeen).hasValue(1);
        assertThat(p.resumes).hasValue(1);
        assertThat(p.cleanups).hasValue(1);
        assertThat(signals).isEmpty();
        p.signalFd(); // a late fd signal is harmless: closed, ignored
        assertThat(p.resumes).hasValue(1);
    }

    @Test
    void timeoutCancelsThePausedJobInVirtualTime() throws Exception {
        Probe p = new Probe();
        StepVerifier.withVirtualTime(() -> AsyncMono.fromJob(p.job("slow"), options).timeout(Duration.ofMinutes(5)))
                .expectSubscription()
                .then(() -> await(p))
                .thenAwait(Duration.ofMinutes(4))
                .expectNoEvent(Duration.ofSeconds(59))
                .thenAwait(Duration.ofSeconds(1))
                .verifyError(TimeoutException.class);
        TestSupport.await(() -> p.cleanups.get() == 1, () -> "cleanup after timeout");
        assertThat(p.cancelSeen).hasValue(1);
    }

    @Test
    void takeOfAMergeCancelsTheLoser() throws Exception {
        Probe slow = new Probe();
        StepVerifier.create(Flux.merge(AsyncMono.fromJob(slow.job("slow"), options),
                        Mono.delay(Duration.ofMillis(1)).map(x -> "fast")).take(1))
                .expectNext("fast")
                .verifyComplete();
        // the slow job may not have started when it was cancelled: then it never starts
        TestSupport.await(() -> loops.liveJobs() == 0 && slow.cleanups.get() == slow.started.get(),
                () -> "loser ended");
        assertThat(slow.cancelSeen.get()).isEqualTo(slow.started.get());
    }

    @Test
    void aNonPositiveRequestOnAPausedJobIsAnIllegalArgumentErrorAndCancelsTheJob() throws Exception {
        for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
            Probe p = new Probe();
            List<Object> signals = new CopyOnWriteArrayList<>();
            AtomicReference<Subscription> sub = new AtomicReference<>();
            AsyncMono.fromJob(p.job("never"), options).subscribe(recorder(signals, sub, 0));
            p.awaitPaused();
            sub.get().request(bad);
            // §3.9: onError(IllegalArgumentException), and the job is resumed cancelled, its ctx closed, its slot freed
            TestSupport.await(() -> loops.liveJobs() == 0 && p.cleanups.get() == 1, () -> "job ended after request(" + bad + ")");
            assertThat(signals).singleElement().isInstanceOf(IllegalArgumentException.class)
                    .asString().contains("3.9").contains(String.valueOf(bad));
            assertThat(p.cancelSeen).hasValue(1);
            assertThat(p.resumes).hasValue(1);
            // terminated: a later request or cancel does nothing
            sub.get().request(1);
            sub.get().cancel();
            assertThat(signals).hasSize(1);
        }
    }

    @Test
    void aNonPositiveRequestWhileTheValueIsHeldIsTheErrorAndTheValueIsDiscarded() {
        List<Object> signals = new CopyOnWriteArrayList<>();
        List<Object> discarded = new CopyOnWriteArrayList<>();
        AtomicReference<Subscription> sub = new AtomicReference<>();
        AsyncMono.fromJob(() -> "held", options)
                .doOnDiscard(String.class, discarded::add)
                .subscribe(recorder(signals, sub, 0));
        // doOnDiscard sits between: look for the held value in the subscription chain
        TestSupport.await(() -> Stream.concat(Stream.of(Scannable.from(sub.get())), Scannable.from(sub.get()).parents())
                        .anyMatch(s -> s.scanOrDefault(Scannable.Attr.BUFFERED, 0) == 1),
                () -> "value held by the subscription");
        sub.get().request(0);
        assertThat(signals).singleElement().isInstanceOf(IllegalArgumentException.class);
        assertThat(discarded).containsExactly("held");
    }

    @Test
    void aNonPositiveRequestFromOnSubscribeIsTheErrorAndTheJobNeverLaunches() {
        AtomicInteger runs = new AtomicInteger();
        List<Object> signals = new CopyOnWriteArrayList<>();
        AsyncMono.fromJob(runs::incrementAndGet, options).subscribe(new BaseSubscriber<Integer>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(0);
            }

            @Override
            protected void hookOnNext(Integer value) {
                signals.add(value);
            }

            @Override
            protected void hookOnError(Throwable error) {
                signals.add(error);
            }
        });
        assertThat(signals).singleElement().isInstanceOf(IllegalArgumentException.class);
        assertThat(runs).hasValue(0);
        assertThat(loops.liveJobs()).isZero();
    }

    @Test
    void aNonPositiveRequestAfterAValidOneStillCancelsTheJob() throws Exception {
        Probe p = new Probe();
        List<Object> signals = new CopyOnWriteArrayList<>();
        AtomicReference<Subscription> sub = new AtomicReference<>();
        AsyncMono.fromJob(p.job("never"), options).subscribe(recorder(signals, sub, 1));
        p.awaitPaused();
        sub.get().request(-5);
        TestSupport.await(() -> loops.liveJobs() == 0 && p.cleanups.get() == 1, () -> "job ended");
        assertThat(signals).singleElement().isInstanceOf(IllegalArgumentException.class);
        assertThat(p.cancelSeen).hasValue(1);
    }

    /** A subscriber that requests {@code initial} (if > 0) and records every signal. */
    private static <T> BaseSubscriber<T> recorder(List<Object> signals, AtomicReference<Subscription> sub, long initial) {
        return new BaseSubscriber<T>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                sub.set(subscription);
                if (initial > 0) {
                    subscription.request(initial);
                }
            }

            @Override
            protected void hookOnNext(T value) {
                signals.add(value);
            }

            @Override
            protected void hookOnError(Throwable error) {
                signals.add(error);
            }

            @Override
            protected void hookOnComplete() {
                signals.add("complete");
            }
        };
    }

    @Test
    void aCancelFromOnSubscribeMeansTheJobNeverLaunches() {
        AtomicInteger runs = new AtomicInteger();
        AsyncMono.fromJob(runs::incrementAndGet, options).subscribe(new BaseSubscriber<Integer>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.cancel();
            }
        });
        assertThat(runs).hasValue(0);
        assertThat(loops.liveJobs()).isZero();
    }

    @Test
    void aCancelWhileTheStartIsQueuedMeansTheJobNeverStarts() throws Exception {
        JobOptions oneLoop = JobOptions.builder().loops(loops).build();
        CountDownLatch blockerRunning = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < loops.size(); i++) { // hold every loop, so the start stays queued
            loops.loop(i).execute(() -> {
                blockerRunning.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertThat(blockerRunning.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicInteger runs = new AtomicInteger();
        List<Object> signals = new CopyOnWriteArrayList<>();
        Disposable d = AsyncMono.fromJob(runs::incrementAndGet, oneLoop).subscribe(signals::add, signals::add);
        d.dispose();
        release.countDown();
        CountDownLatch drained = new CountDownLatch(loops.size());
        for (int i = 0; i < loops.size(); i++) {
            loops.loop(i).execute(drained::countDown);
        }
        assertThat(drained.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(runs).hasValue(0);
        assertThat(signals).isEmpty();
    }

    @Test
    void aValueAfterTheCancelGoesToOnDiscard() throws Exception {
        Probe p = new Probe();
        List<Object> discarded = new CopyOnWriteArrayList<>();
        Disposable d = AsyncMono.fromJob(() -> {
                    try {
                        p.waitForWake();
                    } catch (java.util.concurrent.CancellationException e) {
                        return "late value"; // ignores the cancel and returns anyway
                    }
                    return "normal";
                }, options)
                .doOnDiscard(String.class, discarded::add)
                .subscribe();
        p.awaitPaused();
        d.dispose();
        TestSupport.await(() -> discarded.size() == 1, () -> "discarded value");
        assertThat(discarded).containsExactly("late value");
        assertThat(p.cleanups).hasValue(1);
    }

    @Test
    void anErrorAfterTheCancelGoesToOnErrorDropped() throws Exception {
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(dropped::add);
        try {
            Probe p = new Probe();
            Disposable d = AsyncMono.fromJob(() -> {
                try {
                    p.waitForWake();
                } catch (java.util.concurrent.CancellationException e) {
                    throw new IOException("failed while cancelling");
                }
                return "normal";
            }, options).subscribe(v -> { }, e -> dropped.add(new AssertionError("delivered", e)));
            p.awaitPaused();
            d.dispose();
            TestSupport.await(() -> dropped.size() == 1, () -> "dropped error");
            assertThat(dropped.get(0)).isInstanceOf(IOException.class).hasMessage("failed while cancelling");

            // a CancellationException is the expected answer to a cancel: not reported
            Probe q = new Probe();
            Disposable d2 = AsyncMono.fromJob(q.job("x"), options).subscribe();
            q.awaitPaused();
            d2.dispose();
            TestSupport.await(() -> q.cleanups.get() == 1 && loops.liveJobs() == 0, () -> "second job ended");
            assertThat(dropped).hasSize(1);
        } finally {
            Hooks.resetOnErrorDropped();
        }
    }

    @Test
    void contextualVariantHandsTheJobTheSubscribersContext() {
        StepVerifier.create(AsyncMono.fromJobContextual(ctx -> () -> "tenant=" + ctx.get("tenant"), options)
                        .contextWrite(Context.of("tenant", "acme")))
                .expectNext("tenant=acme")
                .verifyComplete();
        StepVerifier.create(AsyncMono.fromJobContextual(ctx -> () -> ctx.getOrDefault("tenant", "none")))
                .expectNext("none")
                .verifyComplete();
    }

    @Test
    void aFactoryThatThrowsOrReturnsNullFailsWithoutAJob() {
        StepVerifier.create(AsyncMono.<String>fromJobContextual(ctx -> {
            throw new IllegalStateException("no tenant");
        }, options)).verifyErrorMessage("no tenant");
        StepVerifier.create(AsyncMono.<String>fromJobContextual(ctx -> null, options))
                .verifyErrorSatisfies(e -> assertThat(e).isInstanceOf(NullPointerException.class)
                        .hasMessageContaining("null JobFunction"));
        assertThat(loops.liveJobs()).isZero();
    }

    @Test
    void subscribedOnALoopTheJobStartsOnThatLoopWithNoHopRightAfterTheSubscribingTask() throws Exception {
        // never inside subscribe() (the subscriber may hold a monitor), never on another thread
        JobLoop loop = loops.loop(1);
        AtomicReference<Thread> loopThread = new AtomicReference<>();
        AtomicReference<Thread> jobThread = new AtomicReference<>();
        AtomicReference<Thread> signalThread = new AtomicReference<>();
        AtomicBoolean ranDuringSubscribe = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            loopThread.set(Thread.currentThread());
            AtomicBoolean ran = new AtomicBoolean();
            AsyncMono.fromJob(() -> {
                ran.set(true);
                jobThread.set(Thread.currentThread());
                return "on the loop";
            }, options).subscribe(v -> {
                signalThread.set(Thread.currentThread());
                done.countDown();
            });
            ranDuringSubscribe.set(ran.get());
        });
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ranDuringSubscribe).isFalse();
        assertThat(signalThread.get()).isSameAs(loopThread.get());
        if (AsyncJob.backend().equals("continuation")) {
            assertThat(jobThread.get()).isSameAs(loopThread.get()); // a continuation on the loop itself
        }
    }

    @Test
    void noJobsWithFailPolicyIsARejectedExecution() throws Exception {
        try (JobLoopGroup one = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("fail-test").build()) {
            JobOptions fail = JobOptions.builder().loops(one).onNoJobs(NoJobsPolicy.FAIL).build();
            Probe holder = new Probe();
            Disposable d = AsyncMono.fromJob(holder.job("h"), fail).subscribe();
            holder.awaitPaused();
            StepVerifier.create(AsyncMono.fromJob(() -> "second", fail))
                    .verifyError(RejectedExecutionException.class);
            d.dispose();
            TestSupport.await(() -> one.liveJobs() == 0, () -> "holder ended");
        }
    }

    @Test
    void noJobsWithWaitPolicyWaitsFirstComeFirstServed() throws Exception {
        try (JobLoopGroup one = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("wait-test").build()) {
            JobOptions wait = JobOptions.builder().loops(one).build();
            Probe holder = new Probe();
            Disposable d = AsyncMono.fromJob(holder.job("h"), wait).subscribe();
            holder.awaitPaused();
            List<Integer> order = new CopyOnWriteArrayList<>();
            CountDownLatch all = new CountDownLatch(5);
            for (int i = 0; i < 5; i++) {
                int n = i;
                AsyncMono.fromJob(() -> {
                    order.add(n); // the order the waiters start in
                    return n;
                }, wait).subscribe(v -> all.countDown());
                TestSupport.await(() -> one.liveJobs() == n + 2, () -> "waiter queued");
            }
            assertThat(order).isEmpty();
            holder.callBack();
            assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(order).containsExactly(0, 1, 2, 3, 4);
            d.dispose();
        }
    }

    @Test
    void aClosedGroupFailsTheSubscription() {
        JobLoopGroup closed = JobLoopGroup.builder().threads(1).name("closed-test").build();
        closed.close();
        StepVerifier.create(AsyncMono.fromJob(() -> "x", JobOptions.builder().loops(closed).build()))
                .verifyError(RejectedExecutionException.class);
    }

    @Test
    void nullArgumentsThrowNamingTheParameter() {
        JobFunction<String> f = () -> "x";
        assertThatThrownBy(() -> AsyncMono.fromJob(null)).isInstanceOf(NullPointerException.class).hasMessage("func");
        assertThatThrownBy(() -> AsyncMono.fromJob(f, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("options");
        assertThatThrownBy(() -> AsyncMono.fromJob(f, options, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("scheduler");
        assertThatThrownBy(() -> AsyncMono.fromJobContextual(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("factory");
    }

    private static void await(Probe p) {
        try {
            p.awaitPaused();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
