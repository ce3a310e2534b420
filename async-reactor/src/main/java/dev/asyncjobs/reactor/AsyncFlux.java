package dev.asyncjobs.reactor;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.OrderedJobs;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Flux;

/**
 * Many pausable jobs as a stage of a {@link Flux}, bounded and in order.
 *
 * <pre>{@code
 * Flux<Signature> signatures = AsyncFlux.mapJobs(documents, doc -> () -> sign(doc), 64);
 * }</pre>
 */
public final class AsyncFlux {
    private AsyncFlux() {
    }

    /**
     * Runs one job per element of {@code source}, with the default options (see
     * {@link #mapJobs(Flux, Function, int, JobOptions)}).
     *
     * @param source the elements
     * @param job makes the job for one element
     * @param maxInFlight the most jobs alive at once, at least 1
     * @param <T> the element type
     * @param <R> the result type
     * @return the results, in source order
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code maxInFlight < 1}
     */
    public static <T, R> Flux<R> mapJobs(Flux<T> source, Function<T, JobFunction<R>> job, int maxInFlight) {
        return mapJobs(source, job, maxInFlight, JobOptions.defaults());
    }

    /**
     * Runs one job per element of {@code source} (as {@link AsyncMono#fromJob(JobFunction, JobOptions)}
     * would) and emits the results in source order.
     *
     * <ul>
     *   <li><b>Bound:</b> at most {@code maxInFlight} jobs are alive (started, paused or waiting
     *       for a slot) at once, and results wait for the earlier ones in at most
     *       {@code maxInFlight} slots: a slot is freed when its result has been emitted in order (or
     *       its job completed empty).</li>
     *   <li><b>Backpressure:</b> {@code source} is asked for {@code maxInFlight} elements first, then
     *       for one more each time a slot frees; nothing is requested ahead of that.</li>
     *   <li><b>Nulls:</b> a job that returns {@code null} contributes no element.</li>
     *   <li><b>Errors and cancel:</b> a job's failure (or {@code job} throwing or returning
     *       {@code null}) cancels the source and every job in flight and is emitted; the source's
     *       error cancels the jobs in flight and is emitted; a downstream cancel cancels both (the
     *       cancelled jobs are resumed cancelled and finish, as with {@link AsyncMono}). Results
     *       the end leaves unemitted (held, or returned by a cancelled job) and elements that arrive
     *       after it go to {@code Operators.onDiscard}; later failures to
     *       {@code Operators.onErrorDropped}, except a {@link java.util.concurrent.CancellationException},
     *       which is a job's expected answer to a cancel.</li>
     *   <li><b>Bad requests:</b> a {@code request(n)} with {@code n <= 0} cancels the source and
     *       the jobs as a downstream cancel does and is signalled as
     *       {@code onError(IllegalArgumentException)} (Reactive Streams §3.9).</li>
     * </ul>
     * Each element launches its job directly ({@link dev.asyncjobs.core.AsyncJobs#launch}, one ctx
     * and one small in-order slot per element, no inner publisher or subscriber); an element that
     * arrives on a job loop thread starts its job right there, with no hop. Results are emitted on
     * the thread that ended the job (or the one that requested): hop with {@code publishOn} before
     * anything that blocks. With {@code io.micrometer:context-propagation} and automatic context
     * propagation on, every segment of every job sees the subscriber's context, as with
     * {@link AsyncMono}. A job that finds its loop's pool full waits for a slot (or fails, per
     * {@link JobOptions#onNoJobs()}), still counted against {@code maxInFlight}.
     *
     * @param source the elements
     * @param job makes the job for one element, on the thread that delivers the element
     * @param maxInFlight the most jobs alive at once, at least 1
     * @param options the loops and pool policy of the jobs
     * @param <T> the element type
     * @param <R> the result type
     * @return the results, in source order
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code maxInFlight < 1}, or if the options have a
     *     {@link dev.asyncjobs.core.JobPlacement#confined confined} placement (the jobs run on job loops)
     */
    public static <T, R> Flux<R> mapJobs(Flux<T> source, Function<T, JobFunction<R>> job, int maxInFlight,
            JobOptions options) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(options, "options");
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, was " + maxInFlight);
        }
        OrderedJobs.requireLoops(options, "AsyncFlux.mapJobs");
        return FluxMapJobs.assemble(new FluxMapJobs<T, R>(source, job, maxInFlight, options));
    }
}
