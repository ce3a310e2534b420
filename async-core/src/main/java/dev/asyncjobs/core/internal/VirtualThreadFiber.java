package dev.asyncjobs.core.internal;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Fibre on a virtual thread: the body runs on its own virtual thread and control is handed back
 * and forth through a volatile {@code turn}.
 *
 * <p>Why it spins: a plain park/unpark hand-off with a platform-thread owner pays two OS thread
 * wake-ups per pause+resume (~34 us measured here). Each side therefore spins for a short, bounded
 * time ({@code asyncjobs.vt.spinNanos}, default 20 us for the owner and half that for the job)
 * before it parks, so a short segment is handed back without any OS wake-up. Parking follows the
 * Dekker pattern: a side announces {@code xParked} before re-reading {@code turn}, the other side
 * writes {@code turn} before reading {@code xParked}, so a wake-up is never lost.
 *
 * <p>Interrupts do not break the hand-off: they are cleared while waiting and restored after.
 */
final class VirtualThreadFiber extends Fiber {
    private static final int OWNER = 0;
    private static final int FIBER = 1;
    private static final int DONE = 2;

    private static final long OWNER_CHECK_NANOS = 2_000_000_000L;
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

    private final Runnable body;
    private volatile int turn = OWNER;
    private volatile boolean ownerParked;
    private volatile boolean fiberParked;
    private @Nullable Thread thread;
    private volatile @Nullable Thread owner;

    VirtualThreadFiber(Runnable body) {
        this.body = body;
    }

    @Override
    public void resume() {
        owner = Thread.currentThread();
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
            turn = FIBER;
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
                // Wake now and then to see whether the owner thread died: a thread that ran jobs
                // and ended without cleanupThread() would otherwise leave this thread parked for
                // good (OpenSSL frees a thread's async state at thread exit).
                LockSupport.parkNanos(this, OWNER_CHECK_NANOS);
                interrupted |= Thread.interrupted();
                Thread o = owner;
                if (turn != FIBER && o != null && !o.isAlive()) {
                    fiberParked = false;
                    return false; // nobody can resume us: the body lets the job run out and ends
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
            wakeOwner();
            LIVE.decrement();
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
