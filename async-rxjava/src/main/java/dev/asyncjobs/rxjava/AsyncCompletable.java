package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Completable;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.util.Objects;

/**
 * A pausable job as a {@link Completable}: what the job returns is ignored, its end completes.
 *
 * <pre>{@code
 * Completable flushed = AsyncCompletable.fromJob(() -> { device.flushPausing(); return null; });
 * }</pre>
 *
 * <p>Everything else (one job per subscription, where it runs, failures, dispose, schedulers) is
 * as {@link AsyncSingle} describes.
 */
public final class AsyncCompletable {
    private AsyncCompletable() {
        throw new IllegalStateException("No instances!");
    }

    /**
     * A {@code Completable} that runs {@code func} as a job on the default job loops for each
     * subscriber.
     *
     * @param func the job; its result is ignored
     * @return the lazy {@code Completable}
     * @throws NullPointerException if {@code func} is null
     */
    public static Completable fromJob(JobFunction<?> func) {
        return fromJob(func, JobOptions.defaults());
    }

    /**
     * A {@code Completable} that runs {@code func} as a job with {@code options} for each subscriber.
     *
     * @param func the job; its result is ignored
     * @param options how to run it
     * @return the lazy {@code Completable}
     * @throws NullPointerException if an argument is null
     */
    public static Completable fromJob(JobFunction<?> func, JobOptions options) {
        Objects.requireNonNull(func, "func is null");
        Objects.requireNonNull(options, "options is null");
        return RxJavaPlugins.onAssembly(new CompletableFromJob(func, options, null));
    }

    /**
     * A {@code Completable} that runs {@code func} as a job on a new worker of the thread-confined
     * {@code scheduler} for each subscriber.
     *
     * @param func the job; its result is ignored
     * @param options how to run it
     * @param scheduler a thread-confined scheduler
     * @return the lazy {@code Completable}
     * @throws NullPointerException if an argument is null
     */
    public static Completable fromJob(JobFunction<?> func, JobOptions options, Scheduler scheduler) {
        Objects.requireNonNull(func, "func is null");
        Objects.requireNonNull(options, "options is null");
        Objects.requireNonNull(scheduler, "scheduler is null");
        return RxJavaPlugins.onAssembly(new CompletableFromJob(func, options, scheduler));
    }
}
