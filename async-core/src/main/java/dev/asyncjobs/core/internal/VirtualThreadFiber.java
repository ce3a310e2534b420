package dev.asyncjobs.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Fibre on a virtual thread: the body runs on its own virtual thread and control is handed back
 * and forth through a volatile {@code turn}.
 *
 * <p>Why it spins: a plain park/unpark hand-off with a platform-thread owner pays two OS thread
 * wake-ups per pause+resume (tens of microseconds: async-benchmarks/RESULTS.md). Each side therefore spins for a short, bounded
 * time ({@code asyncjobs.vt.spinNanos}, default 20 us for the owner and half that for the job)
 * before it parks, so a short segment is handed back without any OS wake-up. Parking follows the
 * Dekker pattern: a side announces {@code xParked} before re-reading {@code turn}, the other side
 * writes {@code turn} before reading {@code xParked}, so a wake-up is never lost.
 *
 * <p>Interrupts do not break the hand-off: they are cleared while waiting and restored after.
 *
 * <h2>An owner that dies</h2>
 * A thread that ran jobs may end without {@code cleanupThread()} (nobody calls it on a scheduler's
 * threads); its paused and idle jobs' threads would then stay parked for good (OpenSSL frees a
 * thread's async state at thread exit). A waiting job thread parks without a timeout, so it costs
 * nothing while it waits; instead each owner thread has one {@link OwnerWatch}, a virtual thread
 * started with the owner's first job thread, parked in {@code owner.join()}, that unparks the job
 * threads of that owner when it ends. A job thread checks its owner before each park, so a death
 * that comes before the park is not missed either; then {@link #suspend()} returns false and the
 * body lets the job run out and ends the thread.
 */
final class VirtualThreadFiber extends Fiber {
    private static final int OWNER = 0;
    private static final int FIBER = 1;
    private static final int DONE = 2;
    private static final VarHandle TURN;

    static {
        try {
            TURN = MethodHandles.lookup().findVarHandle(VirtualThreadFiber.class, "turn", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final long OWNER_SPIN_NANOS;
    private static final long FIBER_SPIN_NANOS;

    static {
        long spin = Long.getLong("asyncjobs.vt.spinNanos", 20_000L);
        if (Runtime.getRuntime().availableProcessors() < 2) {
            spin = 0; // spinning on one core only delays the other side
        }
        OWNER_SPIN_NANOS = spin;
        FIBER_SPIN_NANOS = spin / 2;
    }

    /**
     * Job threads started and not yet ended, for leak checks ({@link Fibers#liveJobThreads()} says
     * why the JDK cannot tell). Touched once when a pooled job's thread starts and once when it ends.
     */
    static final LongAdder LIVE = new LongAdder();

    /**
     * Times a parked job thread woke and found it was not being resumed, for tests that prove
     * paused and idle jobs cost nothing while they wait ({@link Fibers#idleWakeups()}).
     */
    static final LongAdder IDLE_WAKEUPS = new LongAdder();

    private final Runnable body;
    private volatile int turn = OWNER;
    private volatile boolean ownerParked;
    private volatile boolean fiberParked;
    /** The job's thread; written by the owner, read by an {@link OwnerWatch} too. */
    private volatile @Nullable Thread thread;
    private volatile @Nullable Thread owner;
    /** The watch of {@code owner}, which lists this fibre while its thread lives. */
    private volatile @Nullable OwnerWatch watch;

    VirtualThreadFiber(Runnable body) {
        this.body = body;
    }

    @Override
    public void resume() {
        Thread me = Thread.currentThread();
        if (owner != me) {
            newOwner(me); // once per job thread, unless a foreign thread resumes a cancelled job
        }
        Thread t = thread;
        if (t == null) {
            t = Thread.ofVirtual().name("asyncjobs-job").unstarted(this::main);
            thread = t;
            turn = FIBER;
            LIVE.increment(); // before start(): a started thread is never missed by a count
            try {
                t.start();
            } catch (RuntimeException | Error e) {
                LIVE.decrement();
                throw e;
            }
        } else {
            // A CAS, not a write: a body that ended on its own (its owner died, so it ran its job
            // out; then another thread resumes it, e.g. to finish it cancelled) has set DONE, and
            // overwriting that would wait for a thread that is gone.
            if (!TURN.compareAndSet(this, OWNER, FIBER)) {
                return;
            }
            if (fiberParked) {
                LockSupport.unpark(t);
            }
        }
        if (!spinWhile(FIBER, OWNER_SPIN_NANOS)) {
            boolean interrupted = false;
            ownerParked = true;
            while (turn == FIBER) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            ownerParked = false;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean suspend() {
        turn = OWNER;
        wakeOwner();
        if (!spinWhileNot(FIBER_SPIN_NANOS)) {
            boolean interrupted = false;
            fiberParked = true;
            while (turn != FIBER) {
                // Checked before every park: the owner's watch unparks us after its death, so a
                // death seen neither here nor by that unpark's permit cannot happen.
                Thread o = owner;
                if (o != null && !o.isAlive()) {
                    fiberParked = false;
                    return false; // nobody can resume us: the body lets the job run out and ends
                }
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
                if (turn != FIBER) {
                    IDLE_WAKEUPS.increment();
                }
            }
            fiberParked = false;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return true;
    }

    @Override
    public void finished() {
        // the body loops: it suspended itself after the job, ready for the next one
    }

    @Override
    public boolean loops() {
        return true;
    }

    @Override
    public void dispose() {
        thread = null;
    }

    private void main() {
        try {
            body.run();
        } finally {
            turn = DONE;
            // after DONE (see newOwner): a new owner's watch is either seen here or sees DONE
            OwnerWatch w = watch;
            if (w != null) {
                w.fibers.remove(this);
            }
            wakeOwner();
            LIVE.decrement();
        }
    }

    /** On the owner thread: moves this fibre to {@code me}'s watch (starting it if needed). */
    private void newOwner(Thread me) {
        OwnerWatch old = watch;
        if (old != null) {
            old.fibers.remove(this);
        }
        OwnerWatch w = OwnerWatch.of(me);
        w.fibers.add(this);
        watch = w;
        owner = me;
        if (turn == DONE) {
            // the body ended on its own meanwhile (its owner died) and may have missed this watch
            w.fibers.remove(this);
        }
    }

    /** Called by the owner's watch once the owner has ended. */
    private void ownerDied() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t); // suspend() sees the owner dead and returns false
        }
    }

    /**
     * Ends the waiting job threads of one owner thread when it dies, without polling: one per
     * owner thread that ever ran a job on this backend (not one per job), started on the owner by
     * its first job thread, parked in {@code join()} until the owner ends, then gone.
     *
     * <p>A virtual thread on JDK 24 and later, where {@code join()} on a platform thread (an
     * {@code Object.wait}) unmounts it; on earlier JDKs that wait would pin a carrier thread for
     * the owner's whole life, so a small platform daemon thread is used there instead.
     */
    private static final class OwnerWatch implements Runnable {
        private static final ThreadLocal<OwnerWatch> OF_THREAD = new ThreadLocal<>();
        private static final boolean VIRTUAL = Runtime.version().feature() >= 24;

        final Thread owner;
        /** The fibres whose threads live and whose owner is {@code owner}. */
        final Set<VirtualThreadFiber> fibers = ConcurrentHashMap.newKeySet();

        private OwnerWatch(Thread owner) {
            this.owner = owner;
        }

        /** On {@code me}: its watch, started on first use. */
        static OwnerWatch of(Thread me) {
            OwnerWatch w = OF_THREAD.get();
            if (w == null) {
                w = new OwnerWatch(me);
                Thread.Builder b = VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform().daemon().stackSize(64 * 1024);
                b.name("asyncjobs-owner-watch").start(w);
                OF_THREAD.set(w); // only once started: a failed start is retried by the next job
            }
            return w;
        }

        @Override
        public void run() {
            for (;;) {
                try {
                    owner.join();
                    break;
                } catch (InterruptedException e) {
                    // nobody has a reason to interrupt it; the owner's death is all it waits for
                }
            }
            // join() returned: the owner's end happens-before this, and every fibre it listed
            // was added by the owner itself, so none is missed
            for (VirtualThreadFiber f : fibers) {
                f.ownerDied();
            }
        }
    }

    private void wakeOwner() {
        if (ownerParked) {
            Thread o = owner;
            if (o != null) {
                LockSupport.unpark(o);
            }
        }
    }

    /** Spins while {@code turn == value}; true if it changed within the budget. */
    private boolean spinWhile(int value, long budget) {
        if (turn != value) {
            return true;
        }
        if (budget <= 0) {
            return false;
        }
        long deadline = System.nanoTime() + budget;
        do {
            for (int i = 0; i < 64; i++) {
                Thread.onSpinWait();
                if (turn != value) {
                    return true;
                }
            }
        } while (System.nanoTime() < deadline);
        return false;
    }

    /** Spins until {@code turn == FIBER}; true if it came within the budget. */
    private boolean spinWhileNot(long budget) {
        if (turn == FIBER) {
            return true;
        }
        if (budget <= 0) {
            return false;
        }
        long deadline = System.nanoTime() + budget;
        do {
            for (int i = 0; i < 64; i++) {
                Thread.onSpinWait();
                if (turn == FIBER) {
                    return true;
                }
            }
        } while (System.nanoTime() < deadline);
        return false;
    }
}
