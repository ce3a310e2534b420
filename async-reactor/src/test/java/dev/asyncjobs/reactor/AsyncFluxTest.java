package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.testsupport.Racer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class AsyncFluxTest {
    private JobLoopGroup loops;
    private JobOptions options;
    private final AtomicInteger alive = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();

    @BeforeEach
    void setUp() {
        loops = JobLoopGroup.builder().threads(2).name("flux-test").build();
        options = JobOptions.builder().loops(loops).build();
    }

    @AfterEach
    void tearDown() {
        TestSupport.await(() -> loops.liveJobs() == 0, () -> "no live jobs, still " + loops.liveJobs());
        loops.close();
    }

    /** A job that yields (wakes itself, then pauses) a random number of times, counting who is alive. */
    private JobFunction<Integer> yielding(int value) {
        return () -> {
            int now = alive.incrementAndGet();
            peak.accumulateAndGet(now, Math::max);
            try {
                int yields = ThreadLocalRandom.current().nextInt(6);
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                for (int i = 0; i < yields; i++) {
                    ctx.getCallback().onWake(ctx.getCallbackArg()); // dasync-style: wake, then pause
                    AsyncJob.pause();
                }
                return value;
            } finally {
                alive.decrementAndGet();
            }
        };
    }

    @Test
    void resultsComeInSourceOrderWithAtMostMaxInFlightJobsAlive() {
        List<Integer> expected = IntStream.range(0, 2000).boxed().toList();
        StepVerifier.create(AsyncFlux.mapJobs(Flux.range(0, 2000), this::yielding, 8, options))
                .expectNextSequence(expected)
                .verifyComplete();
        assertThat(peak.get()).isLessThanOrEqualTo(8).isGreaterThan(1);
        assertThat(alive).hasValue(0);
    }

    @Test
    void theSourceIsAskedForMaxInFlightThenOneMoreAsEachSlotFrees() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        AtomicLong requested = new AtomicLong();
        AtomicLong delivered = new AtomicLong();
        AtomicBoolean overRequested = new AtomicBoolean();
        Flux<Integer> source = Flux.range(0, 500)
                .doOnNext(x -> delivered.incrementAndGet())
                .doOnRequest(n -> {
                    requests.add(n);
                    if (requested.addAndGet(n) - delivered.get() > 4) {
                        overRequested.set(true); // more than maxInFlight outstanding
                    }
                });
        StepVerifier.create(AsyncFlux.mapJobs(source, this::yielding, 4, options))
                .expectNextCount(500)
                .verifyComplete();
        assertThat(overRequested).isFalse();
        assertThat(requests.get(0)).isEqualTo(4L);
        assertThat(requests.subList(1, requests.size())).containsOnly(1L);
        assertThat(peak.get()).isLessThanOrEqualTo(4);
    }

    @Test
    void aSlowSubscriberHoldsTheSourceBack() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        Flux<Integer> source = Flux.range(0, 100).doOnRequest(requests::add);
        StepVerifier.create(AsyncFlux.mapJobs(source, this::yielding, 4, options), 3)
                .expectNext(0, 1, 2)
                // 3 emitted freed 3 slots; 4 more are in flight or waiting, done, in their slots
                .then(() -> TestSupport.await(() -> sum(requests) == 7 && alive.get() == 0,
                        () -> "requests settle at 7: " + requests))
                .expectNoEvent(Duration.ofMillis(50))
                .then(() -> assertThat(sum(requests)).isEqualTo(7))
                .thenRequest(Long.MAX_VALUE)
                .expectNextCount(97)
                .verifyComplete();
    }

    @Test
    void nullResultsAreSkipped() {
        StepVerifier.create(AsyncFlux.mapJobs(Flux.range(0, 10), i -> () -> i % 2 == 0 ? null : i, 3, options))
                .expectNext(1, 3, 5, 7, 9)
                .verifyComplete();
    }

    @Test
    void aFailingJobCancelsTheSourceAndTheOtherJobs() {
        List<Probe> probes = new CopyOnWriteArrayList<>();
        AtomicBoolean sourceCancelled = new AtomicBoolean();
        Flux<Integer> source = Flux.range(0, 100).doOnCancel(() -> sourceCancelled.set(true));
        StepVerifier.create(AsyncFlux.mapJobs(source, i -> {
                    if (i == 3) {
                        return () -> {
                            TestSupport.await(() -> pausedCount(probes) == 3, () -> "the three others paused");
                            throw new IOException("job 3 failed");
                        };
                    }
                    Probe p = new Probe();
                    probes.add(p);
                    return p.job(i);
                }, 4, options))
                .verifyErrorMessage("job 3 failed");
        assertThat(sourceCancelled).isTrue();
        assertThat(probes).hasSize(3);
        TestSupport.await(() -> probes.stream().allMatch(p -> p.cleanups.get() == 1),
                () -> "every paused job finished cancelled");
        assertThat(probes).allSatisfy(p -> assertThat(p.cancelSeen).hasValue(1));
    }

    @Test
    void aSourceErrorCancelsTheJobsInFlight() {
        List<Probe> probes = new CopyOnWriteArrayList<>();
        Sinks.Many<Integer> sink = Sinks.many().unicast().onBackpressureBuffer();
        StepVerifier.create(AsyncFlux.mapJobs(sink.asFlux(), i -> {
                    Probe p = new Probe();
                    probes.add(p);
                    return p.job(i);
                }, 4, options))
                .then(() -> {
                    sink.tryEmitNext(1);
                    sink.tryEmitNext(2);
                    TestSupport.await(() -> pausedCount(probes) == 2, () -> "two jobs paused");
                    sink.tryEmitError(new IllegalStateException("source broke"));
                })
                .verifyErrorMessage("source broke");
        TestSupport.await(() -> probes.stream().allMatch(p -> p.cleanups.get() == 1), () -> "jobs cancelled");
    }

    @Test
    void aDownstreamCancelCancelsTheSourceAndTheJobs() {
        List<Probe> probes = new CopyOnWriteArrayList<>();
        AtomicBoolean sourceCancelled = new AtomicBoolean();
        Disposable d = AsyncFlux.mapJobs(Flux.range(0, 100).doOnCancel(() -> sourceCancelled.set(true)), i -> {
            Probe p = new Probe();
            probes.add(p);
            return p.job(i);
        }, 5, options).subscribe();
        TestSupport.await(() -> pausedCount(probes) == 5, () -> "five jobs paused");
        d.dispose();
        assertThat(sourceCancelled).isTrue();
        TestSupport.await(() -> probes.stream().allMatch(p -> p.cleanups.get() == 1), () -> "jobs cancelled");
        assertThat(probes).hasSize(5).allSatisfy(p -> assertThat(p.cancelSeen).hasValue(1));
    }

    @Test
    void aNonPositiveRequestIsAnIllegalArgumentErrorAndCancelsTheSourceAndTheJobs() {
        List<Probe> probes = new CopyOnWriteArrayList<>();
        AtomicBoolean sourceCancelled = new AtomicBoolean();
        List<Object> signals = new CopyOnWriteArrayList<>();
        AtomicReference<Subscription> sub = new AtomicReference<>();
        AsyncFlux.mapJobs(Flux.range(0, 100).doOnCancel(() -> sourceCancelled.set(true)), i -> {
            Probe p = new Probe();
            probes.add(p);
            return p.job(i);
        }, 5, options).subscribe(recorder(signals, sub, 2));
        TestSupport.await(() -> pausedCount(probes) == 5, () -> "five jobs paused");
        probes.get(0).signalFd();
        probes.get(1).signalFd();
        TestSupport.await(() -> signals.size() == 2, () -> "two values: " + signals);
        TestSupport.await(() -> pausedCount(probes) == 7, () -> "two more jobs paused");
        sub.get().request(0);
        // §3.9: onError(IllegalArgumentException); the source and every job in flight are cancelled
        TestSupport.await(() -> signals.size() == 3, () -> "the error: " + signals);
        assertThat(signals.subList(0, 2)).containsExactly(0, 1);
        assertThat(signals.get(2)).isInstanceOf(IllegalArgumentException.class).asString().contains("3.9");
        assertThat(sourceCancelled).isTrue();
        TestSupport.await(() -> probes.stream().allMatch(p -> p.cleanups.get() == 1), () -> "jobs cancelled");
        assertThat(probes).hasSize(7);
        assertThat(probes.subList(2, 7)).allSatisfy(p -> assertThat(p.cancelSeen).hasValue(1));
        sub.get().request(1);
        sub.get().request(-1);
        assertThat(signals).hasSize(3);
    }

    @Test
    void aNonPositiveRequestRacingTheValuesGivesOneLastTerminalSignalAndNoOverlap() {
        AtomicInteger errorRounds = new AtomicInteger();
        try (Racer racer = new Racer(1, "racer")) {
            for (int round = 0; round < 1_000; round++) {
                List<Object> signals = new CopyOnWriteArrayList<>();
                AtomicReference<Subscription> sub = new AtomicReference<>();
                AtomicInteger inside = new AtomicInteger();
                AtomicBoolean overlap = new AtomicBoolean();
                BaseSubscriber<Integer> s = recorder(signals, sub, Long.MAX_VALUE, inside, overlap);
                racer.race(() -> AsyncFlux.mapJobs(Flux.range(0, 20), this::yielding, 4, options).subscribe(s),
                        () -> {
                            TestSupport.await(() -> sub.get() != null, () -> "subscribed");
                            sub.get().request(0);
                        });
                int r = round;
                TestSupport.await(() -> !signals.isEmpty() && isTerminal(signals.get(signals.size() - 1)),
                        () -> "round " + r + ": a terminal signal: " + signals);
                TestSupport.await(() -> loops.liveJobs() == 0, () -> "round " + r + ": jobs ended");
                assertThat(overlap).as("round %d: signals overlapped", r).isFalse();
                assertThat(signals.stream().filter(AsyncFluxTest::isTerminal)).as("round %d", r).hasSize(1);
                Object last = signals.get(signals.size() - 1);
                if (last instanceof Throwable e) {
                    assertThat(e).isInstanceOf(IllegalArgumentException.class);
                    assertThat(signals.subList(0, signals.size() - 1)).isEqualTo(IntStream.range(0, signals.size() - 1)
                            .boxed().toList());
                    errorRounds.incrementAndGet();
                } else {
                    assertThat(signals).hasSize(21);
                }
            }
        }
        // the bad request won at least sometimes (without §3.9 it never does)
        assertThat(errorRounds.get()).isPositive();
    }

    private static boolean isTerminal(Object signal) {
        return signal instanceof Throwable || "complete".equals(signal);
    }

    private static <T> BaseSubscriber<T> recorder(List<Object> signals, AtomicReference<Subscription> sub, long initial) {
        return recorder(signals, sub, initial, new AtomicInteger(), new AtomicBoolean());
    }

    /** Records every signal; {@code overlap} is set if two signals were ever delivered at once. */
    private static <T> BaseSubscriber<T> recorder(List<Object> signals, AtomicReference<Subscription> sub, long initial,
            AtomicInteger inside, AtomicBoolean overlap) {
        return new BaseSubscriber<T>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                sub.set(subscription);
                subscription.request(initial);
            }

            @Override
            protected void hookOnNext(T value) {
                record(value);
            }

            @Override
            protected void hookOnError(Throwable error) {
                record(error);
            }

            @Override
            protected void hookOnComplete() {
                record("complete");
            }

            private void record(Object signal) {
                if (inside.getAndIncrement() != 0) {
                    overlap.set(true);
                }
                signals.add(signal);
                inside.decrementAndGet();
            }
        };
    }

    @Test
    void aJobFactoryThatFailsIsTheError() {
        StepVerifier.create(AsyncFlux.mapJobs(Flux.range(0, 5), i -> {
            if (i == 2) {
                throw new IllegalArgumentException("no job for 2");
            }
            return () -> i;
        }, 1, options)).expectNext(0, 1).verifyErrorMessage("no job for 2");
        StepVerifier.create(AsyncFlux.mapJobs(Flux.just(1), i -> null, 1, options))
                .verifyErrorSatisfies(e -> assertThat(e).isInstanceOf(NullPointerException.class));
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> AsyncFlux.mapJobs(Flux.just(1), i -> () -> i, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxInFlight");
        assertThatThrownBy(() -> AsyncFlux.mapJobs(null, i -> () -> i, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("source");
        assertThatThrownBy(() -> AsyncFlux.mapJobs(Flux.just(1), null, 1))
                .isInstanceOf(NullPointerException.class).hasMessage("job");
        assertThatThrownBy(() -> AsyncFlux.mapJobs(Flux.just(1), i -> () -> i, 1, null))
                .isInstanceOf(NullPointerException.class).hasMessage("options");
        // mapJobs launches on job loops: a confined placement is refused at assembly, not from
        // inside onNext (where an asynchronous source could lose the error)
        JobOptions confined = JobOptions.builder()
                .placement(JobPlacement.confined(AsyncSelector.shared(), 0)).build();
        assertThatThrownBy(() -> AsyncFlux.mapJobs(Flux.just(1), i -> () -> i, 1, confined))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("job loops");
    }

    private static long sum(List<Long> requests) {
        return requests.stream().mapToLong(Long::longValue).sum();
    }

    private static long pausedCount(List<Probe> probes) {
        return probes.stream().filter(p -> p.paused.getCount() == 0).count();
    }
}
