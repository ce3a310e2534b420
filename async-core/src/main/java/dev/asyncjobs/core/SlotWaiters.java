package dev.asyncjobs.core;

import org.jspecify.annotations.Nullable;

/**
 * The launched jobs waiting for a slot of their thread's pool ({@link NoJobsPolicy#WAIT}), in FIFO
 * order: the runtime's queue, kept out of the OpenSSL pool ({@link JobPool} only says when a slot
 * frees, through its one listener).
 *
 * <p>One per thread, made on first use; every pool the thread gets (after {@code cleanupThread()}
 * and a new {@code initThread()}) notifies it, so a waiter of an old pool is still served when a
 * job of that pool finishes. Owner thread only: a pool releases its slots on its owner thread.
 * A waiter that gives up (a cancelled launch, a {@code timeout()}) leaves the queue at once in
 * O(1): the waiters of a stuck pool must not pile up until a slot frees.
 */
final class SlotWaiters implements Runnable {
    private static final ThreadLocal<SlotWaiters> HERE = ThreadLocal.withInitial(SlotWaiters::new);

    /** Someone waiting for a slot; returns false if it no longer wants one. */
    interface Waiter {
        boolean onSlotFree();
    }

    /** A waiter's place in the FIFO; {@code waiter == null} once it left the queue. */
    static final class Node {
        @Nullable Waiter waiter;
        @Nullable Node prev;
        @Nullable Node next;

        Node(Waiter waiter) {
            this.waiter = waiter;
        }
    }

    // a doubly linked FIFO (head is served first)
    private @Nullable Node head;
    private @Nullable Node tail;
    private int count;

    private SlotWaiters() {
    }

    /** This thread's waiters, listening to {@code pool} from now on. */
    static SlotWaiters here(JobPool pool) {
        SlotWaiters w = HERE.get();
        pool.onSlotFreed(w);
        return w;
    }

    /** This thread's waiters (tests). */
    static SlotWaiters here() {
        return HERE.get();
    }

    /** Queues a waiter (at the front if it already waited and lost its slot to a newcomer). */
    Node add(Waiter waiter, boolean first) {
        Node n = new Node(waiter);
        Node h = head;
        Node t = tail;
        if (h == null || t == null) {
            head = tail = n;
        } else if (first) {
            n.next = h;
            h.prev = n;
            head = n;
        } else {
            n.prev = t;
            t.next = n;
            tail = n;
        }
        count++;
        return n;
    }

    /** Takes a waiter that gave up out of the FIFO; a no-op if it already left. */
    void remove(Node n) {
        if (n.waiter != null) {
            unlink(n);
        }
    }

    /** A slot freed: the first waiter that still wants it gets it. */
    @Override
    public void run() {
        Node n;
        while ((n = head) != null) {
            Waiter w = n.waiter;
            unlink(n);
            if (w != null && w.onSlotFree()) {
                break;
            }
        }
    }

    /** Waiters in the FIFO (tests). */
    int count() {
        return count;
    }

    private void unlink(Node n) {
        n.waiter = null;
        Node p = n.prev;
        Node x = n.next;
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
        count--;
    }
}
