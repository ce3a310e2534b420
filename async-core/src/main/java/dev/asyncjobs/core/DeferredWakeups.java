package dev.asyncjobs.core;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The selector wake-ups one device thread of an {@link OffloadEngine} holds back while its device
 * is saturated: interrupt coalescing, as network cards and QAT's polling mode do it.
 *
 * <p>Why: a call that completes wakes its job's loop ({@link EventThread#enqueue}: the task is
 * queued, and a loop asleep in {@code select} gets {@code Selector.wakeup()}, an eventfd write).
 * With the device saturated and few cores, each such wake-up also makes the loop take a CPU from a
 * device thread, once per call. While the engine's queue still holds plenty of work, nothing is
 * gained by waking the loop at once: the device stays busy either way, and the job has already
 * waited behind the whole queue. So the device thread records which loops it owes a wake-up and
 * sends them together, one per loop, when any of these holds (checked after each completion and
 * before the device thread waits for work):
 * <ul>
 *   <li>the queue has run low ({@code lowWater} calls or fewer): the loop must refill it before
 *       the device runs dry;</li>
 *   <li>the oldest wake-up held back, plus the time the next call is expected to take (the last
 *       one's), would exceed {@code maxDelayNanos}: a job's resume is never held back by much
 *       more than that (unless one call takes far longer than the one before it);</li>
 *   <li>the device thread is about to wait for work.</li>
 * </ul>
 * Only the selector wake-up is held back: the resume task is queued at once, so a loop that is
 * awake anyway (other tasks, other fds) runs it at once, and a loop that was woken for another
 * reason takes every task queued meanwhile. At light load (queue below the low water mark) nothing
 * is held back at all. {@code -Dasyncjobs.engine.wakeupDelayMicros=0} turns holding back off.
 *
 * <p>Owned by one device thread; no field is shared.
 */
final class DeferredWakeups {
    /**
     * How long a wake-up may be held back: {@code asyncjobs.engine.wakeupDelayMicros}, 1 ms. Measured
     * (ECDSA P-256 on 2 device threads, 2 CPUs): 200 us gave 0.89-0.93x plain JCA, 1-2 ms
     * 0.91-0.99x, 0 (off) 0.81-0.89x; a saturated default queue already holds ~6 ms of ECDSA work.
     */
    static final long DEFAULT_MAX_DELAY_NANOS = Math.max(0L,
            Long.getLong("asyncjobs.engine.wakeupDelayMicros", 1_000L)) * 1_000L;

    /** A thread that may hold back the wake-ups it sends to event threads (a device thread). */
    interface Holder {
        DeferredWakeups deferredWakeups();
    }

    private final long maxDelayNanos;
    private final int lowWater;
    private @Nullable EventThread[] owed = new EventThread[4];
    private int count;
    /** When the oldest owed wake-up was held back; 0 until the first check after it. */
    private long since;
    /** When the previous completion's check ran, or 0 if it owed nothing (so read no clock). */
    private long lastCheck;
    /** Set only while a call completes: a wake-up sent from the work itself is never held back. */
    private boolean open;

    DeferredWakeups(long maxDelayNanos, int lowWater) {
        this.maxDelayNanos = maxDelayNanos;
        this.lowWater = lowWater;
    }

    /** Opens the window in which {@link #defer} accepts wake-ups (around one completion); a delay of 0 never does. */
    void open() {
        open = maxDelayNanos > 0;
    }

    void close() {
        open = false;
    }

    /**
     * Called by {@link EventThread#enqueue} on this device thread: holds back the wake-up of
     * {@code loop} if the window is open.
     *
     * @return {@code true} if held back (the caller sends nothing now)
     */
    boolean defer(EventThread loop) {
        if (!open) {
            return false;
        }
        EventThread[] o = owed;
        for (int i = 0; i < count; i++) {
            if (o[i] == loop) {
                return true;
            }
        }
        if (count == 0) {
            since = 0; // stamped by the check that follows this completion (one clock read per call)
        } else if (count == o.length) {
            owed = o = Arrays.copyOf(o, count * 2);
        }
        o[count++] = loop;
        return true;
    }

    /** Whether a wake-up is owed. */
    boolean pending() {
        return count != 0;
    }

    /**
     * After a completion: sends the owed wake-ups if the queue has run low or holding them longer
     * would exceed the delay (see the class description). Reads the clock and the queue (a line
     * every submitter writes) only when something is owed.
     *
     * @param queue the engine's queue
     */
    void afterCompletion(OffloadQueue queue) {
        if (count == 0) {
            lastCheck = 0;
            return;
        }
        long now = System.nanoTime();
        // when the previous completion was checked too, the time since is one call's work: the
        // next call is expected to take as long (unknown otherwise: then only the delay counts)
        long nextWork = lastCheck != 0 ? now - lastCheck : 0;
        lastCheck = now;
        if (since == 0) {
            since = now;
        }
        if (queue.size() <= lowWater || now - since + nextWork >= maxDelayNanos) {
            flush();
        }
    }

    /** Sends every owed wake-up (each loop that still sleeps is woken once). Never throws. */
    void flush() {
        EventThread[] o = owed;
        int n = count;
        count = 0;
        for (int i = 0; i < n; i++) {
            EventThread e = o[i];
            o[i] = null;
            try {
                e.wakeup();
            } catch (Throwable t) {
                AsyncHooks.onError(t); // e.g. a selector closed under us: the others still get theirs
            }
        }
    }
}
