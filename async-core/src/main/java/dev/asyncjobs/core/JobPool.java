package dev.asyncjobs.core;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One thread's job pool ({@code {jobs, curr_size, max_size}} in OpenSSL).
 *
 * <p>Invariants: only the owner thread touches {@code idle}, {@code size} and {@code waiters};
 * {@code size} counts the jobs this pool made that are not discarded (idle + running + paused),
 * and never exceeds {@code max} when {@code max > 0}. A job that finishes on another thread (only
 * possible when a scheduler broke its thread confinement and the job had to be finished there) is
 * discarded and counted in {@code foreignReleases}, which the owner folds into {@code size} when
 * it next runs out of slots.
 */
final class JobPool {
    /** Someone waiting for a slot (FIFO); returns false if it no longer wants one. */
    interface SlotWaiter {
        boolean onSlotFree();
    }

    /**
     * A waiter's place in the FIFO, so a waiter that gives up (a cancelled launch, a {@code
     * timeout()}) leaves the queue at once in O(1): waiters of a stuck pool must not pile up until
     * a slot frees. Owner thread only; {@code waiter == null} once it left the queue.
     */
    static final class WaitNode {
        @Nullable SlotWaiter waiter;
        @Nullable WaitNode prev;
        @Nullable WaitNode next;

        WaitNode(SlotWaiter waiter) {
            this.waiter = waiter;
        }
    }

    /**
     * Idle jobs kept for reuse at most (or {@code init}, if larger). OpenSSL keeps every job until
     * the thread exits, which holds a burst's memory for good; beyond this many idle jobs a finished
     * one is discarded (on the virtual-thread backend that ends its thread).
     */
    static final int IDLE_CAP = Integer.getInteger("asyncjobs.pool.idleCap", 256);

    final int max;
    private final int idleCap;
    private final ArrayDeque<AsyncJob> idle = new ArrayDeque<>();
    private final AtomicInteger foreignReleases = new AtomicInteger();
    private int size;
    private boolean closed;
    // the slot waiters, a doubly linked FIFO (head is served first)
    private @Nullable WaitNode head;
    private @Nullable WaitNode tail;
    private int waiterCount;

    JobPool(int max, int init) {
        this.max = max;
        this.idleCap = Math.max(init, IDLE_CAP);
        for (int i = 0; i < init; i++) {
            idle.push(new AsyncJob(this));
            size++;
        }
    }

    @Nullable AsyncJob acquire() {
        AsyncJob job = idle.poll();
        if (job != null) {
            return job;
        }
        if (max > 0 && size >= max) {
            size -= foreignReleases.getAndSet(0);
            if (size >= max) {
                return null;
            }
        }
        size++;
        return new AsyncJob(this);
    }

    /** A job finished on the owner thread: back to the pool, then the first waiter gets the slot. */
    void release(AsyncJob job) {
        if (closed || idle.size() >= idleCap) {
            size--;
            job.terminate();
        } else {
            idle.push(job);
        }
        WaitNode n;
        while ((n = head) != null) {
            SlotWaiter w = n.waiter;
            unlink(n);
            if (w != null && w.onSlotFree()) {
                break;
            }
        }
    }

    /** A job finished on a foreign thread: it is dropped and its slot handed back lazily. */
    void releaseForeign() {
        foreignReleases.incrementAndGet();
    }

    /** Queues a waiter (at the front if it already waited and lost its slot to a newcomer). */
    WaitNode addWaiter(SlotWaiter waiter, boolean first) {
        WaitNode n = new WaitNode(waiter);
        if (head == null) {
            head = tail = n;
        } else if (first) {
            n.next = head;
            head.prev = n;
            head = n;
        } else {
            n.prev = tail;
            tail.next = n;
            tail = n;
        }
        waiterCount++;
        return n;
    }

    /** Takes a waiter that gave up out of the FIFO; a no-op if it already left. Owner thread. */
    void removeWaiter(WaitNode n) {
        if (n.waiter != null) {
            unlink(n);
        }
    }

    private void unlink(WaitNode n) {
        n.waiter = null;
        WaitNode p = n.prev;
        WaitNode x = n.next;
        if (p != null) {
            p.next = x;
        } else {
            head = x;
        }
        if (x != null) {
            x.prev = p;
        } else {
            tail = p;
        }
        n.prev = n.next = null;
        waiterCount--;
    }

    /** Waiters in the FIFO (owner thread; tests). */
    int waiterCount() {
        return waiterCount;
    }

    int size() {
        return size - foreignReleases.get();
    }

    int idleCount() {
        return idle.size();
    }

    /** cleanupThread(): frees the idle jobs now; paused ones are discarded when they finish. */
    void close() {
        closed = true;
        AsyncJob job;
        while ((job = idle.poll()) != null) {
            size--;
            job.terminate();
        }
    }
}
