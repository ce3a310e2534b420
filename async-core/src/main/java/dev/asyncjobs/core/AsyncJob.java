package dev.asyncjobs.core;

import dev.asyncjobs.core.internal.Fiber;
import dev.asyncjobs.core.internal.Fibers;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A job: a function that can {@link #pause()} in the middle and be resumed later exactly where it
 * stopped, without holding a thread. This is OpenSSL's {@code ASYNC_JOB} API ({@code
 * ASYNC_start_job(3)}), one static method per C function.
 *
 * <pre>{@code
 * JobHandle<String> handle = new JobHandle<>();
 * try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
 *     StartStatus s = AsyncJob.start(handle, ctx, () -> {
 *         engine.submit(work, AsyncJob.current().waitCtx()); // sets a wait fd
 *         AsyncJob.pause();                                 // frees the thread
 *         return engine.result();
 *     });
 *     while (s == StartStatus.PAUSE) {
 *         waitUntilReadable(ctx.getAllFds());               // select/poll, or an AsyncSelector
 *         s = AsyncJob.start(handle, ctx, null);            // resumes; func is ignored
 *     }
 *     System.out.println(handle.result());
 * }
 * }</pre>
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Per thread, as in OpenSSL: a pool of jobs ({@link #initThread}), at most one running job,
 *       and any number of paused ones. A paused job is resumed only on the thread that started it
 *       and with the ctx it was started with; anything else returns {@link StartStatus#ERR} and
 *       leaves the job paused and intact.</li>
 *   <li>Do not hold a lock ({@code synchronized} or a {@code Lock}) across {@code pause()}: another
 *       job on the same thread may then block on it forever. Wrap such regions in {@link
 *       #blockPause()} / {@link #unblockPause()}.</li>
 *   <li>A pause the JVM refuses (a native frame or a {@code Continuation.pin()} on the stack) makes
 *       {@code pause()} return {@code false}; the job goes on, nothing is corrupted.</li>
 *   <li>Deep recursion ends in a {@link StackOverflowError} reported as the job's failure: job
 *       stacks grow like any Java stack (OpenSSL's fixed 32 KiB stacks corrupt memory instead).
 *       Any other {@link VirtualMachineError} (e.g. {@link OutOfMemoryError}) is not a job failure:
 *       the job is finished and its slot freed, then {@code start} rethrows the error.</li>
 *   <li>Inside a job, {@code Thread.currentThread()} and plain {@code ThreadLocal}s are not part of
 *       the contract: with the continuation backend they are the starting thread's, with the
 *       virtual-thread backend the job's own thread's.</li>
 * </ul>
 *
 * <h2>Backends</h2>
 * {@code continuation} ({@code jdk.internal.vm.Continuation}, when the JVM runs with {@code
 * --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}, or {@code =dev.asyncjobs.core} on the module
 * path) or {@code virtual-thread} (each job is a virtual thread and control is handed back and
 * forth). Chosen once at class load; {@link #backend()} says which.
 */
public final class AsyncJob {
    private final JobPool pool;
    private final Fiber fiber;
    private @Nullable JobFunction<?> func;
    private @Nullable JobHandle<?> handle;
    private @Nullable AsyncWaitCtx ctx;
    private @Nullable Thread owner;
    /** The state of the thread running the current segment: where steps deferred inside it go. */
    private @Nullable ThreadState driver;
    private @Nullable SegmentHook hook;
    private @Nullable AutoCloseable scope;
    private @Nullable Object result;
    private @Nullable Throwable failure;
    /** An error another thread survived and handed to this job as a value (not fatal here). */
    private @Nullable Throwable relayed;
    private int blockCount;
    private boolean finished;
    private boolean started;
    private boolean terminating;

    AsyncJob(JobPool pool) {
        this.pool = pool;
        this.fiber = Fibers.create(Fibers.continuations() ? this::runOnce : this::loop);
    }

    /** Runs around each segment of a job, inside it (context propagation for the adapters). */
    interface SegmentHook {
        @Nullable AutoCloseable enter();
    }

    // ---------------------------------------------------------------- OpenSSL's functions

    /**
     * {@code ASYNC_init_thread}: builds this thread's job pool.
     *
     * @param maxSize the most jobs alive (running or paused) at once; 0 means no limit
     * @param initSize how many jobs to make now
     * @return {@code false} for negative sizes, for {@code maxSize > 0 && initSize > maxSize}, and
     *     when this thread already has a pool (an explicit one, or the unlimited one the first
     *     {@link #start} on a thread without a pool makes)
     */
    public static boolean initThread(int maxSize, int initSize) {
        if (maxSize < 0 || initSize < 0 || (maxSize > 0 && initSize > maxSize)) {
            return false;
        }
        ThreadState ts = ThreadState.get();
        if (ts.pool != null || ts.current != null) {
            return false;
        }
        ts.pool = new JobPool(Thread.currentThread(), maxSize, initSize);
        return true;
    }

    /**
     * {@code ASYNC_cleanup_thread}: frees this thread's idle jobs and forgets its pool, so a later
     * {@link #initThread} may build a new one. Unlike OpenSSL, jobs still paused are not leaked:
     * they can still be resumed, finish normally, and are then discarded. A no-op inside a job.
     */
    public static void cleanupThread() {
        ThreadState ts = ThreadState.get();
        JobPool pool = ts.pool;
        if (pool == null || ts.current != null) {
            return;
        }
        ts.pool = null;
        pool.close();
    }

    /**
     * {@code ASYNC_start_job}: starts {@code func} as a new job when {@code job} is idle, or
     * resumes the job paused on {@code job} ({@code func} is then ignored and may be null).
     *
     * @param job the handle; idle to start, holding a paused job to resume
     * @param ctx the wait ctx the job sees through {@link #waitCtx()}; a paused job must be
     *     resumed with the same one
     * @param func the job body (needed only to start)
     * @param <R> the result type
     * @return {@link StartStatus#PAUSE} (the job paused; {@code job.job()} is set),
     *     {@link StartStatus#FINISH} (outcome in {@code job.result()}/{@code job.failure()}),
     *     {@link StartStatus#NO_JOBS} (the pool is at its max) or {@link StartStatus#ERR} (wrong
     *     thread, other ctx, a closed ctx for a new job, or a start from inside a running job;
     *     nothing changed)
     * @throws NullPointerException if {@code job} or {@code ctx} is null, or {@code func} is null
     *     when a new job must start
     * @throws VirtualMachineError when the job function threw one other than {@link
     *     StackOverflowError} (e.g. {@link OutOfMemoryError}): the job has finished and its slot is
     *     free, but a fatal JVM error is rethrown rather than kept as the job's failure
     */
    public static <R extends @Nullable Object> StartStatus start(JobHandle<R> job, AsyncWaitCtx ctx,
            @Nullable JobFunction<R> func) {
        return start(job, ctx, func, null);
    }

    static <R extends @Nullable Object> StartStatus start(JobHandle<R> handle, AsyncWaitCtx ctx,
            @Nullable JobFunction<R> func, @Nullable SegmentHook hook) {
        Objects.requireNonNull(handle, "job");
        Objects.requireNonNull(ctx, "ctx");
        ThreadState ts = ThreadState.get();
        if (ts.current != null) {
            return StartStatus.ERR; // one running job per thread: no nested or re-entrant start
        }
        AsyncJob job = handle.job;
        if (job == null) {
            Objects.requireNonNull(func, "func");
            if (ctx.isClosed()) {
                return StartStatus.ERR;
            }
            JobPool pool = ts.pool;
            if (pool == null) {
                pool = ts.pool = new JobPool(Thread.currentThread(), 0, 0);
            }
            job = pool.acquire();
            if (job == null) {
                return StartStatus.NO_JOBS;
            }
            handle.begin();
            handle.result = null;
            handle.failure = null;
            job.func = func;
            job.handle = handle;
            JobHandle.JOB.setRelease(handle, job);
            job.ctx = ctx;
            job.owner = Thread.currentThread();
            job.hook = hook;
        } else if (job.owner != Thread.currentThread() || job.ctx != ctx) {
            return StartStatus.ERR;
        }
        return job.runSegment(ts, handle, false);
    }

    /**
     * Resumes a paused job on a thread that is not its owner, so it can finish cancelled. Used only
     * when a scheduler broke thread confinement: the job must not be abandoned. On FINISH the job
     * is discarded instead of going back to its owner's pool.
     */
    static <R extends @Nullable Object> StartStatus resumeForeign(JobHandle<R> handle) {
        ThreadState ts = ThreadState.get();
        AsyncJob job = handle.job;
        if (ts.current != null || job == null) {
            return StartStatus.ERR;
        }
        handle.markCancelled();
        return job.runSegment(ts, handle, true);
    }

    private <R extends @Nullable Object> StartStatus runSegment(ThreadState ts, JobHandle<R> h,
            boolean foreign) {
        ts.current = this;
        driver = ts;
        started = true;
        try {
            fiber.resume();
        } finally {
            ts.current = null;
            driver = null;
        }
        if (!finished) {
            ts.drain(); // resumes that other jobs asked for from inside this segment
            return StartStatus.PAUSE;
        }
        @SuppressWarnings("unchecked")
        R r = (R) result;
        Throwable f = failure;
        Throwable relayedError = relayed;
        h.result = r;
        h.failure = f;
        JobHandle.JOB.setRelease(h, null);
        h.end();
        fiber.finished();
        recycle();
        if (foreign) {
            pool.releaseForeign(this);
            terminate();
        } else {
            pool.release(this);
        }
        ts.drain();
        if (f instanceof VirtualMachineError fatal && isFatal(fatal) && f != relayedError) {
            // The job is finished and its slot free; the error itself is the JVM's, not the job's
            // result: rethrown to the caller of start() as RxJava's throwIfFatal does.
            throw fatal;
        }
        return StartStatus.FINISH;
    }

    /**
     * Whether a job function's throwable is the JVM's rather than the job's: every {@link
     * VirtualMachineError} except {@link StackOverflowError}, which only says the job recursed too
     * deep (its frames are gone once it is caught) and stays the job's failure.
     */
    static boolean isFatal(Throwable t) {
        return t instanceof VirtualMachineError && !(t instanceof StackOverflowError);
    }

    /**
     * Called inside a job that rethrows an error another thread caught and survived (the offload
     * engine's device thread): if the job function ends with it, it is the job's failure like any
     * other, not a fatal error of the job's own thread.
     */
    static void relayed(Throwable error) {
        AsyncJob job = ThreadState.get().current;
        if (job != null) {
            job.relayed = error;
        }
    }

    /**
     * {@code ASYNC_pause_job}: inside a job, returns control to the {@link #start} that started
     * or resumed it, which returns {@link StartStatus#PAUSE}; a later {@code start} with the same
     * handle continues here. Outside a job, or while pausing is blocked, returns {@code true} at
     * once and does not pause. In a cancelled job it returns {@code false} at once.
     *
     * @return {@code true} after a normal pause (or none); {@code false} if the job was cancelled
     *     (before or during the pause) or the JVM refused to suspend here
     */
    public static boolean pause() {
        AsyncJob job = ThreadState.get().current;
        return job == null || job.pauseNow();
    }

    /**
     * {@code ASYNC_get_current_job}.
     *
     * @return the job running on this thread, or {@code null} outside a job
     */
    public static @Nullable AsyncJob current() {
        return ThreadState.get().current;
    }

    /**
     * {@code ASYNC_block_pause}: stops the running job from pausing until a matching
     * {@link #unblockPause()}. Nests. The count belongs to the running job (OpenSSL keeps it per
     * thread). A no-op outside a job.
     */
    public static void blockPause() {
        AsyncJob job = ThreadState.get().current;
        if (job != null) {
            job.blockCount++;
        }
    }

    /** {@code ASYNC_unblock_pause}: undoes one {@link #blockPause()}; never below zero. */
    public static void unblockPause() {
        AsyncJob job = ThreadState.get().current;
        if (job != null && job.blockCount > 0) {
            job.blockCount--;
        }
    }

    /**
     * {@code ASYNC_is_capable}.
     *
     * @return {@code true}: jobs can pause on this JVM with either backend
     */
    public static boolean isCapable() {
        return true;
    }

    /**
     * The fibre backend in use, chosen once at class load.
     *
     * @return {@code "continuation"} or {@code "virtual-thread"}
     */
    public static String backend() {
        return Fibers.backend();
    }

    /**
     * Why the continuation backend is not in use (like netty's {@code unavailabilityCause()}).
     *
     * @return the reason, or the empty string when continuations are in use
     */
    public static String continuationUnavailabilityCause() {
        return Fibers.unavailabilityCause();
    }

    /**
     * {@code ASYNC_get_wait_ctx}.
     *
     * @return the wait ctx this job was started with
     */
    public AsyncWaitCtx waitCtx() {
        AsyncWaitCtx c = ctx;
        if (c == null) {
            throw new IllegalStateException("this job has finished");
        }
        return c;
    }

    /**
     * Whether this job was cancelled through {@link JobHandle#cancel()}.
     *
     * @return {@code true} once cancelled
     */
    public boolean isCancelled() {
        JobHandle<?> h = handle;
        return h != null && h.isCancelled();
    }

    // ---------------------------------------------------------------- internals

    /** Runs the current job function once: the whole body on the continuation backend. */
    private void runOnce() {
        JobFunction<?> f = func;
        enterSegment();
        try {
            result = f.run();
        } catch (Throwable t) {
            // StackOverflowError included: the frames above are gone by now. A fatal JVM error is
            // kept too, and rethrown by the owner once the job is finished (runSegment).
            failure = t;
        }
        exitSegment();
        finished = true;
    }

    /** The virtual-thread body: loops over job functions so the thread is reused, as OpenSSL's fibres. */
    private void loop() {
        ThreadState.get().current = this; // this job's own virtual thread
        while (!terminating) {
            runOnce();
            if (!fiber.suspend()) {
                return; // the owner thread died without cleanupThread(): end this virtual thread
            }
        }
    }

    private boolean pauseNow() {
        JobHandle<?> h = handle;
        if (h.isCancelled()) {
            return false;
        }
        if (blockCount > 0) {
            return true;
        }
        exitSegment();
        boolean paused = fiber.suspend();
        if (paused) {
            ctx.resetCounts(); // OpenSSL purges deleted fds when the paused job is resumed
        }
        enterSegment();
        return paused && !h.isCancelled();
    }

    private void enterSegment() {
        SegmentHook h = hook;
        if (h != null) {
            try {
                scope = h.enter();
            } catch (Throwable t) {
                AsyncHooks.onError(t);
            }
        }
    }

    private void exitSegment() {
        AutoCloseable s = scope;
        if (s != null) {
            scope = null;
            try {
                s.close();
            } catch (Throwable t) {
                AsyncHooks.onError(t);
            }
        }
    }

    private void recycle() {
        func = null;
        handle = null;
        ctx = null;
        owner = null;
        hook = null;
        result = null;
        failure = null;
        relayed = null;
        blockCount = 0;
        finished = false;
    }

    /** Lets the body return and releases the fibre; the job is idle or just finished. */
    void terminate() {
        terminating = true;
        if (started && fiber.loops()) {
            fiber.resume(); // lets the looping body return, ending its virtual thread
        }
        fiber.dispose();
    }

    Thread owner() {
        return owner;
    }

    /**
     * Called inside this job's segment: runs {@code step} on the thread driving the segment once
     * the segment has ended (paused or finished), instead of nesting it here.
     */
    void deferAfterSegment(ThreadState.Step step) {
        ThreadState d = driver;
        if (d == null) {
            throw new IllegalStateException("not inside this job's segment");
        }
        d.defer(step);
    }

    JobPool pool() {
        return pool;
    }
}
