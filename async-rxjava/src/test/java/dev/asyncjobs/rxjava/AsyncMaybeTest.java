package dev.asyncjobs.rxjava;

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

/** {@link AsyncMaybe}: the {@link FromJobContract}, a value is a success and a null result an empty completion. */
class AsyncMaybeTest extends FromJobContract<String> {

    @Override
    Object fromJob(@Nullable JobFunction<String> func) {
        return AsyncMaybe.fromJob(func);
    }

    @Override
    Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options) {
        return AsyncMaybe.fromJob(func, options);
    }

    @Override
    Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options, @Nullable Scheduler scheduler) {
        return AsyncMaybe.fromJob(func, options, scheduler);
    }

    @Override
    TestObserver<String> subscribe(JobFunction<String> func) {
        return AsyncMaybe.fromJob(func, opts).test();
    }

    @Override
    void assertResultOf(TestObserver<String> to, @Nullable String value) {
        if (value == null) {
            to.assertResult();
        } else {
            to.assertResult(value);
        }
    }

    @Override
    void countAssemblies(AtomicInteger count) {
        RxJavaPlugins.setOnMaybeAssembly(m -> {
            count.incrementAndGet();
            return m;
        });
    }

    @Test
    void emitsTheValue() {
        AsyncMaybe.fromJob(() -> "v", opts).test().awaitDone(10, TimeUnit.SECONDS).assertResult("v");
        AsyncMaybe.fromJob(() -> "w").test().awaitDone(10, TimeUnit.SECONDS).assertResult("w");
    }

    @Test
    void nullResultCompletesEmpty() {
        AsyncMaybe.fromJob(() -> null, opts).test().awaitDone(10, TimeUnit.SECONDS).assertResult();
    }

    @Test
    void nullResultAfterAPauseCompletesEmpty() {
        resumedByItsFdSignals(null);
    }

    @Test
    void runsOnAThreadConfinedScheduler() {
        CountingScheduler counting = new CountingScheduler(Schedulers.computation());
        PausingJob<String> job = new PausingJob<>("c");
        TestObserver<String> to = AsyncMaybe.fromJob(job, JobOptions.defaults(), counting)
                .map(v -> v + "@" + Thread.currentThread().getName()).test();
        job.awaitPaused();
        job.callBack();
        to.awaitDone(10, TimeUnit.SECONDS).assertValue(v -> v.startsWith("c@RxComputationThreadPool"));
        await("worker disposed", () -> counting.disposed.get() == 1);
    }
}
