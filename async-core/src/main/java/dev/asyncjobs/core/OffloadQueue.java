package dev.asyncjobs.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The device's submission queue: a ring of at most {@code capacity} calls, and a FIFO of jobs
 * waiting for room in it (linked through the calls themselves, so waiting costs no allocation).
 *
 * <p>Invariants, all under {@code lock}: {@code count <= capacity}; a call is in the ring iff its
 * state is QUEUED; a call is on the room list iff {@code inRoomList}. Every take that frees a slot
 * while the room list is not empty pops its head and wakes it (outside the lock), so a job waiting
 * for room is woken by the device, never by spinning; a job that leaves the room list after being
 * popped without using the slot passes the notice on ({@link #leaveRoom}).
 */
final class OffloadQueue {
    static final int SUBMITTED = 0;
    static final int FULL = 1;
    static final int CLOSED = 2;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final OffloadCall<?>[] ring;
    private int head;
    private int count;
    private int peak;
    private boolean closed;
    private @Nullable OffloadCall<?> roomHead;
    private @Nullable OffloadCall<?> roomTail;

    OffloadQueue(int capacity) {
        ring = new OffloadCall<?>[capacity];
    }

    /**
     * Queues {@code c}, or (queue full) puts it on the room list when {@code waitForRoom}. A job
     * popped from the room list that finds the slot taken by a newcomer goes back to the front.
     */
    int submit(OffloadCall<?> c, boolean waitForRoom) {
        lock.lock();
        try {
            if (closed) {
                unlinkRoom(c);
                return CLOSED;
            }
            if (count < ring.length) {
                unlinkRoom(c);
                c.roomWoken = false;
                ring[(head + count) % ring.length] = c;
                count++;
                if (count > peak) {
                    peak = count;
                }
                c.state = OffloadCall.QUEUED;
                notEmpty.signal();
                return SUBMITTED;
            }
            if (waitForRoom && !c.inRoomList) {
                linkRoom(c, c.roomWoken);
                c.roomWoken = false;
            }
            return FULL;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A device thread's next call, now RUNNING; blocks while the queue is empty. Interrupts are
     * ignored (a device thread stops only when the queue is closed).
     *
     * @return the call, or {@code null} once the queue is closed and empty
     */
    @Nullable OffloadCall<?> take() {
        OffloadCall<?> c;
        OffloadCall<?> roomed;
        lock.lock();
        try {
            while (count == 0) {
                if (closed) {
                    return null;
                }
                notEmpty.awaitUninterruptibly();
            }
            c = ring[head];
            ring[head] = null;
            head = (head + 1) % ring.length;
            count--;
            c.state = OffloadCall.RUNNING;
            roomed = popRoom();
        } finally {
            lock.unlock();
        }
        if (roomed != null) {
            roomed.wake();
        }
        return c;
    }

    /**
     * Takes {@code c} back if no device thread has taken it yet.
     *
     * @return {@code true} if it was QUEUED (now CANCELLED, out of the ring: it will never run)
     */
    boolean withdraw(OffloadCall<?> c) {
        OffloadCall<?> roomed = null;
        lock.lock();
        try {
            if (c.state != OffloadCall.QUEUED) {
                return false;
            }
            int n = ring.length;
            for (int i = 0; i < count; i++) {
                int at = (head + i) % n;
                if (ring[at] == c) {
                    for (int j = i; j < count - 1; j++) {
                        ring[(head + j) % n] = ring[(head + j + 1) % n];
                    }
                    ring[(head + count - 1) % n] = null;
                    count--;
                    break;
                }
            }
            c.state = OffloadCall.CANCELLED;
            roomed = popRoom(); // the slot it frees belongs to the next job waiting for room
            return true;
        } finally {
            lock.unlock();
            if (roomed != null) {
                roomed.wake();
            }
        }
    }

    /** {@code c} gives up waiting for room (cancelled, or about to run inline). */
    void leaveRoom(OffloadCall<?> c) {
        OffloadCall<?> next = null;
        lock.lock();
        try {
            if (c.inRoomList) {
                unlinkRoom(c);
            } else if (c.roomWoken && count < ring.length) {
                next = popRoom(); // it was handed a free slot it will not use: pass it on
            }
            c.roomWoken = false;
        } finally {
            lock.unlock();
        }
        if (next != null) {
            next.wake();
        }
    }

    /**
     * Closes the queue: no more submissions, device threads exit once idle.
     *
     * @return the calls still queued, now RUNNING (the caller completes them with a failure); the
     *     jobs waiting for room are woken and will find the queue closed
     */
    List<OffloadCall<?>> close() {
        List<OffloadCall<?>> drained = new ArrayList<>();
        List<OffloadCall<?>> roomWaiters = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return drained;
            }
            closed = true;
            while (count > 0) {
                OffloadCall<?> c = ring[head];
                ring[head] = null;
                head = (head + 1) % ring.length;
                count--;
                c.state = OffloadCall.RUNNING;
                drained.add(c);
            }
            OffloadCall<?> w;
            while ((w = popRoom()) != null) {
                roomWaiters.add(w);
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        for (OffloadCall<?> w : roomWaiters) {
            w.wake();
        }
        return drained;
    }

    int size() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    int capacity() {
        return ring.length;
    }

    /** The most calls ever queued at once (tests instrument the bound with it). */
    int peak() {
        lock.lock();
        try {
            return peak;
        } finally {
            lock.unlock();
        }
    }

    /** Jobs waiting for room right now (tests). */
    int roomWaiters() {
        lock.lock();
        try {
            int n = 0;
            for (OffloadCall<?> c = roomHead; c != null; c = c.roomNext) {
                n++;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- room list (under lock)

    private void linkRoom(OffloadCall<?> c, boolean first) {
        c.inRoomList = true;
        if (roomHead == null) {
            roomHead = roomTail = c;
        } else if (first) {
            c.roomNext = roomHead;
            roomHead.roomPrev = c;
            roomHead = c;
        } else {
            c.roomPrev = roomTail;
            roomTail.roomNext = c;
            roomTail = c;
        }
    }

    private void unlinkRoom(OffloadCall<?> c) {
        if (!c.inRoomList) {
            return;
        }
        c.inRoomList = false;
        OffloadCall<?> p = c.roomPrev;
        OffloadCall<?> n = c.roomNext;
        if (p == null) {
            roomHead = n;
        } else {
            p.roomNext = n;
        }
        if (n == null) {
            roomTail = p;
        } else {
            n.roomPrev = p;
        }
        c.roomPrev = c.roomNext = null;
    }

    private @Nullable OffloadCall<?> popRoom() {
        OffloadCall<?> c = roomHead;
        if (c != null) {
            unlinkRoom(c);
            c.roomWoken = true;
        }
        return c;
    }
}
