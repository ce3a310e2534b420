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
    private static final VarHandle RUN;
    /** {@link #run} bit: the job of this generation is marked cancelled. */
    private static final long CANCELLED = 1;
    /** {@link #run} bit: a job of this generation is alive (started, not finished). */
    private static final long ALIVE = 2;
    /** {@link #run}: one generation, i.e. one job started on this handle. */
    private static final long GENERATION = 4;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            JOB = l.findVarHandle(JobHandle.class, "job", AsyncJob.class);
            RUN = l.findVarHandle(JobHandle.class, "run", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Written by the owner thread only: set from the start until FINISH.
    volatile @Nullable AsyncJob job;
    /**
     * Which job the handle holds and whether it is cancelled: generation (one per job started on
     * the handle) | ALIVE | CANCELLED. A cancel marks only the generation it saw alive, with one
     * CAS, so a cancel that loses a race with the job's end can never mark the next job started on
     * the reused handle (the old {@code if (job != null) cancelled = true} could, and the next
     * start's reset of the flag could land before the late write).
     */
    private volatile long run;
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
     * so the job can release what it holds and return. Thread-safe. A cancel marks only the job
     * that was alive when it read the handle: one that loses a race with that job's end returns
     * {@code false} and never marks a job started later on the same handle.
     *
     * @return {@code true} if a job was paused (or running) on this handle and is now marked;
     *     {@code false} if the handle is idle
     */
    public boolean cancel() {
        return cancelSeen(run);
    }

    /**
     * Whether {@link #cancel()} was called on the current job (or, once it finished, on the last
     * one, until the next start).
     *
     * @return whether the job is cancelled
     */
    public boolean isCancelled() {
        return (run & CANCELLED) != 0;
    }

    /** The cancel of the job that {@code seen} (a read of {@link #run}) found alive, and no other. */
    boolean cancelSeen(long seen) {
        long s = seen;
        for (;;) {
            if ((s & ALIVE) == 0) {
                return false;
            }
            if ((s & CANCELLED) != 0 || RUN.compareAndSet(this, s, s | CANCELLED)) {
                return true;
            }
            long now = run;
            if ((now & ~(ALIVE | CANCELLED)) != (s & ~(ALIVE | CANCELLED))) {
                return false; // that job ended and the handle moved on: not ours to cancel
            }
            s = now;
        }
    }

    /** The state {@link #cancelSeen} takes (tests replay a late cancel with it). */
    long runState() {
        return run;
    }

    /** Owner, at a new job's start: the next generation, alive and not cancelled. */
    void begin() {
        // a plain volatile write: a racing cancel CASes on the previous value and fails
        run = ((run & ~(ALIVE | CANCELLED)) + GENERATION) | ALIVE;
    }

    /** Owner, at FINISH: not alive any more; the mark stays readable until the next start. */
    void end() {
        RUN.getAndBitwiseAnd(this, ~ALIVE);
    }

    /** Owner: marks the alive job cancelled (a job finished off its own thread). */
    void markCancelled() {
        cancelSeen(run);
    }
}
