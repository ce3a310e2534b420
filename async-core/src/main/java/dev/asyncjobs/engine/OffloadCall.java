package dev.asyncjobs.engine;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * One {@link OffloadEngine#call} in flight: the work, its outcome, and how to wake the job that
 * waits for it. The only object a call allocates (besides what the work itself does).
 *
 * <h2>State</h2>
 * <pre>
 *  state      who moves it                          to
 *  NEW        job: the queue accepts it             QUEUED
 *  QUEUED     device thread: takes it (CAS)         RUNNING
 *             close(): drains it (CAS)              RUNNING   (then completed with a rejection)
 *             job: withdraws it (CAS)               CANCELLED (never runs)
 *  RUNNING    device thread: work ended (CAS)       DONE      (then the job is woken)
 *             job: cancelled (CAS)                  CANCELLED (the outcome is discarded)
 * </pre>
 * {@code outcome} and {@code failed} are written before the CAS to DONE and read only after seeing
 * DONE, so the volatile state publishes them. A CAS lost to the other side decides who owns the
 * outcome: exactly one of "the job gets it" and "it is discarded" happens.
 */
final class OffloadCall<T extends @Nullable Object> {
    static final int NEW = 0;
    static final int QUEUED = 1;
    static final int RUNNING = 2;
    static final int DONE = 3;
    static final int CANCELLED = 4;

    static final int ROOM_NONE = 0;
    static final int ROOM_WAITING = 1;
    static final int ROOM_NOTIFIED = 2;

    private static final VarHandle STATE;
    private static final VarHandle ROOM;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(OffloadCall.class, "state", int.class);
            ROOM = l.findVarHandle(OffloadCall.class, "roomState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Callable<T> work;
    /** When the call was made (stats: its queue wait), 0 with the stats off. */
    final long createdAt = EngineCounters.callBegins();
    volatile int state;
    private @Nullable Object outcome;
    private boolean failed;

    // How the job is woken: through its ctx callback (QAT's path) or its engine fd (dasync's path).
    @Nullable WaitCallback callback;
    @Nullable Object callbackArg;
    /** The job loop that runs the job ({@code AsyncJobs.loopOf}): its wake-up may go in a batch. */
    @Nullable Executor loop;
    @Nullable WakeupFd fd;
    /** Set by a job that cannot pause (pausing blocked): it parks and wants an unpark instead. */
    private volatile @Nullable Thread syncWaiter;

    /**
     * Where the job stands on the queue's list of jobs waiting for room: NONE, WAITING (on the
     * list) or NOTIFIED (taken off the list by whoever freed a slot, and woken).
     */
    volatile int roomState;

    OffloadCall(Callable<T> work) {
        this.work = work;
    }

    boolean casState(int from, int to) {
        return STATE.compareAndSet(this, from, to);
    }

    boolean casRoom(int from, int to) {
        return ROOM.compareAndSet(this, from, to);
    }

    /**
     * On a device thread, in state RUNNING: runs the work and hands over the outcome; the
     * wake-up of that hand-over (not anything the work sends) may join a batch of {@code wakeups}.
     */
    void run(DeferredWakeups wakeups) {
        Object out;
        boolean f;
        try {
            out = work.call();
            f = false;
        } catch (Throwable t) {
            out = t;
            f = true;
        }
        // An interrupt left behind by the work must not reach the wake-up (a ctx callback may do
        // interruptible things) nor the next work.
        Thread.interrupted();
        complete(out, f, wakeups);
    }

    /**
     * RUNNING to DONE and wakes the job; if the job was cancelled meanwhile, the outcome is
     * discarded (a failure goes to {@link AsyncHooks}, as a late error has nobody else to reach).
     */
    void complete(@Nullable Object out, boolean f) {
        complete(out, f, null);
    }

    private void complete(@Nullable Object out, boolean f, @Nullable DeferredWakeups wakeups) {
        outcome = out;
        failed = f;
        if (!STATE.compareAndSet(this, RUNNING, DONE)) {
            outcome = null;
            if (f) {
                AsyncHooks.onError((Throwable) out);
            }
            return;
        }
        Thread t = syncWaiter; // read after DONE: pairs with awaitSync's write-then-read
        if (t != null) {
            LockSupport.unpark(t);
        } else if (wakeups == null || !defer(wakeups)) {
            wake();
        }
    }

    /** Puts the callback in the batch for the job's loop; false if the job is woken otherwise. */
    private boolean defer(DeferredWakeups wakeups) {
        WaitCallback cb = callback;
        Executor l = loop;
        return cb != null && l != null && wakeups.defer(l, cb, callbackArg);
    }

    /** Asks for the job to be resumed: callback or fd. Safe from any thread; never throws. */
    void wake() {
        WaitCallback cb = callback;
        if (cb != null) {
            try {
                cb.onWake(callbackArg);
            } catch (Throwable t) {
                AsyncHooks.onError(t); // a callback must not throw; it never kills a device thread
            }
        } else {
            WakeupFd f = fd;
            if (f != null) {
                try {
                    f.signal(); // non-blocking pipe: an interrupt of this thread cannot close it
                } catch (Throwable t) {
                    AsyncHooks.onError(t);
                }
            }
        }
    }

    /**
     * Job side, after a cancel: RUNNING to CANCELLED so the outcome is discarded. An outcome that
     * arrived first is discarded here instead.
     */
    void abandon() {
        if (STATE.compareAndSet(this, RUNNING, CANCELLED)) {
            return;
        }
        if (state == DONE && failed) {
            Object o = outcome;
            outcome = null;
            AsyncHooks.onError((Throwable) o);
        }
        outcome = null;
    }

    /** Job side, when pausing is impossible: waits on the thread until the outcome is in. */
    void awaitSync() {
        boolean interrupted = false;
        syncWaiter = Thread.currentThread();
        while (state == QUEUED || state == RUNNING) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true; // keep waiting: the job cannot give up a call it cannot withdraw
            }
        }
        syncWaiter = null;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Device side, after {@link #run}: whether the work threw (stats). */
    boolean workFailed() {
        return failed;
    }

    /** Job side, after seeing DONE: the value, or the work's own exception as it was thrown. */
    @SuppressWarnings("unchecked")
    T outcome() throws Exception {
        Object o = outcome;
        outcome = null;
        if (!failed) {
            return (T) o;
        }
        Throwable t = (Throwable) o;
        if (t instanceof Exception e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw AsyncJob.relay(e); // the device thread survived it: the call's failure, not fatal here
        }
        throw new UndeclaredThrowableException(t);
    }
}
