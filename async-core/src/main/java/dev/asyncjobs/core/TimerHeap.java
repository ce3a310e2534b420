package dev.asyncjobs.core;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The timers of one event loop: a binary min-heap of {@link LoopTask}s by deadline (then by
 * scheduling order), owned by the loop thread, as in netty's {@code AbstractScheduledEventExecutor}.
 * The loop runs what is due at the start of each turn and bounds its {@code select} by
 * {@link #nanosToNext}; other threads never touch the heap: they hand the insert (or the removal of
 * a cancelled timer) to the loop as a task, which also wakes it to recompute its timeout.
 *
 * <p>Invariant: a task is in the heap ({@code index >= 0}) only while waiting for its deadline;
 * {@code heap[0]} has the earliest deadline. All deadlines lie within 2^62 ns of the clock, so
 * they compare by subtraction without overflow.
 */
final class TimerHeap {
    /** The loop that owns the heap, as the heap needs it. */
    interface Host {
        /** Whether the caller is the loop thread. */
        boolean inLoop();

        /**
         * Queues a task on the loop.
         *
         * @throws java.util.concurrent.RejectedExecutionException once the loop has stopped
         */
        void post(Runnable task);

        /** Queues a task on the loop; false once it has stopped (the task is dropped). */
        boolean tryPost(Runnable task);

        /** Rejects a timer set on the loop thread itself after the loop has stopped. */
        void checkOpen();
    }

    /** Longest delay or period kept (about 146 years): keeps deadline arithmetic overflow-free. */
    static final long MAX_NANOS = 1L << 62;

    private final LongSupplier clock;
    private final Host host;
    private LoopTask[] heap = new LoopTask[16];
    private int size;
    private long seq;
    private boolean dead;

    TimerHeap(LongSupplier clock, Host host) {
        this.clock = clock;
        this.host = host;
    }

    /**
     * Schedules {@code task}: due now (queued behind the loop's tasks) when {@code delayNanos <= 0},
     * else on the heap.
     *
     * @param periodNanos {@link LoopTask#ONE_SHOT}, or {@code >= 0}
     * @throws java.util.concurrent.RejectedExecutionException once the loop has stopped
     */
    LoopTask schedule(Runnable task, long delayNanos, long periodNanos) {
        long period = periodNanos == LoopTask.ONE_SHOT ? periodNanos : Math.min(periodNanos, MAX_NANOS);
        long delay = Math.min(Math.max(delayNanos, 0L), MAX_NANOS);
        LoopTask t = new LoopTask(this, task, period, delay > 0L || period != LoopTask.ONE_SHOT);
        // The grid of a periodic task starts at its first deadline; the loop thread reads it after
        // the post below, which publishes it.
        t.deadline = clock.getAsLong() + delay;
        if (delay == 0L) {
            host.post(() -> runNow(t));
        } else if (host.inLoop()) {
            host.checkOpen();
            add(t);
        } else {
            host.post(() -> {
                if (!t.isDone()) {
                    add(t);
                }
            });
        }
        return t;
    }

    /** Any thread: takes a cancelled task off the heap, now on the loop thread, else at its next turn. */
    void removeLater(LoopTask t) {
        if (!t.timed) {
            return; // a one-shot task due now is never on the heap: its queued run finds it cancelled
        }
        if (host.inLoop()) {
            remove(t);
        } else {
            host.tryPost(() -> remove(t)); // a stopped loop's heap is gone anyway
        }
    }

    /** Loop thread: runs every timer due at {@code now}, earliest first. */
    void runDue(long now) {
        while (size > 0 && heap[0].deadline - now <= 0) {
            LoopTask t = poll();
            if (t.fire()) {
                reschedule(t);
            }
        }
    }

    /**
     * Loop thread: nanoseconds until the earliest deadline (0 if due), or -1 with no timer.
     *
     * @param now the clock now
     */
    long nanosToNext(long now) {
        return size == 0 ? -1L : Math.max(0L, heap[0].deadline - now);
    }

    /** Loop thread: the clock this heap keeps time with. */
    long now() {
        return clock.getAsLong();
    }

    /** Loop thread, as it stops: every waiting timer ends cancelled; later inserts are refused. */
    void cancelAll() {
        dead = true;
        for (int i = 0; i < size; i++) {
            LoopTask t = heap[i];
            t.index = -1;
            t.dropped();
            heap[i] = null;
        }
        size = 0;
    }

    /** Loop thread: timers on the heap. */
    int size() {
        return size;
    }

    private void runNow(LoopTask t) {
        if (t.fire()) {
            reschedule(t);
        }
    }

    /** Loop thread: after a periodic run that ended normally, its next run. */
    private void reschedule(LoopTask t) {
        if (dead) {
            t.dropped();
            return;
        }
        if (t.period == 0L) {
            if (!host.tryPost(() -> runNow(t))) {
                t.dropped();
            }
            return;
        }
        long end = clock.getAsLong();
        long next = t.deadline + t.period;
        if (next - end <= 0) {
            // overrun or a late loop: skip the grid points already past, no catch-up burst
            long behind = end - t.deadline;
            next = t.deadline + (behind / t.period + 1) * t.period;
        }
        t.deadline = next;
        add(t);
    }

    private void add(LoopTask t) {
        if (dead) {
            t.dropped();
            return;
        }
        t.seq = seq++;
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        siftUp(size++, t);
    }

    private LoopTask poll() {
        LoopTask first = heap[0];
        first.index = -1;
        LoopTask last = heap[--size];
        heap[size] = null;
        if (size > 0) {
            siftDown(0, last);
        }
        return first;
    }

    private void remove(LoopTask t) {
        int i = t.index;
        if (i < 0 || i >= size || heap[i] != t) {
            return;
        }
        t.index = -1;
        LoopTask last = heap[--size];
        heap[size] = null;
        if (i < size) {
            siftDown(i, last);
            if (heap[i] == last) {
                siftUp(i, last);
            }
        }
    }

    private static boolean before(LoopTask a, LoopTask b) {
        long d = a.deadline - b.deadline;
        return d < 0 || (d == 0 && a.seq < b.seq);
    }

    private void siftUp(int k, LoopTask t) {
        while (k > 0) {
            int parent = (k - 1) >>> 1;
            LoopTask p = heap[parent];
            if (!before(t, p)) {
                break;
            }
            heap[k] = p;
            p.index = k;
            k = parent;
        }
        heap[k] = t;
        t.index = k;
    }

    private void siftDown(int k, LoopTask t) {
        int half = size >>> 1;
        while (k < half) {
            int child = 2 * k + 1;
            LoopTask c = heap[child];
            int right = child + 1;
            if (right < size && before(heap[right], c)) {
                child = right;
                c = heap[child];
            }
            if (!before(c, t)) {
                break;
            }
            heap[k] = c;
            c.index = k;
            k = child;
        }
        heap[k] = t;
        t.index = k;
    }
}
