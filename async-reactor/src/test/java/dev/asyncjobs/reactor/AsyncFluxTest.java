package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
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
    }

    private static long sum(List<Long> requests) {
        return requests.stream().mapToLong(Long::longValue).sum();
    }

    private static long pausedCount(List<Probe> probes) {
        return probes.stream().filter(p -> p.paused.getCount() == 0).count();
    }
}
