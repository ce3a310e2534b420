package dev.asyncjobs.engine;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.WaitCallback;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The completions one device thread of an {@link OffloadEngine} gathers per job loop and hands
 * over in batches: interrupt coalescing, as network cards and QAT's polling mode do it.
 *
 * <p>Why: a call that completes wakes its job through the ctx callback, which queues the resume on
 * the job's loop, and a loop asleep in {@code select} then gets a {@code Selector.wakeup()} (an
 * eventfd write). With the device saturated and few cores, each such wake-up also makes the loop
 * take a CPU from a device thread, once per call. While the engine's queue still holds plenty of
 * work, nothing is gained by waking the loop at once: the device stays busy either way, and the
 * job has already waited behind the whole queue. So the device thread puts each completion's
 * callback in the batch of the job's loop ({@code AsyncJobs.loopOf}, public API) and hands each
 * loop its batch as one task, which calls the callbacks on the loop thread (each resumes its job
 * inline there). It hands the batches over when any of these holds (checked after each completion
 * and before the device thread waits for work):
 * <ul>
 *   <li>the queue has run low ({@code lowWater} calls or fewer): the loop must refill it before
 *       the device runs dry;</li>
 *   <li>the oldest completion held, plus the time the next call is expected to take (the last
 *       one's), would exceed {@code maxDelayNanos};</li>
 *   <li>the device thread is about to wait for work.</li>
 * </ul>
 * The coalescing is the producer's own business: the loops know nothing of engines, they only run
 * the tasks they are given. At light load (queue at or below the low water mark) every batch is
 * handed over right after its one completion. {@code -Dasyncjobs.engine.wakeupDelayMicros=0} turns
 * batching off (each completion calls its callback on the device thread, as other wake-ups do).
 *
 * <h2>The bound holds whatever the next call costs</h2>
 * The device thread cannot hand anything over while it runs a call, and a call may take far longer
 * than the one before it (an RSA key generation after a run of signatures). So each set of held
 * batches has a deadline ({@code maxDelayNanos} after the first completion was held), and the
 * engine's one {@link Timer} thread hands over, at the deadline, whatever a device thread still
 * holds then. The device thread hands its batches over itself in the common case (the conditions
 * above, checked between calls); the timer only catches batches left behind a call that runs past
 * the deadline. Cheap where it matters: the timer parks until the earliest deadline of any device
 * thread and is unparked only when a batch starts while it has no deadline at all. The held
 * batches are guarded by this object's lock, which only the device thread takes except when the
 * timer hands over an overdue set. The figures are in {@code async-benchmarks/RESULTS.md}.
 *
 * <p>Owned by one device thread; only the held batches and their deadline are shared, with the timer.
 */
final class DeferredWakeups {
    /**
     * How long a completion may be held: {@code asyncjobs.engine.wakeupDelayMicros}, 1 ms. A
     * saturated default queue already holds several milliseconds of work, so the job's wait grows
     * little, while the loop is woken once per batch instead of once per call.
     */
    static final long DEFAULT_MAX_DELAY_NANOS = Math.max(0L,
            Long.getLong("asyncjobs.engine.wakeupDelayMicros", 1_000L)) * 1_000L;

    /**
     * The completions for one loop: a task that wakes each job on the loop thread. Filled under the
     * holder's lock, then handed to the loop and never touched by the device thread again.
     */
    static final class Batch implements Runnable {
        final Executor loop;
        private WaitCallback[] callbacks = new WaitCallback[4];
        private @Nullable Object[] args = new Object[4];
        private int size;

        Batch(Executor loop) {
            this.loop = loop;
        }

        void add(WaitCallback cb, @Nullable Object arg) {
            if (size == callbacks.length) {
                callbacks = Arrays.copyOf(callbacks, size * 2);
                args = Arrays.copyOf(args, size * 2);
            }
            callbacks[size] = cb;
            args[size] = arg;
            size++;
        }

        /** On the loop thread (or the sender's, if the loop refused the task): wakes every job. */
        @Override
        public void run() {
            for (int i = 0; i < size; i++) {
                try {
                    callbacks[i].onWake(args[i]);
                } catch (Throwable t) {
                    AsyncHooks.onError(t); // a callback must not throw; the others still get theirs
                }
            }
        }

        /** Hands the batch to its loop; a loop that refuses it (stopped) is woken from here. */
        void handOver() {
            try {
                loop.execute(this);
            } catch (Throwable t) {
                if (!(t instanceof RejectedExecutionException)) {
                    AsyncHooks.onError(t);
                }
                run(); // the callbacks find their loop gone and end their jobs: never lose one
            }
        }
    }

    private final long maxDelayNanos;
    private final int lowWater;
    private final Timer timer;
    // guarded by this (the device thread adds and sends; the timer sends an overdue set)
    private @Nullable Batch[] owed = new Batch[4];
    /** Batches held; written under the lock, read without it by the device thread's fast path. */
    private volatile int count;
    /** When the held batches must be handed over by; 0 when nothing is held. Read by the timer. */
    private volatile long deadline;
    // device thread only
    /** When the previous completion's check ran, or 0 if it held nothing (so read no clock). */
    private long lastCheck;

    DeferredWakeups(long maxDelayNanos, int lowWater, Timer timer) {
        this.maxDelayNanos = maxDelayNanos;
        this.lowWater = lowWater;
        this.timer = timer;
    }

    /**
     * On this device thread, as a call completes: puts the job's callback in the batch of its
     * loop. With a delay of 0 nothing is held.
     *
     * @return {@code true} if held (the caller wakes nothing now)
     */
    boolean defer(Executor loop, WaitCallback cb, @Nullable Object arg) {
        if (maxDelayNanos <= 0) {
            return false;
        }
        boolean first;
        synchronized (this) {
            Batch[] o = owed;
            int n = count;
            for (int i = 0; i < n; i++) {
                Batch b = o[i];
                if (b.loop == loop) {
                    b.add(cb, arg);
                    return true;
                }
            }
            if (n == o.length) {
                owed = o = Arrays.copyOf(o, n * 2);
            }
            Batch b = new Batch(loop);
            b.add(cb, arg);
            o[n] = b;
            first = n == 0;
            if (first) {
                long d = System.nanoTime() + maxDelayNanos; // one clock read per set of batches
                deadline = d != 0 ? d : 1;
            }
            count = n + 1;
        }
        if (first) {
            timer.arm();
        }
        return true;
    }

    /** Whether a batch is held. */
    boolean pending() {
        return count != 0;
    }

    /**
     * After a completion: hands the batches over if the queue has run low or holding them longer
     * would exceed the delay (see the class description). Reads the clock and the queue (a line
     * every submitter writes) only when something is held.
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

    /** Hands every held batch to its loop (one task per loop). Never throws. */
    void flush() {
        if (count != 0) {
            send(take());
        }
    }

    /** The timer's part: hands the batches over if their deadline has passed by {@code now}. */
    void flushIfDue(long now) {
        @Nullable Batch[] due = null;
        synchronized (this) {
            long d = deadline;
            if (d != 0 && d - now <= 0) {
                due = takeLocked();
            }
        }
        if (due != null) {
            send(due);
        }
    }

    private synchronized @Nullable Batch[] take() {
        return takeLocked();
    }

    /** Under the lock: the held batches, now the caller's; nothing is held after. */
    private @Nullable Batch[] takeLocked() {
        int n = count;
        @Nullable Batch[] out = Arrays.copyOf(owed, n);
        Arrays.fill(owed, 0, n, null);
        deadline = 0;
        count = 0;
        return out;
    }

    /** Outside the lock: a loop's task may run inline on this thread if the loop refuses it. */
    private static void send(@Nullable Batch[] batches) {
        for (Batch b : batches) {
            if (b != null) {
                b.handOver();
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
                        w.flush(); // nothing is held by now; never leave a batch behind anyway
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
