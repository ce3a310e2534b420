package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Maybe;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.util.Objects;

/**
 * A pausable job as a {@link Maybe}: a {@code null} result completes empty, as {@link
 * Maybe#fromCallable}.
 *
 * <pre>{@code
 * Maybe<Session> cached = AsyncMaybe.fromJob(() -> cache.lookupPausing(id)); // null: not cached
 * }</pre>
 *
 * <p>Everything else (one job per subscription, where it runs, failures, dispose, schedulers) is
 * as {@link AsyncSingle} describes.
 */
public final class AsyncMaybe {
    private AsyncMaybe() {
        throw new IllegalStateException("No instances!");
    }

    /**
     * A {@code Maybe} that runs {@code func} as a job on the default job loops for each subscriber.
     *
     * @param func the job; returns the value, or {@code null} for empty
     * @param <R> the value type
     * @return the lazy {@code Maybe}
     * @throws NullPointerException if {@code func} is null
     */
    public static <R> Maybe<R> fromJob(JobFunction<? extends R> func) {
        return fromJob(func, JobOptions.defaults());
    }

    /**
     * A {@code Maybe} that runs {@code func} as a job with {@code options} for each subscriber.
     *
     * @param func the job; returns the value, or {@code null} for empty
     * @param options how to run it
     * @param <R> the value type
     * @return the lazy {@code Maybe}
     * @throws NullPointerException if an argument is null
     */
    public static <R> Maybe<R> fromJob(JobFunction<? extends R> func, JobOptions options) {
        Objects.requireNonNull(func, "func is null");
        Objects.requireNonNull(options, "options is null");
        return RxJavaPlugins.onAssembly(new MaybeFromJob<>(func, options, null));
    }

    /**
     * A {@code Maybe} that runs {@code func} as a job on a new worker of the thread-confined
     * {@code scheduler} for each subscriber.
     *
     * @param func the job; returns the value, or {@code null} for empty
     * @param options how to run it
     * @param scheduler a thread-confined scheduler
     * @param <R> the value type
     * @return the lazy {@code Maybe}
     * @throws NullPointerException if an argument is null
     */
    public static <R> Maybe<R> fromJob(JobFunction<? extends R> func, JobOptions options, Scheduler scheduler) {
        Objects.requireNonNull(func, "func is null");
        Objects.requireNonNull(options, "options is null");
        Objects.requireNonNull(scheduler, "scheduler is null");
        return RxJavaPlugins.onAssembly(new MaybeFromJob<>(func, options, scheduler));
    }
}
