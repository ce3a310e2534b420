package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * Drives one launched job to its end: the shared mechanism behind {@link AsyncJobs} and the
 * adapters.
 *
 * <h2>State</h2>
 * {@code state} packs a phase (low 3 bits) and an epoch (the rest). The epoch grows at the start of
 * every segment, so a wake-up armed for one pause can never resume a later one.
 * <pre>
 *  phase      who moves it                    to
 *  NEW        start task (owner)              RUNNING
 *             cancel (any)                    DONE         (the queued start task cleans up)
 *  RUNNING    PAUSE returned (owner)          PAUSED       (fds armed first)
 *             wake/cancel (any)               WOKEN
 *             FINISH (owner)                  DONE
 *             NO_JOBS (owner)                 SLOT_WAIT
 *  WOKEN      PAUSE returned (owner)          RESUMING     (requeued: a yield lets others run)
 *             FINISH (owner)                  DONE
 *  PAUSED     fd ready, callback, cancel      RESUMING     (exactly one wins the CAS)
 *  RESUMING   resume task (owner)             RUNNING, epoch + 1
 *  SLOT_WAIT  slot freed (owner)              NEW          (start task queued)
 *             cancel (any)                    DONE         (cleanup task queued)
 * </pre>
 * At most one task of this runner is queued or running at any time, so the runner itself is that
 * task ({@link #run()}), and the only allocation per job is the runner, its handle and its ctx.
 */
final class JobRunner<R extends @Nullable Object>
        implements JobTicket, Runnable, WaitCallback, FdWatcher.Target, SlotWaiters.Waiter, AsyncJob.SegmentHook,
        ThreadState.Step {
    private static final VarHandle STATE;
    private static final int NEW = 0;
    private static final int RUNNING = 1;
    private static final int WOKEN = 2;
    private static final int PAUSED = 3;
    private static final int RESUMING = 4;
    private static final int SLOT_WAIT = 5;
    private static final int DONE = 6;
    private static final int PHASE = 7;
    private static final int EPOCH = 8;
    /** Token of wake-ups that are not tied to one pause (callback, cancel). */
    private static final int ANY = -1;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(JobRunner.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final JobFunction<R> func;
    private final JobOptions options;
    private final JobObserver<? super R> observer;
    private final Executor executor;
    private final @Nullable JobLoop loop;
    /** Set when the job runs on a {@link JobHost}: it is then also {@link #executor}. */
    private final @Nullable JobHost host;
    /** The loop's or host's counters; null on a user's executor or a host that counts nothing. */
    private final @Nullable LoopCounters counters;
    /** Whether the host was asked to watch fds at an earlier pause (it must then see them go). */
    private boolean hostWatched;
    private final JobHandle<R> handle = new JobHandle<>();
    private final AsyncWaitCtx ctx = new AsyncWaitCtx();
    private volatile int state;
    private volatile boolean cancelled;
    /** Set last, once the observer has been told (or the job was dropped before starting). */
    private volatile boolean done;
    private boolean shutdownCancel;
    /** Set when the job's loop stopped for good: the job fails with this, whatever it returned. */
    private @Nullable Throwable stopError;
    private boolean waitedForSlot;
    /** When the current wait for a slot began (stats), or {@link LoopCounters#NOT_WAITING}. */
    private long slotWaitSince = LoopCounters.NOT_WAITING;
    private @Nullable Thread owner;
    private AsyncSelector.@Nullable Registration registration;
    /** Our place in the thread's FIFO of slot waiters while in SLOT_WAIT (owner thread). */
    private SlotWaiters.@Nullable Node waitNode;
    private @Nullable SlotWaiters waitQueue;
    // JobLoop's list of live runners (loop thread only)
    @Nullable JobRunner<?> prev;
    @Nullable JobRunner<?> next;
    boolean linked;

    JobRunner(JobFunction<R> func, JobOptions options, JobObserver<? super R> observer, Executor executor,
            @Nullable JobLoop loop, @Nullable JobHost host) {
        this.func = func;
        this.options = options;
        this.observer = observer;
        this.executor = executor;
        this.loop = loop;
        this.host = host;
        JobHostCounters hc = host != null ? host.counters() : null;
        this.counters = loop != null ? loop.counters : hc != null ? hc.counters : null;
        ctx.setCallback(this, null); // before the first start, as the adapters' contract says
    }

    // ---------------------------------------------------------------- entry points

    void submit() {
        try {
            executor.execute(this);
        } catch (RejectedExecutionException e) {
            rejectNow(e);
        }
    }

    void rejectNow(Throwable error) {
        if (STATE.compareAndSet(this, NEW, DONE)) {
            ctx.close();
            deliverFailure(error);
            done = true;
        }
    }

    /**
     * The runner's one task: start, resume, or clean up after a cancel. Called inside a job (an
     * inline executor running a wake-up from another job's segment) it waits until that segment
     * ended: resuming or starting a job from inside a job is {@code ERR}, and a paused job must
     * never be failed or closed for it. Called while another step runs on this thread it waits
     * for that step (a flat stack however many wake-ups chain on one thread).
     */
    @Override
    public void run() {
        ThreadState ts = ThreadState.get();
        AsyncJob inside = ts.current;
        if (inside != null) {
            if (!inside.deferAfterSegment(this)) {
                onCleanThread(this);
            }
        } else if (ts.draining) {
            ts.defer(this);
        } else {
            ts.runTrampolined(this);
        }
    }

    @Override
    public void step() {
        int s = state;
        switch (s & PHASE) {
            case NEW -> start(s);
            case RESUMING -> resume(s);
            case DONE -> cleanupNeverRun();
            default -> { } // a stale task: nothing to do
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        handle.cancel();
        for (;;) {
            int s = state;
            switch (s & PHASE) {
                case NEW:
                    if (STATE.compareAndSet(this, s, DONE)) {
                        return; // the queued start task sees DONE and cleans up
                    }
                    break;
                case SLOT_WAIT:
                    if (STATE.compareAndSet(this, s, DONE)) {
                        enqueue(); // nothing is queued: queue the cleanup
                        return;
                    }
                    break;
                case RUNNING:
                    if (STATE.compareAndSet(this, s, (s & ~PHASE) | WOKEN)) {
                        return; // resumed cancelled right after it pauses
                    }
                    break;
                case PAUSED:
                    if (STATE.compareAndSet(this, s, (s & ~PHASE) | RESUMING)) {
                        enqueue();
                        return;
                    }
                    break;
                default:
                    return;
            }
        }
    }

    @Override
    public boolean isDone() {
        return done;
    }

    /** The job loop that runs this job, or null on a confined executor. */
    @Nullable JobLoop loop() {
        return loop;
    }

    /** The ctx callback: an engine asks for a resume, from any thread. */
    @Override
    public boolean onWake(@Nullable Object arg) {
        return wake(ANY);
    }

    @Override
    public void onFdReady(int token) {
        wake(token);
    }

    @Override
    public boolean onSlotFree() {
        int s = state;
        waitNode = null; // the FIFO took us out
        waitQueue = null;
        slotWaitEnded();
        if ((s & PHASE) == SLOT_WAIT && STATE.compareAndSet(this, s, (s & ~PHASE) | NEW)) {
            // Called from inside the pool's release, i.e. inside another job's start(): queue the
            // start, never run it here (nesting would grow the stack with every waiter).
            enqueue();
            return true;
        }
        return false;
    }

    @Override
    public @Nullable AutoCloseable enter() {
        return observer.onSegmentStart();
    }

    /**
     * Virtual-thread backend: the job ran out on its own after its owner died. Its pause may have
     * been answered by nothing (an engine call waited for its device in place), so wake it here:
     * the resume goes to the dead owner's executor, is refused or breaks confinement, and the job
     * is collected off its thread, once. A wake while RESUMING or DONE is ignored.
     */
    @Override
    public void ranOutAlone() {
        wake(ANY);
    }

    /**
     * Runs {@code r} on a new virtual thread, where no job runs: for a step asked for from a job
     * body that runs on its own (its owner died), which has no segment end to defer it to.
     */
    private static void onCleanThread(Runnable r) {
        Thread.ofVirtual().name("asyncjobs-orphan-step").start(r);
    }

    /** Whether this runner's tasks go to a user's executor ({@link AsyncJobs#taskDropped} applies). */
    boolean onUserExecutor() {
        return loop == null;
    }

    /**
     * {@link AsyncJobs#taskDropped}: the user's executor accepted our one queued task and will
     * never run it. As if {@code execute} had thrown: nothing of this job is queued or running, so
     * ending it here races with nothing.
     */
    void dropped(RejectedExecutionException e) {
        rejected(e);
    }

    void cancelForShutdown() {
        shutdownCancel = true;
        cancel();
    }

    /** Loop thread, as the loop stops for good: resume the job cancelled so it ends, then fail it. */
    void failForStop(Throwable reason) {
        stopError = reason;
        cancelForShutdown();
    }

    // ---------------------------------------------------------------- owner thread

    private void start(int s) {
        if (!STATE.compareAndSet(this, s, ((s & ~PHASE) + EPOCH) | RUNNING)) {
            step(); // cancelled meanwhile
            return;
        }
        if (owner == null) {
            owner = Thread.currentThread();
            if (loop != null) {
                loop.addLive(this);
            } else {
                if (options.confinedPoolSize() > 0) {
                    AsyncJob.initThread(options.confinedPoolSize(), 0); // no-op if the thread has a pool
                }
                if (counters != null) {
                    hostStarted(counters);
                }
            }
        }
        if (loop != null && loop.isShuttingDown()) {
            state = DONE;
            Throwable cause = loop.loop.stopCause();
            finish(null, cause == null ? new RejectedExecutionException("the job loop group is closed")
                    : new RejectedExecutionException(loop.name() + " stopped: " + cause, cause));
            return;
        }
        segment();
    }

    private void resume(int s) {
        count(LoopCounters.RESUMES);
        if (Thread.currentThread() != owner) {
            confinementBroken();
            return;
        }
        state = ((s & ~PHASE) + EPOCH) | RUNNING; // only this task leaves RESUMING: no race
        if (loop != null) {
            loop.watcher().disarm(ctx);
        } else {
            AsyncSelector.Registration reg = registration;
            if (reg != null) {
                registration = null;
                reg.cancel();
            }
        }
        if (cancelled) {
            handle.cancel(); // a cancel that came before the job first started reached no handle mark
        }
        segment();
    }

    private void segment() {
        StartStatus st;
        try {
            st = AsyncJob.start(handle, ctx, func, this);
        } catch (Throwable t) {
            if (AsyncJob.isFatal(t)) {
                endFatally(t);
                throw t; // precise rethrow: start() throws nothing checked
            }
            // not from the job function (that is caught inside): a fibre failure; never hang
            STATE.getAndSet(this, DONE);
            finish(null, t);
            return;
        }
        switch (st) {
            case FINISH -> {
                STATE.getAndSet(this, DONE);
                finish(handle.result(), handle.failure());
            }
            case PAUSE -> paused();
            case NO_JOBS -> noJobs();
            case ERR -> {
                // only a start from inside a running job could get here, and run() defers a step
                // called inside a job until its segment ended: not reached for a paused job
                STATE.getAndSet(this, DONE);
                finish(null, new IllegalStateException("AsyncJob.start returned ERR: a job cannot be"
                        + " started from inside another job on the same thread"));
            }
        }
    }

    private void paused() {
        count(LoopCounters.PAUSES);
        int s = state;
        int epoch = s & ~PHASE;
        if (cancelled) {
            // cancelled in this very segment; the job paused anyway: resume it again at once
        } else if (loop != null) {
            FdWatcher w = loop.watcher();
            FdWatcher.Plan plan = w.plan(ctx);
            w.arm(plan, this, epoch);
        } else if (host != null) {
            if (hostWatched || !ctx.liveFds().isEmpty()) {
                hostWatched = true;
                registration = host.watch(ctx, () -> wake(epoch));
            }
        } else if (!ctx.liveFds().isEmpty() || options.confinedSelector().knows(ctx)) {
            registration = options.confinedSelector().watch(ctx, () -> wake(epoch));
        }
        for (;;) {
            s = state;
            int phase = s & PHASE;
            if (phase == RUNNING && !cancelled) {
                if (STATE.compareAndSet(this, s, (s & ~PHASE) | PAUSED)) {
                    return;
                }
            } else if (phase == RUNNING || phase == WOKEN) {
                if (STATE.compareAndSet(this, s, (s & ~PHASE) | RESUMING)) {
                    // woken while it ran (a dasync-style callback before pausing, a QAT-style yield,
                    // or a cancel): go to the back of the queue so the others get a turn
                    enqueue();
                    return;
                }
            } else {
                return; // RESUMING already (the fd fired on this thread during arm)
            }
        }
    }

    private void noJobs() {
        if (options.onNoJobs() == NoJobsPolicy.FAIL) {
            STATE.getAndSet(this, DONE);
            finish(null, new RejectedExecutionException("no free job slot on " + Thread.currentThread().getName()
                    + " (pool at its max; NoJobsPolicy.FAIL)"));
            return;
        }
        ThreadState ts = ThreadState.get();
        JobPool pool = ts.pool;
        int s = state;
        if (pool == null || (s & PHASE) != RUNNING || !STATE.compareAndSet(this, s, (s & ~PHASE) | SLOT_WAIT)) {
            STATE.getAndSet(this, DONE); // cancelled while trying
            finish(null, null);
            return;
        }
        // FIFO; a waiter that lost its slot to a newcomer goes back to the front
        SlotWaiters q = SlotWaiters.here(pool);
        waitQueue = q;
        waitNode = q.add(this, waitedForSlot);
        waitedForSlot = true;
        if (counters != null && linked) {
            slotWaitSince = counters.slotWaitBegins();
        }
    }

    /**
     * Queues the next segment (a resume, or a cancelled slot waiter's cleanup), also on the job's
     * own thread, never running it inline: whoever wakes the job (a future completed by user code, a
     * cancel from a framework) may hold a monitor, and a continuation that pauses takes the running
     * thread's monitors with it (JDK 25; JobLoopLaunchTest). A task of the loop or host runs
     * the segment with nothing held; from the loop's own thread that is an append, no wake-up.
     */
    private void enqueue() {
        try {
            if (loop != null) {
                loop.loop.enqueue(this); // internal: accepted while the loop drains on close
            } else {
                executor.execute(this);
            }
        } catch (RejectedExecutionException e) {
            rejected(e);
        }
    }

    /**
     * The user's executor refused our task (it was shut down): nothing will run on the job's
     * thread again. Finish the job here, cancelled, and tell the observer once.
     */
    private void rejected(RejectedExecutionException e) {
        int s = state;
        switch (s & PHASE) {
            case NEW -> rejectNow(e);
            case DONE -> cleanupNeverRun();
            case RESUMING -> {
                AsyncJob inside = ThreadState.get().current;
                if (inside != null) {
                    // inside a job here: finish it once that segment ended, never close it paused
                    if (!inside.deferAfterSegment(this)) {
                        onCleanThread(() -> rejected(e)); // a body running on its own: no segment end
                    }
                    return;
                }
                count(LoopCounters.RESUMES);
                if (finishHere() == StartStatus.ERR) {
                    AsyncHooks.onError(new IllegalStateException("asyncjobs: a paused job could not be"
                            + " finished after its executor rejected the resume", e));
                }
                finish(null, e);
            }
            default -> AsyncHooks.onError(e);
        }
    }

    private boolean wake(int token) {
        for (;;) {
            int s = state;
            if (token != ANY && token != (s & ~PHASE)) {
                return false; // armed for an earlier pause
            }
            switch (s & PHASE) {
                case RUNNING:
                    if (STATE.compareAndSet(this, s, (s & ~PHASE) | WOKEN)) {
                        return true;
                    }
                    break;
                case PAUSED:
                    if (STATE.compareAndSet(this, s, (s & ~PHASE) | RESUMING)) {
                        enqueue();
                        return true;
                    }
                    break;
                default:
                    return false;
            }
        }
    }

    /**
     * The job cannot go back to its own thread: drops its fd watch and runs it to its end on this
     * thread (each pause answered at once), then marks the runner DONE.
     *
     * @return how the last segment ended: FINISH, or ERR if the job could not be resumed here
     */
    private StartStatus finishHere() {
        AsyncSelector.Registration reg = registration;
        if (reg != null) {
            registration = null;
            reg.cancel();
        }
        StartStatus st;
        try {
            do {
                st = AsyncJob.resumeForeign(handle);
            } while (st == StartStatus.PAUSE);
        } catch (Throwable fatal) {
            endFatally(fatal);
            throw fatal; // precise rethrow: start() throws nothing checked
        }
        STATE.getAndSet(this, DONE);
        return st;
    }

    /**
     * The job function threw a fatal JVM error ({@link AsyncJob#isFatal}): start() finished the job
     * and freed its slot, then rethrew it. Ends the runner without telling the observer (the error
     * is not the job's outcome, as in RxJava's throwIfFatal); the caller rethrows the error.
     */
    private void endFatally(Throwable fatal) {
        count(LoopCounters.FAILED);
        STATE.getAndSet(this, DONE);
        Throwable closeError = closeCtx();
        if (closeError != null) {
            fatal.addSuppressed(closeError);
        }
        unlink();
    }

    /** The scheduler ran our resume on another thread: finish the job there, cancelled, and fail. */
    private void confinementBroken() {
        Thread started = owner;
        finishHere();
        IllegalStateException e = new IllegalStateException("asyncjobs: the job was started on thread '"
                + (started == null ? "?" : started.getName()) + "' but the scheduler resumed it on '"
                + Thread.currentThread().getName() + "'. A job can only be resumed on the thread that"
                + " started it: use a scheduler whose workers are each bound to one thread (Reactor:"
                + " Schedulers.single()/parallel()/boundedElastic()/newSingle(); RxJava: computation()/"
                + "single()/io()/newThread()), or the default job loops.");
        if (handle.failure() != null) {
            e.addSuppressed(handle.failure());
        }
        finish(null, e);
    }

    private void cleanupNeverRun() {
        SlotWaiters.Node n = waitNode;
        SlotWaiters q = waitQueue;
        if (n != null && q != null && Thread.currentThread() == owner) {
            // cancelled in SLOT_WAIT: leave the FIFO now, not when a slot frees (a stuck pool
            // under timeouts would otherwise keep every cancelled waiter)
            waitNode = null;
            waitQueue = null;
            q.remove(n);
            slotWaitEnded();
        }
        Throwable closeError = closeCtx();
        if (closeError != null) {
            AsyncHooks.onError(closeError);
        }
        if (!shutdownCancel) {
            safeDropped(null, null);
        } else if (stopError != null) {
            deliverFailure(stopError);
        } else {
            deliverFailure(new RejectedExecutionException("the job loop group is closed"));
        }
        unlink();
    }

    /** Last step of every end: a loop counts the job live until its ctx is closed and its observer told. */
    private void unlink() {
        if (loop != null) {
            loop.removeLive(this);
        } else if (linked && counters != null) {
            linked = false;
            counters.alive(-1);
        }
        done = true;
    }

    private void finish(@Nullable R value, @Nullable Throwable error) {
        try {
            deliver(value, error);
        } finally {
            unlink();
        }
    }

    private void deliver(@Nullable R value, @Nullable Throwable error) {
        Throwable closeError = closeCtx();
        Throwable stop = stopError;
        if (stop != null) {
            if (error != null) {
                stop.addSuppressed(error);
            }
            if (closeError != null) {
                stop.addSuppressed(closeError);
            }
            deliverFailure(stop);
        } else if (cancelled && !shutdownCancel) {
            safeDropped(value, error != null ? error : closeError);
            if (error != null && closeError != null) {
                AsyncHooks.onError(closeError);
            }
        } else if (error != null) {
            if (closeError != null) {
                error.addSuppressed(closeError);
            }
            deliverFailure(error);
        } else if (closeError != null) {
            deliverFailure(closeError); // exactly one signal: the failed cleanup outranks the value
        } else {
            count(LoopCounters.SUCCEEDED);
            try {
                observer.onSuccess(value);
            } catch (Throwable t) {
                AsyncHooks.onError(t);
            }
        }
    }

    /**
     * Counts on the job's loop or host; only jobs that started there (a refused launch never did).
     * {@code linked} says so on both: a loop links its live runners, a host's are only marked.
     */
    private void count(int counter) {
        LoopCounters c = counters;
        if (c != null && linked) {
            c.inc(counter);
        }
    }

    /** First start on a host (its thread): counted as a loop's addLive counts. */
    private void hostStarted(LoopCounters c) {
        linked = true;
        c.alive(1);
        c.inc(LoopCounters.STARTED);
        JobPool pool = ThreadState.get().pool;
        if (pool != null && pool.max > 0) {
            c.maxJobs(pool.max);
        }
    }

    private void slotWaitEnded() {
        long since = slotWaitSince;
        LoopCounters c = counters;
        if (since != LoopCounters.NOT_WAITING && c != null) {
            slotWaitSince = LoopCounters.NOT_WAITING;
            c.slotWaitEnds(since);
        }
    }

    private @Nullable Throwable closeCtx() {
        try {
            ctx.close();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private void deliverFailure(Throwable error) {
        count(LoopCounters.FAILED);
        try {
            observer.onFailure(error);
        } catch (Throwable t) {
            AsyncHooks.onError(t);
        }
    }

    private void safeDropped(@Nullable R value, @Nullable Throwable error) {
        count(LoopCounters.CANCELLED);
        try {
            observer.onDropped(value, error);
        } catch (Throwable t) {
            AsyncHooks.onError(t);
        }
    }
}
