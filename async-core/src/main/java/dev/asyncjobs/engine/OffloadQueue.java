package dev.asyncjobs.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;

/**
 * The device's submission queue: at most {@code capacity} calls QUEUED, and a FIFO of jobs waiting
 * for room. Everything a job does here is lock-free (CAS only: no lock, no park, no spin-wait), so
 * a job-loop thread never blocks on the device, which BlockHound checks; only the device threads
 * wait, on {@link #ready}.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>{@code free} counts the free slots: a job takes one (CAS) before its call is QUEUED, and
 *       the slot comes back when the call leaves QUEUED (taken by a device thread, withdrawn, or
 *       drained by close), whoever wins the call's state CAS. So QUEUED calls never exceed
 *       {@code capacity}.</li>
 *   <li>Room hand-off without lost wake-ups: a job registers on {@code room}, then looks at
 *       {@code free} again; whoever gives a slot back then notifies the first registered job
 *       (CAS WAITING to NOTIFIED, then wakes it). A job that was notified and does not use the slot
 *       passes the notice on. The same register-then-recheck order guards against {@link #close()}.</li>
 *   <li>{@code ready} holds one permit per queued call (plus one per device thread once closed);
 *       a permit whose call was withdrawn makes a device thread find nothing and wait again.</li>
 * </ul>
 */
final class OffloadQueue {
    static final int SUBMITTED = 0;
    static final int FULL = 1;
    static final int CLOSED = 2;

    private static final VarHandle FREE;
    private static final VarHandle PEAK;
    private static final VarHandle CLOSED_FLAG;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FREE = l.findVarHandle(OffloadQueue.class, "free", int.class);
            PEAK = l.findVarHandle(OffloadQueue.class, "peak", int.class);
            CLOSED_FLAG = l.findVarHandle(OffloadQueue.class, "closed", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int capacity;
    private final int workers;
    private final ConcurrentLinkedQueue<OffloadCall<?>> calls = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedDeque<OffloadCall<?>> room = new ConcurrentLinkedDeque<>();
    private final Semaphore ready = new Semaphore(0);
    private volatile int free;
    private volatile int peak;
    private volatile int closed;

    OffloadQueue(int capacity, int workers) {
        this.capacity = capacity;
        this.workers = workers;
        this.free = capacity;
    }

    /**
     * Job side: queues {@code c} if there is room; otherwise, when {@code waitForRoom}, registers
     * the job to be notified (woken) when a slot frees. A job notified earlier whose slot was taken
     * by a newcomer goes back to the front.
     */
    int submit(OffloadCall<?> c, boolean waitForRoom) {
        if (closed != 0) {
            leaveRoom(c);
            return CLOSED;
        }
        if (!takeSlot()) {
            if (!waitForRoom) {
                return FULL;
            }
            int rs = c.roomState;
            if (rs != OffloadCall.ROOM_WAITING) {
                c.roomState = OffloadCall.ROOM_WAITING;
                if (rs == OffloadCall.ROOM_NOTIFIED) {
                    room.addFirst(c);
                } else {
                    room.addLast(c);
                }
            }
            // registered: a slot given back from now on notifies someone; look once more
            if (closed != 0) {
                leaveRoom(c);
                return CLOSED;
            }
            if (!takeSlot()) {
                return FULL;
            }
            // a slot after all: leave the list (a notice that came meanwhile was for this slot)
            if (c.casRoom(OffloadCall.ROOM_WAITING, OffloadCall.ROOM_NONE)) {
                room.remove(c);
            }
        }
        c.roomState = OffloadCall.ROOM_NONE;
        c.state = OffloadCall.QUEUED;
        calls.offer(c);
        int queued = capacity - free;
        int p;
        while (queued > (p = peak) && !PEAK.compareAndSet(this, p, queued)) {
            // another submit raised it: compare again
        }
        ready.release();
        if (closed != 0 && c.casState(OffloadCall.QUEUED, OffloadCall.CANCELLED)) {
            // closed while queueing and nobody took it: take it back (close saw it or we see close)
            calls.remove(c);
            giveBackSlot();
            return CLOSED;
        }
        return SUBMITTED;
    }

    /**
     * Device side: the next call, now RUNNING; waits while there is none. Interrupts are ignored
     * (a device thread stops only when the queue is closed).
     *
     * @return the call, or {@code null} once the queue is closed and empty
     */
    @Nullable OffloadCall<?> take() {
        return take(true);
    }

    /**
     * Device side: the next call, now RUNNING, if one is queued; never waits.
     *
     * @return the call, or {@code null} if none is queued (or the queue is closed)
     */
    @Nullable OffloadCall<?> poll() {
        return take(false);
    }

    private @Nullable OffloadCall<?> take(boolean wait) {
        for (;;) {
            if (wait) {
                ready.acquireUninterruptibly();
            } else if (!ready.tryAcquire()) {
                return null;
            }
            OffloadCall<?> c = calls.poll();
            if (c == null) {
                if (closed != 0) {
                    ready.release(); // pass the close on to the next device thread
                    return null;
                }
                continue; // the permit of a withdrawn call
            }
            if (c.casState(OffloadCall.QUEUED, OffloadCall.RUNNING)) {
                giveBackSlot();
                return c;
            }
            // withdrawn or drained by close meanwhile: its permit was this one, take the next
        }
    }

    /**
     * Job side: takes {@code c} back if no device thread has taken it yet.
     *
     * @return {@code true} if it was QUEUED (now CANCELLED: it will never run)
     */
    boolean withdraw(OffloadCall<?> c) {
        if (!c.casState(OffloadCall.QUEUED, OffloadCall.CANCELLED)) {
            return false;
        }
        calls.remove(c);
        giveBackSlot();
        return true;
    }

    /** Job side: {@code c} gives up waiting for room (cancelled, closed, or about to run inline). */
    void leaveRoom(OffloadCall<?> c) {
        if (c.casRoom(OffloadCall.ROOM_WAITING, OffloadCall.ROOM_NONE)) {
            room.remove(c);
            return;
        }
        if (c.roomState == OffloadCall.ROOM_NOTIFIED) {
            c.roomState = OffloadCall.ROOM_NONE;
            if (free > 0) {
                notifyRoom(); // it was handed a free slot it will not use: pass the notice on
            }
        }
    }

    /**
     * Closes the queue: later submissions get {@link #CLOSED}, device threads end once idle.
     *
     * @return the calls still queued, now RUNNING (the caller completes them with a failure); the
     *     jobs waiting for room are woken and will find the queue closed
     */
    List<OffloadCall<?>> close() {
        List<OffloadCall<?>> drained = new ArrayList<>();
        if (!CLOSED_FLAG.compareAndSet(this, 0, 1)) {
            return drained;
        }
        OffloadCall<?> c;
        while ((c = calls.poll()) != null) {
            if (c.casState(OffloadCall.QUEUED, OffloadCall.RUNNING)) {
                FREE.getAndAdd(this, 1);
                drained.add(c);
            }
        }
        OffloadCall<?> w;
        while ((w = room.pollFirst()) != null) {
            if (w.casRoom(OffloadCall.ROOM_WAITING, OffloadCall.ROOM_NOTIFIED)) {
                w.wake();
            }
        }
        ready.release(workers);
        return drained;
    }

    /** Calls QUEUED right now (a snapshot). */
    int size() {
        return capacity - free;
    }

    int capacity() {
        return capacity;
    }

    /** The most calls ever QUEUED at once (tests instrument the bound with it). */
    int peak() {
        return peak;
    }

    /** Jobs waiting for room right now (tests). */
    int roomWaiters() {
        int n = 0;
        for (OffloadCall<?> c : room) {
            if (c.roomState == OffloadCall.ROOM_WAITING) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- slots

    private boolean takeSlot() {
        for (;;) {
            int f = free;
            if (f == 0) {
                return false;
            }
            if (FREE.compareAndSet(this, f, f - 1)) {
                return true;
            }
        }
    }

    private void giveBackSlot() {
        FREE.getAndAdd(this, 1);
        notifyRoom();
    }

    /** Wakes the first job still waiting for room, if any. */
    private void notifyRoom() {
        OffloadCall<?> w;
        while ((w = room.pollFirst()) != null) {
            if (w.casRoom(OffloadCall.ROOM_WAITING, OffloadCall.ROOM_NOTIFIED)) {
                w.wake();
                return;
            }
            // it left (cancelled or got a slot on its own): try the next
        }
    }
}
