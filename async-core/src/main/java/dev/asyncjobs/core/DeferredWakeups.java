package dev.asyncjobs.core;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
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
 *       one's), would exceed {@code maxDelayNanos};</li>
 *   <li>the device thread is about to wait for work.</li>
 * </ul>
 *
 * <p>Only the selector wake-up is held back: the resume task is queued at once, so a loop that is
 * awake anyway (other tasks, other fds) runs it at once, and a loop that was woken for another
 * reason takes every task queued meanwhile. At light load (queue below the low water mark) nothing
 * is held back at all. {@code -Dasyncjobs.engine.wakeupDelayMicros=0} turns holding back off.
 *
 * <h2>The bound holds whatever the next call costs</h2>
 * The device thread cannot send anything while it runs a call, and a call may take far longer
 * than the one before it (an RSA key generation after a run of signatures). So each batch of owed
 * wake-ups has a deadline ({@code maxDelayNanos} after the first was held back), and the engine's
 * one {@link Timer} thread sends, at the deadline, whatever a device thread still owes then. The
 * device thread sends its batch itself in the common case (the conditions above, checked between
 * calls); the timer only catches a batch left behind a call that runs past the deadline. Cheap
 * where it matters: the timer parks until the earliest deadline of any device thread and is
 * unparked only when a batch starts while it has no deadline at all; under steady saturation it
 * wakes about once per delay, briefly, while the device threads keep the once-per-batch wake-ups
 * that coalescing saves. The owed list is guarded by this object's lock, which only the device
 * thread takes except when the timer sends an overdue batch. How many loop and timer wake-ups per
 * call this leaves, measured: async-benchmarks/RESULTS.md (figures behind choices in the source).
 *
 * <p>Owned by one device thread; only the owed list and its deadline are shared, with the timer.
 */
final class DeferredWakeups {
    /**
     * How long a wake-up may be held back: {@code asyncjobs.engine.wakeupDelayMicros}, 1 ms: shorter
     * coalesces less and costs throughput against plain JCA, longer gains little, and a saturated
     * default queue already holds several times that much ECDSA work, so the hold adds little
     * latency (the measured ratios: async-benchmarks/RESULTS.md (figures behind choices in the source)).
     */
    static final long DEFAULT_MAX_DELAY_NANOS = Math.max(0L,
            Long.getLong("asyncjobs.engine.wakeupDelayMicros", 1_000L)) * 1_000L;

    /** A thread that may hold back the wake-ups it sends to event threads (a device thread). */
    interface Holder {
        DeferredWakeups deferredWakeups();
    }

    private final long maxDelayNanos;
    private final int lowWater;
    private final Timer timer;
    // guarded by this (the device thread adds and sends; the timer sends an overdue batch)
    private @Nullable EventThread[] owed = new EventThread[4];
    /** Wake-ups owed; written under the lock, read without it by the device thread's fast path. */
    private volatile int count;
    /** When the owed batch must be sent by; 0 when nothing is owed. Read by the timer. */
    private volatile long deadline;
    // device thread only
    /** When the previous completion's check ran, or 0 if it owed nothing (so read no clock). */
    private long lastCheck;
    /** Set only while a call completes: a wake-up sent from the work itself is never held back. */
    private boolean open;

    DeferredWakeups(long maxDelayNanos, int lowWater, Timer timer) {
        this.maxDelayNanos = maxDelayNanos;
        this.lowWater = lowWater;
        this.timer = timer;
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
        boolean first;
        synchronized (this) {
            EventThread[] o = owed;
            int n = count;
            for (int i = 0; i < n; i++) {
                if (o[i] == loop) {
                    return true;
                }
            }
            if (n == o.length) {
                owed = o = Arrays.copyOf(o, n * 2);
            }
            o[n] = loop;
            first = n == 0;
            if (first) {
                long d = System.nanoTime() + maxDelayNanos; // one clock read per batch
                deadline = d != 0 ? d : 1;
            }
            count = n + 1;
        }
        if (first) {
            timer.arm();
        }
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
        // next call is expected to take as long (unknown otherwise: then the timer bounds it)
        long nextWork = lastCheck != 0 ? now - lastCheck : 0;
        lastCheck = now;
        long d = deadline;
        if (queue.size() <= lowWater || (d != 0 && now + nextWork - d >= 0)) {
            flush();
        }
    }

    /** Sends every owed wake-up (each loop that still sleeps is woken once). Never throws. */
    void flush() {
        if (count != 0) {
            synchronized (this) {
                send();
            }
        }
    }

    /** The timer's part: sends the batch if its deadline has passed by {@code now}. */
    void flushIfDue(long now) {
        synchronized (this) {
            long d = deadline;
            if (d != 0 && d - now <= 0) {
                send();
            }
        }
    }

    /** Under the lock. */
    private void send() {
        EventThread[] o = owed;
        int n = count;
        deadline = 0;
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

    /**
     * One per engine (with a delay above 0): sends what a device thread still owes at its batch's
     * deadline, so a long call cannot hold back the resumes of the calls completed before it.
     * Parks until the earliest deadline, or without a timeout while nothing is owed (no polling);
     * a device thread starting a batch unparks it only then. Ends once every device thread has.
     *
     * <p>No lost arming: a device thread writes its {@code deadline}, then reads {@code idle}; the
     * timer writes {@code idle}, then reads every {@code deadline} again before it parks.
     */
    static final class Timer implements Runnable {
        private final Thread thread;
        private final AtomicInteger devices;
        private DeferredWakeups[] all = new DeferredWakeups[0];
        /** Parked with no deadline to wait for: a new batch must unpark it. */
        private volatile boolean idle;
        private volatile boolean stopped;

        Timer(String name, int devices) {
            this.devices = new AtomicInteger(devices);
            this.thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        /** Before {@link #start()}: the device threads' holders. */
        void watch(DeferredWakeups[] holders) {
            all = holders.clone();
        }

        void start() {
            thread.start();
        }

        Thread thread() {
            return thread;
        }

        /** A batch started: make sure the timer will see its deadline. */
        void arm() {
            if (idle) {
                idle = false;
                LockSupport.unpark(thread);
            }
        }

        /** A device thread has ended (it owes nothing: it sent everything before waiting for work). */
        void deviceEnded() {
            if (devices.decrementAndGet() == 0) {
                stopped = true;
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            DeferredWakeups[] ws = all;
            for (;;) {
                long now = System.nanoTime();
                long next = 0;
                boolean waiting = false;
                for (DeferredWakeups w : ws) {
                    long d = w.deadline;
                    if (d == 0) {
                        continue;
                    }
                    if (d - now <= 0) {
                        w.flushIfDue(now);
                    } else if (!waiting || d - next < 0) {
                        next = d;
                        waiting = true;
                    }
                }
                if (stopped) {
                    for (DeferredWakeups w : ws) {
                        w.flush(); // nothing is owed by now; never leave a wake-up behind anyway
                    }
                    return;
                }
                if (waiting) {
                    LockSupport.parkNanos(this, next - now);
                } else {
                    idle = true;
                    if (!owesAny(ws) && !stopped) {
                        LockSupport.park(this);
                    }
                    idle = false;
                }
                Thread.interrupted(); // nobody should interrupt it; an interrupt must not make it spin
            }
        }

        private static boolean owesAny(DeferredWakeups[] ws) {
            for (DeferredWakeups w : ws) {
                if (w.deadline != 0) {
                    return true;
                }
            }
            return false;
        }
    }
}
