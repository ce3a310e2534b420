package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.OrderedJobs;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.functions.Function;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.util.Objects;

/**
 * Jobs as a {@link Flowable} stage.
 *
 * <pre>{@code
 * Flowable<Signature> sigs = AsyncFlowable.mapJobs(requests, req -> () -> signPausing(req), 64);
 * }</pre>
 */
public final class AsyncFlowable {
    private AsyncFlowable() {
        throw new IllegalStateException("No instances!");
    }

    /**
     * Maps each source item to a job, with at most {@code maxInFlight} jobs alive, on the default
     * job loops. See {@link #mapJobs(Flowable, Function, int, JobOptions)}.
     *
     * @param source the items
     * @param fn makes the job for an item
     * @param maxInFlight the most jobs alive at once, at least 1
     * @param <T> the item type
     * @param <R> the result type
     * @return the results, in source order
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code maxInFlight} is not positive
     */
    public static <T, R> Flowable<R> mapJobs(Flowable<T> source,
            Function<? super T, ? extends JobFunction<? extends R>> fn, int maxInFlight) {
        return mapJobs(source, fn, maxInFlight, JobOptions.defaults());
    }

    /**
     * Maps each source item to a job run with {@code options}, emitting the results in source order.
     *
     * <ul>
     *   <li>Bound and backpressure: {@code maxInFlight} items are requested from the source at
     *       first, and one more each time the oldest job's result has been emitted downstream. So
     *       at most {@code maxInFlight} jobs are alive at once (running, paused or waiting for a
     *       slot), counting finished jobs whose results wait for earlier ones or for downstream
     *       demand, and a slow subscriber stops the source.</li>
     *   <li>Order: results come out in source order, whatever order the jobs end in.</li>
     *   <li>{@code null} results are skipped (the job ran, there is nothing to emit), as for a
     *       {@link AsyncMaybe}; the next item is still requested.</li>
     *   <li>Errors: a job failure, a source error or {@code fn} throwing (or returning {@code
     *       null}) is signalled at once and cancels the source and every job in flight; a cancel
     *       from downstream cancels the source and every job in flight. Cancelled jobs are resumed
     *       cancelled and run to their end, as with {@link AsyncSingle}; what they return is
     *       dropped, what they throw (other than a {@link java.util.concurrent.CancellationException},
     *       the expected answer to a cancel) goes to {@link io.reactivex.rxjava3.plugins.RxJavaPlugins#onError},
     *       as does any failure after the end.</li>
     *   <li>A {@code request(n)} with {@code n <= 0} cancels the source and the jobs as a cancel
     *       does and is signalled as {@code onError(IllegalArgumentException)} (Reactive Streams
     *       §3.9), also for a {@code FlowableSubscriber}, which RxJava does not check itself.</li>
     *   <li>Full pools: a job that finds its loop's pool full waits for a slot (or fails, per
     *       {@link JobOptions#onNoJobs()}), still counted against {@code maxInFlight}.</li>
     * </ul>
     *
     * <p>Each item launches its job directly ({@link dev.asyncjobs.core.AsyncJobs#launch}, one ctx
     * and one small in-order slot per item, no inner {@code Maybe} or subscriber); an item that
     * arrives on a job loop thread starts its job right there, with no hop. Results are emitted on
     * the thread that ended the job (or the one that requested): hop with {@code observeOn} before
     * anything that blocks.
     *
     * @param source the items
     * @param fn makes the job for an item
     * @param maxInFlight the most jobs alive at once, at least 1
     * @param options how to run the jobs
     * @param <T> the item type
     * @param <R> the result type
     * @return the results, in source order
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code maxInFlight} is not positive, or if the options have
     *     a {@link dev.asyncjobs.core.JobPlacement#confined confined} placement (the jobs run on job loops)
     */
    public static <T, R> Flowable<R> mapJobs(Flowable<T> source,
            Function<? super T, ? extends JobFunction<? extends R>> fn, int maxInFlight, JobOptions options) {
        Objects.requireNonNull(source, "source is null");
        Objects.requireNonNull(fn, "fn is null");
        Objects.requireNonNull(options, "options is null");
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight > 0 required but it was " + maxInFlight);
        }
        OrderedJobs.requireLoops(options, "AsyncFlowable.mapJobs");
        return RxJavaPlugins.onAssembly(new FlowableMapJobs<T, R>(source, fn, maxInFlight, options));
    }
}
