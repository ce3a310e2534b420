package dev.asyncjobs.core;

import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;

/**
 * Receives the outcome of a job launched with {@link AsyncJobs#launch}. Exactly one of
 * {@link #onSuccess}, {@link #onFailure} or {@link #onDropped} is called, once, on the thread that
 * ran the job, after the job's ctx was closed (its cleanups ran) and its slot freed. This is what
 * the Reactor and RxJava adapters implement.
 *
 * <p>A job function that throws a fatal JVM error ({@link VirtualMachineError} other than {@link
 * StackOverflowError}) is not reported here, as RxJava's {@code throwIfFatal} and Reactor's {@code
 * throwIfJvmFatal} do: the job is finished, its ctx closed and its slot freed, and the error is
 * rethrown on the job's thread (to the thread's uncaught-exception handler or the code that
 * submitted the task) or, on a job loop, handed to {@link AsyncHooks#onError}.
 *
 * @param <R> the result type
 */
public interface JobObserver<R extends @Nullable Object> {
    /**
     * The job returned.
     *
     * @param value what it returned, possibly {@code null}
     */
    void onSuccess(@Nullable R value);

    /**
     * The job threw, or could not run (no free slot with {@link NoJobsPolicy#FAIL}, closed group,
     * a scheduler that broke thread confinement), or a cleanup of its ctx threw.
     *
     * @param error what went wrong
     */
    void onFailure(Throwable error);

    /**
     * The job ended after {@link JobTicket#cancel()}: nobody wants its outcome any more. By default
     * a failure other than a {@link CancellationException} goes to {@link AsyncHooks#onError}.
     *
     * @param value what the job returned, or {@code null}
     * @param error what it threw, or {@code null}
     */
    default void onDropped(@Nullable R value, @Nullable Throwable error) {
        if (error != null && !(error instanceof CancellationException)) {
            AsyncHooks.onError(error);
        }
    }

    /**
     * Called inside the job when it starts and at every resume; the returned scope is closed at
     * every pause and when the job ends. The adapters restore context (e.g. MDC through
     * context-propagation) here, the way OpenSSL swaps the library context at each job switch.
     *
     * @return a scope to close at the end of the segment, or {@code null}
     */
    default @Nullable AutoCloseable onSegmentStart() {
        return null;
    }
}
