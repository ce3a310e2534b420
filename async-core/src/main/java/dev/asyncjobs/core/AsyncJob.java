package dev.asyncjobs.core;

import dev.asyncjobs.core.internal.Fiber;
import dev.asyncjobs.core.internal.Fibers;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
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
 *         Request r = engine.submit(work, AsyncJob.current().waitCtx()); // sets a wait fd
 *         do {
 *             AsyncJob.pauseOrThrow();                      // frees the thread; a cancel ends the job
 *         } while (!r.isDone());                            // a resume may be spurious: pause again
 *         return r.result();
 *     });
 *     while (s == StartStatus.PAUSE) {
 *         waitUntilReadable(ctx.getAllFds());               // select/poll, or an AsyncSelector
 *         s = AsyncJob.start(handle, ctx, null);            // resumes; func is ignored
 *     }
 *     System.out.println(handle.result());
 * }
 * }</pre>
 *
 * <p>Most job bodies wait on a {@link CompletionStage} from a client library: {@link
 * #await(CompletionStage)} pauses until it completes, woken through the ctx callback (no fd), and
 * cancels it if the job is cancelled. Launched through {@link AsyncJobs} or the adapters, nothing
 * else is needed:
 *
 * <pre>{@code
 * Mono<Page> page = AsyncMono.fromJob(() -> {
 *     Session session = AsyncJob.await(client.connect(host));   // CompletableFuture<Session>
 *     return AsyncJob.await(session.fetch(path));               // a second wait, same job
 * });
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
 *   <li>A cancelled job must stop pausing: {@code pause()} returns {@code false} for the cancel
 *       and throws {@link CancellationException} after 1,000 ignored calls;
 *       {@link #pauseOrThrow()} and {@link #await(CompletionStage)} throw at once.</li>
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
    /**
     * How many times {@link #pause()} returns {@code false} in a cancelled job before it throws.
     * A job that handles its cancel may meet a few such pauses while it releases what it holds
     * (each returns at once); a thousand is far beyond that, yet a job that ignores the result
     * and loops reaches it within microseconds, instead of spinning on its thread forever.
     */
    static final int MAX_IGNORED_PAUSES = 1_000;

    /** Closes the {@link WakeupFd} of an {@link #await} if the ctx is closed while the job waits. */
    private static final WaitFdCleanup CLOSE_AWAIT_FD = (c, key, ch, data) -> ((WakeupFd) data).close();

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
    /** Pauses that returned {@code false} in this job since its cancel (see {@link #ignoredPause()}). */
    private int ignoredPauses;
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

        /**
         * On the job's own thread (virtual-thread backend): the body ran to its end with nobody
         * driving it, because its owner died while it was paused (its pauses returned false). No
         * resume may ever come to collect it, so whoever launched it must be told.
         */
        default void ranOutAlone() {
        }
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
        ts.pool = new JobPool(maxSize, initSize);
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
                pool = ts.pool = new JobPool(0, 0);
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
            pool.releaseForeign();
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
     * Marks {@code error} as relayed: an error that another thread caught and survived (an
     * engine's device thread whose work threw it), which the running job is about to rethrow as
     * its call's failure. If the job function ends with this very error, it is the job's failure
     * ({@link StartStatus#FINISH}, in {@link JobHandle#failure()}) like any other, not a fatal
     * error of the job's own thread that {@link #start} would rethrow. A no-op outside a job.
     *
     * <pre>{@code
     * if (failure instanceof Error e) {
     *     throw AsyncJob.relay(e); // an OutOfMemoryError of the device thread is the call's failure
     * }
     * }</pre>
     *
     * @param error the error handed over by another thread
     * @param <E> its type
     * @return {@code error}, to be thrown
     * @throws NullPointerException if {@code error} is null
     */
    public static <E extends Throwable> E relay(E error) {
        Objects.requireNonNull(error, "error");
        AsyncJob job = ThreadState.get().current;
        if (job != null) {
            job.relayed = error;
        }
        return error;
    }

    /**
     * {@code ASYNC_pause_job}: inside a job, returns control to the {@link #start} that started
     * or resumed it, which returns {@link StartStatus#PAUSE}; a later {@code start} with the same
     * handle continues here. Outside a job, or while pausing is blocked, returns {@code true} at
     * once and does not pause. In a cancelled job it returns {@code false} at once.
     *
     * <p>A job must stop pausing once it sees {@code false} for a cancel. One that ignores it (a
     * {@code for (;;) pause();}) would spin on its thread for ever, starving the other jobs of its
     * loop: after 1,000 such calls, {@code pause()} throws a {@link
     * CancellationException} instead (at every later call too) and reports it once to {@link
     * AsyncHooks}, so the job ends. Code that does not want to check the result uses {@link
     * #pauseOrThrow()} or {@link #await(CompletionStage)}.
     *
     * @return {@code true} after a normal pause (or none); {@code false} if the job was cancelled
     *     (before or during the pause) or the JVM refused to suspend here
     * @throws CancellationException in a cancelled job that has already seen {@code false}
     *     1,000 times
     */
    public static boolean pause() {
        AsyncJob job = ThreadState.get().current;
        return job == null || job.pauseNow();
    }

    /**
     * {@link #pause()} that cannot be ignored: pauses the running job as {@code pause()} does, and
     * throws {@link CancellationException} if the job is cancelled (before or during the pause),
     * so the cancel unwinds the job like an exception. The adapters take a cancelled job that ends
     * with a {@code CancellationException} as a job that did what was asked, and report nothing.
     *
     * <p>As with {@code pause()}, a resume may be spurious (an fd or the callback of an earlier
     * operation): check that what you wait for happened and pause again if not. Outside a job,
     * while pausing is blocked, and when the JVM refuses to suspend here (a native frame or a
     * {@code Continuation.pin()} on the stack), it returns at once without pausing, as {@code
     * pause()} returns {@code true} or {@code false} there: loop on your own condition.
     *
     * <pre>{@code
     * engine.submit(work, fd::signal);
     * do {
     *     AsyncJob.pauseOrThrow();        // a cancel ends the job here
     * } while (!fd.drain());
     * }</pre>
     *
     * @throws CancellationException if the running job is cancelled
     */
    public static void pauseOrThrow() {
        AsyncJob job = ThreadState.get().current;
        if (job != null && (job.handle.isCancelled() || !job.pauseNow() && job.handle.isCancelled())) {
            throw new CancellationException("the job was cancelled");
        }
    }

    /**
     * Waits for {@code stage} and returns its value or throws its failure, as {@link
     * CompletableFuture#join()} would but unwrapped: inside a job it pauses the job (its thread
     * runs other jobs meanwhile), outside a job it blocks the calling thread, as OpenSSL's calls
     * behave outside a job. A job may await any number of stages, one after another: straight-line
     * code with several waits, like a coroutine.
     *
     * <pre>{@code
     * Mono<Order> order = AsyncMono.fromJob(() -> {
     *     User user = AsyncJob.await(users.find(id));          // CompletableFuture<User>
     *     Cart cart = AsyncJob.await(carts.of(user));          // the job's thread is free meanwhile
     *     return AsyncJob.await(orders.place(user, cart));
     * });
     * }</pre>
     *
     * <ul>
     *   <li><b>Wake-up</b> through the job's ctx {@linkplain AsyncWaitCtx#getCallback() callback},
     *       which every job launched by {@link AsyncJobs} or the adapters has: no fd, no syscall.
     *       Without a callback (a caller driving {@link #start} with its own loop, as in OpenSSL),
     *       {@code await} sets a {@link WakeupFd} as a wait fd under a key of its own for the
     *       wait, signals it when the stage completes, and clears and closes it afterwards. The
     *       ctx's other fds may wake the job meanwhile: such a resume pauses again (as with any
     *       pause, an fd left readable resumes the job at every pause until its engine drains
     *       it).</li>
     *   <li><b>Outcome.</b> The stage's value; or its failure, the cause of a {@link
     *       CompletionException} or {@link java.util.concurrent.ExecutionException} (checked
     *       exceptions and errors as they are); a cancelled stage throws its {@link
     *       CancellationException}. A stage already complete returns at once, without pausing.</li>
     *   <li><b>Cancel of the job</b> (before or during the wait): {@code await} cancels {@code
     *       stage.toCompletableFuture()} (the stage itself when it is a {@code CompletableFuture})
     *       and throws {@link CancellationException}. Exactly one outcome: if the stage completed
     *       before it could be cancelled, its value or failure is what {@code await} gives (a
     *       stage's value is never lost), and the job sees its cancel at its next pause.</li>
     *   <li><b>Cannot pause</b> ({@link #blockPause()} in force, or the JVM refuses to suspend):
     *       it waits on the calling thread, as outside a job.</li>
     *   <li>Blocking waits (outside a job, or when it cannot pause) are interruptible: an
     *       interrupt throws {@link InterruptedException}.</li>
     * </ul>
     *
     * @param stage what to wait for
     * @param <T> the value type
     * @return the stage's value
     * @throws Exception the stage's failure, unwrapped
     * @throws CancellationException if the job was cancelled while it waited, or the stage was
     *     cancelled
     * @throws InterruptedException if a blocking wait was interrupted
     * @throws NullPointerException if {@code stage} is null
     */
    public static <T extends @Nullable Object> T await(CompletionStage<T> stage) throws Exception {
        Objects.requireNonNull(stage, "stage");
        CompletableFuture<T> f = future(stage);
        AsyncJob job = ThreadState.get().current;
        if (job != null && !f.isDone()) {
            job.pauseUntilDone(f);
        }
        return outcome(f);
    }

    /**
     * Whether {@link #pause()} would return {@code true} at once without pausing: outside a job, or
     * inside one while {@link #blockPause()} is in force. An engine asks before it pauses, to tell
     * a real resume from a pause that never happened (both return {@code true}), e.g. to run its
     * work inline instead of waiting for a wake-up that is not coming. A cancel is not a block:
     * {@code pause()} then returns {@code false}.
     *
     * @return {@code true} if pausing is blocked here
     */
    public static boolean isPauseBlocked() {
        AsyncJob job = ThreadState.get().current;
        return job == null || job.blockCount > 0;
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
            if (!finished) {
                runOnce();
                SegmentHook h = hook;
                if (driver == null && h != null) {
                    h.ranOutAlone(); // no segment was driving it: its owner died while it was paused
                }
            }
            // else this job ran out on its own (its owner died) and the resume that just came is
            // another thread collecting the outcome (a job finished off its thread): hand control
            // straight back. Running the body again here would run one job's function twice.
            if (!fiber.suspend()) {
                return; // the owner thread died without cleanupThread(): end this virtual thread
            }
        }
    }

    private boolean pauseNow() {
        JobHandle<?> h = handle;
        if (h.isCancelled()) {
            return ignoredPause();
        }
        if (blockCount > 0) {
            return true;
        }
        return suspendHere() && (!h.isCancelled() || ignoredPause());
    }

    /**
     * A pause in a cancelled job: {@code false} up to {@link #MAX_IGNORED_PAUSES} times, then a
     * {@link CancellationException} at every call, so a job that ignores the result cannot spin on
     * its thread for ever (its loop's other jobs and {@code JobLoopGroup.close()} wait for it).
     */
    private boolean ignoredPause() {
        int n = ignoredPauses;
        if (n < MAX_IGNORED_PAUSES) {
            ignoredPauses = n + 1;
            return false;
        }
        CancellationException e = new CancellationException("asyncjobs: the job ignored its cancellation:"
                + " AsyncJob.pause() returned false " + MAX_IGNORED_PAUSES + " times after the job was"
                + " cancelled and it kept pausing. Stop when pause() returns false, or use"
                + " AsyncJob.pauseOrThrow() or AsyncJob.await(stage), which throw CancellationException");
        if (n == MAX_IGNORED_PAUSES) {
            ignoredPauses = n + 1;
            // once per job: the adapters drop a cancelled job's CancellationException silently,
            // and this one points at a bug in the job
            AsyncHooks.onError(e);
        }
        throw e;
    }

    /** Suspends the running job once; {@code false} if the JVM refused (the job simply goes on). */
    private boolean suspendHere() {
        exitSegment();
        boolean paused = fiber.suspend();
        if (paused) {
            ctx.resetCounts(); // OpenSSL purges deleted fds when the paused job is resumed
        }
        enterSegment();
        return paused;
    }

    /** The stage as a future to wait on and cancel; a copy for stages that refuse to be one. */
    private static <T extends @Nullable Object> CompletableFuture<T> future(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture();
        } catch (UnsupportedOperationException e) {
            CompletableFuture<T> f = new CompletableFuture<>();
            stage.whenComplete((v, t) -> {
                if (t != null) {
                    f.completeExceptionally(t);
                } else {
                    f.complete(v);
                }
            });
            return f;
        }
    }

    /**
     * Pauses until {@code f} is done; returns early (not done) when the job cannot pause, and the
     * caller then blocks. A cancel cancels {@code f} and throws, unless {@code f} completed first.
     */
    private void pauseUntilDone(CompletableFuture<?> f) {
        JobHandle<?> h = handle;
        AsyncWaitCtx c = ctx;
        if (h.isCancelled()) {
            cancelAwait(f);
            return;
        }
        if (blockCount > 0) {
            return;
        }
        WaitCallback cb = c.getCallback();
        WakeupFd fd = null;
        Object key = null;
        if (cb != null) {
            Object arg = c.getCallbackArg();
            f.whenComplete((v, t) -> wake(cb, arg));
        } else {
            fd = WakeupFd.open(); // no callback: the caller's loop only watches fds
            key = new Object();
            c.setWaitFd(key, fd.channel(), fd, CLOSE_AWAIT_FD);
            WakeupFd signalled = fd;
            f.whenComplete((v, t) -> signalled.signal()); // ignored once closed
        }
        try {
            // a resume may be spurious (one of the ctx's fds, a late callback): pause again
            while (!f.isDone()) {
                boolean paused = suspendHere();
                if (fd != null) {
                    fd.drain();
                }
                if (h.isCancelled()) {
                    cancelAwait(f);
                    return;
                }
                if (!paused) {
                    return; // the JVM refused: wait on the thread
                }
            }
        } finally {
            if (fd != null) {
                dropAwaitFd(c, key, fd);
            }
        }
    }

    /** The job is cancelled: cancels {@code f} and throws, unless {@code f} completed first. */
    private static void cancelAwait(CompletableFuture<?> f) {
        if (f.cancel(false) || f.isCancelled()) {
            throw new CancellationException("the job was cancelled while it awaited a stage");
        }
    }

    private static void wake(WaitCallback cb, @Nullable Object arg) {
        try {
            cb.onWake(arg);
        } catch (Throwable t) {
            AsyncHooks.onError(t); // a callback must not throw; the completing thread goes on
        }
    }

    private static void dropAwaitFd(AsyncWaitCtx c, Object key, WakeupFd fd) {
        try {
            if (!c.isClosed()) {
                c.clearFd(key); // the caller's loop sees it in getChangedFds().deleted()
            }
        } catch (IllegalStateException closedMeanwhile) {
            // closed by another thread: its close ran our cleanup, which closed the fd
        }
        fd.close(); // a channel still registered with the caller's selector closes at its next select
    }

    /** The value of a done (or, outside a job, pending) future, its failure unwrapped. */
    private static <T extends @Nullable Object> T outcome(CompletableFuture<T> f) throws Exception {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof Exception x) {
                throw x;
            }
            if (t instanceof Error x) {
                throw x;
            }
            throw e;
        }
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
        ignoredPauses = 0;
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

    /**
     * Called inside this job's segment: runs {@code step} on the thread driving the segment once
     * the segment has ended (paused or finished), instead of nesting it here.
     *
     * @return {@code false}, and nothing deferred, if no thread drives this job's code (its body
     *     runs out on its own, see {@link SegmentHook#ranOutAlone()})
     */
    boolean deferAfterSegment(ThreadState.Step step) {
        ThreadState d = driver;
        if (d == null) {
            // a body running on its own (virtual-thread backend, its owner died): no segment end
            return false;
        }
        d.defer(step);
        return true;
    }

    JobPool pool() {
        return pool;
    }
}
