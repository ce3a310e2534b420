package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link AsyncJob#await} through {@link AsyncSingle}: awaited values and failures become the
 * {@code Single}'s signals, on the job loops and on an RxJava scheduler, and a dispose cancels the
 * awaited future and ends the job with a {@link CancellationException} that nobody reports.
 */
@LoopTestSupport.LoopThreads(1)
class AsyncSingleAwaitTest extends LoopTestSupport {
    @Test
    void twoAwaitsInOneJobEmitTheValue() {
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<String> second = new CompletableFuture<>();
        TestObserver<String> t = AsyncSingle.<String>fromJob(() -> AsyncJob.await(first) + AsyncJob.await(second), opts).test();
        first.complete("a");
        second.complete("b");
        t.awaitDone(20, TimeUnit.SECONDS).assertResult("ab");
    }

    @Test
    void anAwaitedFailureIsTheSinglesErrorUnwrapped() {
        IOException boom = new IOException("boom");
        CompletableFuture<String> f = new CompletableFuture<>();
        TestObserver<String> t = AsyncSingle.<String>fromJob(() -> AsyncJob.await(f.thenApply(s -> s)), opts).test();
        f.completeExceptionally(boom);
        t.awaitDone(20, TimeUnit.SECONDS).assertError(e -> e == boom);
    }

    @Test
    void onAnRxJavaSchedulerTheAwaitWorksToo() {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        TestObserver<Integer> t = AsyncSingle.<Integer>fromJob(() -> AsyncJob.await(f) + 1, JobOptions.defaults(), Schedulers.single()).test();
        f.complete(41);
        t.awaitDone(20, TimeUnit.SECONDS).assertResult(42);
    }

    @Test
    void disposeCancelsTheAwaitedFutureAndTheCancellationIsNotReported() throws Exception {
        List<Throwable> undeliverable = new CopyOnWriteArrayList<>();
        RxJavaPlugins.setErrorHandler(undeliverable::add);
        try {
            CompletableFuture<String> f = new CompletableFuture<>();
            CountDownLatch awaiting = new CountDownLatch(1);
            AtomicReference<Throwable> inJob = new AtomicReference<>();
            Disposable d = AsyncSingle.<String>fromJob(() -> {
                awaiting.countDown();
                try {
                    return AsyncJob.await(f);
                } catch (CancellationException e) {
                    inJob.set(e);
                    throw e;
                }
            }, opts).subscribe(v -> { }, e -> { });
            await(awaiting);
            d.dispose();
            await("the job to see its cancel", () -> inJob.get() != null);
            await("the job to end", () -> loops.liveJobs() == 0);
            assertThat(f.isCancelled()).isTrue();
            assertThat(undeliverable).isEmpty();
        } finally {
            RxJavaPlugins.setErrorHandler(null);
        }
    }
}
