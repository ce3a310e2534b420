package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * {@link AsyncJob#await} through {@link AsyncMono}: awaited values and failures become the {@code
 * Mono}'s signals, on the job loops and on a Reactor scheduler, and a dispose cancels the awaited
 * future and ends the job with a {@link CancellationException} that nobody reports.
 */
class AsyncMonoAwaitTest {
    private JobLoopGroup loops;
    private JobOptions options;

    @BeforeEach
    void setUp() {
        loops = JobLoopGroup.builder().threads(1).name("mono-await-test").build();
        options = JobOptions.builder().loops(loops).build();
    }

    @AfterEach
    void tearDown() {
        TestSupport.await(() -> loops.liveJobs() == 0, () -> "no live jobs, still " + loops.liveJobs());
        loops.close();
    }

    @Test
    void twoAwaitsInOneJobEmitTheValue() {
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        StepVerifier.create(AsyncMono.fromJob(() -> AsyncJob.await(first) + AsyncJob.await(second), options))
                .then(() -> first.complete("a"))
                .then(() -> second.complete("b"))
                .expectNext("ab")
                .verifyComplete();
    }

    @Test
    void anAwaitedFailureIsTheMonosErrorUnwrapped() {
        IOException boom = new IOException("boom");
        CompletableFuture<String> f = new CompletableFuture<>();
        StepVerifier.create(AsyncMono.fromJob(() -> AsyncJob.await(f.thenApply(s -> s)), options))
                .then(() -> f.completeExceptionally(boom))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(boom))
                .verify(Duration.ofSeconds(20));
    }

    @Test
    void onAReactorSchedulerTheAwaitWorksToo() {
        Scheduler single = Schedulers.newSingle("mono-await-single");
        try {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            StepVerifier.create(AsyncMono.fromJob(() -> AsyncJob.await(f) + 1, JobOptions.defaults(), single))
                    .then(() -> f.complete(41))
                    .expectNext(42)
                    .verifyComplete();
        } finally {
            single.dispose();
        }
    }

    @Test
    void disposeCancelsTheAwaitedFutureAndTheCancellationIsNotReported() throws Exception {
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(dropped::add);
        try {
            CompletableFuture<String> f = new CompletableFuture<>();
            CountDownLatch awaiting = new CountDownLatch(1);
            AtomicReference<Throwable> inJob = new AtomicReference<>();
            Disposable d = AsyncMono.fromJob(() -> {
                awaiting.countDown();
                try {
                    return AsyncJob.await(f);
                } catch (CancellationException e) {
                    inJob.set(e);
                    throw e;
                }
            }, options).subscribe();
            assertThat(awaiting.await(20, TimeUnit.SECONDS)).isTrue();
            d.dispose();
            TestSupport.await(() -> inJob.get() != null, () -> "the job to see its cancel");
            TestSupport.await(() -> loops.liveJobs() == 0, () -> "the job to end");
            assertThat(f.isCancelled()).isTrue();
            assertThat(dropped).isEmpty();
        } finally {
            Hooks.resetOnErrorDropped();
        }
    }
}
