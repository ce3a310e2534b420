package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** {@link AsyncCompletable}: the {@link FromJobContract}, a result is always a bare completion. */
class AsyncCompletableTest extends FromJobContract<Void> {

    @Override
    Object fromJob(@Nullable JobFunction<String> func) {
        return AsyncCompletable.fromJob(func);
    }

    @Override
    Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options) {
        return AsyncCompletable.fromJob(func, options);
    }

    @Override
    Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options, @Nullable Scheduler scheduler) {
        return AsyncCompletable.fromJob(func, options, scheduler);
    }

    @Override
    TestObserver<Void> subscribe(JobFunction<String> func) {
        return AsyncCompletable.fromJob(func, opts).test();
    }

    @Override
    void assertResultOf(TestObserver<Void> to, @Nullable String value) {
        to.assertResult();
    }

    @Override
    void countAssemblies(AtomicInteger count) {
        RxJavaPlugins.setOnCompletableAssembly(c -> {
            count.incrementAndGet();
            return c;
        });
    }

    @Test
    void completesWhateverTheJobReturned() {
        AsyncCompletable.fromJob(() -> "ignored", opts).test().awaitDone(10, TimeUnit.SECONDS).assertResult();
        AsyncCompletable.fromJob(() -> null).test().awaitDone(10, TimeUnit.SECONDS).assertResult();
    }

    @Test
    void runsOnAThreadConfinedScheduler() {
        CountingScheduler counting = new CountingScheduler(Schedulers.single());
        PausingJob<String> job = new PausingJob<>("x");
        TestObserver<Void> to = AsyncCompletable.fromJob(job, JobOptions.defaults(), counting).test();
        job.awaitPaused();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertResult();
        await("worker disposed", () -> counting.disposed.get() == 1);
        assertThat(counting.created).hasValue(1);
    }
}
