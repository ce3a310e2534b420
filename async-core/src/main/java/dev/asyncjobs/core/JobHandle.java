package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The caller's handle on one job: OpenSSL's {@code ASYNC_JOB **job} plus its {@code int *ret}.
 *
 * <p>Start with a new handle ({@code job()} is {@code null}); after {@link StartStatus#PAUSE}
 * {@link #job()} is the paused job and passing the same handle to {@link AsyncJob#start} resumes
 * it; after {@link StartStatus#FINISH} {@code job()} is {@code null} again and {@link #result()} or
 * {@link #failure()} holds the outcome, and the handle can start a new job.
 *
 * <p>Like the job, a handle belongs to the thread that started the job; only {@link #cancel()} may
 * be called from any thread.
 *
 * @param <R> the job's result type
 */
public final class JobHandle<R extends @Nullable Object> {
    /** Writes {@link #job} with release stores: cancel() on another thread needs order, not a fence. */
    static final VarHandle JOB;

    static {
        try {
            JOB = MethodHandles.lookup().findVarHandle(JobHandle.class, "job", AsyncJob.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Written by the owner thread only: set from the start until FINISH.
    volatile @Nullable AsyncJob job;
    volatile boolean cancelled;
    @Nullable R result;
    @Nullable Throwable failure;

    /** Makes an idle handle. */
    public JobHandle() {
    }

    /**
     * The job started on this handle and not finished (paused, or running), or {@code null}.
     *
     * @return the paused job
     */
    public @Nullable AsyncJob job() {
        return job;
    }

    /**
     * What the last finished job returned ({@code null} if it returned null, failed or is not
     * finished).
     *
     * @return the result
     */
    public @Nullable R result() {
        return result;
    }

    /**
     * What the last finished job threw, or {@code null}.
     *
     * @return the failure
     */
    public @Nullable Throwable failure() {
        return failure;
    }

    /**
     * Marks the paused job cancelled (beyond OpenSSL). When its owner resumes it, the
     * {@link AsyncJob#pause()} it was suspended in returns {@code false}, every later
     * {@code pause()} returns {@code false} at once, and {@link AsyncJob#isCancelled()} is true,
     * so the job can release what it holds and return. Thread-safe.
     *
     * @return {@code true} if a job was paused (or running) on this handle and is now marked;
     *     {@code false} if the handle is idle
     */
    public boolean cancel() {
        if (job == null) {
            return false;
        }
        cancelled = true;
        return true;
    }

    /**
     * Whether {@link #cancel()} was called on the current job.
     *
     * @return whether the job is cancelled
     */
    public boolean isCancelled() {
        return cancelled;
    }
}
