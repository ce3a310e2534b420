package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/**
 * The counters of one {@link JobLoop}, read by {@link JobLoop#stats()}, or of one {@link JobHost}
 * thread, read by {@link JobHostCounters#stats()}.
 *
 * <p>Invariants: the loop thread is the only writer of {@code own} (a plain read, then an opaque
 * write: no lost update with one writer, and no fence or shared atomic on the job's path); readers
 * on any thread use opaque reads, so they see each counter move forward, never torn. The rare
 * writes from other threads (a job of a stopped loop finished where it was found) go to {@code
 * foreign}, atomically, and a read adds both. Two counters read one after the other are not a
 * consistent pair: gauges made of a difference ({@code paused = pauses - resumes}) are clamped at 0.
 *
 * <p>{@code -Dasyncjobs.stats=false} turns every hook into a no-op (a constant the JIT folds): the
 * benchmark baseline, and the escape hatch should the counters ever show up in a profile.
 */
final class LoopCounters {
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("asyncjobs.stats"));

    static final int STARTED = 0;
    static final int PAUSES = 1;
    static final int RESUMES = 2;
    static final int SUCCEEDED = 3;
    static final int FAILED = 4;
    static final int CANCELLED = 5;
    static final int SLOT_WAITS = 6;
    static final int SLOT_WAITS_ENDED = 7;
    static final int SLOT_WAIT_NANOS = 8;
    /** Jobs alive on a host with stats off (a loop counts its own, {@link JobLoop#liveJobs()}). */
    static final int ALIVE = 9;
    private static final int COUNT = 10;
    /**
     * Longs of padding on each side of the counters (128 bytes: a cache line and its prefetched
     * pair): the arrays of a group's loops are allocated together, and two loop threads writing
     * counters on one line would pay a cache miss per job each (false sharing).
     */
    static final int PAD = 16;
    /** "Not waiting for a slot" (a nanoTime value is never compared with it, only tested). */
    static final long NOT_WAITING = Long.MIN_VALUE;

    private static final VarHandle OWN = MethodHandles.arrayElementVarHandle(long[].class);

    /** The loop whose thread writes {@code own}; null for a host's counters. */
    private final @Nullable JobLoop loop;
    /** The host thread that writes {@code own}, when {@code loop} is null. */
    private final @Nullable Thread writer;
    private final long[] own = new long[PAD + COUNT + PAD];
    private final AtomicLongArray foreign = new AtomicLongArray(COUNT);
    /** A host's pool size, once a job started there with one (written once by the host thread). */
    private volatile int maxJobs;

    LoopCounters(JobLoop loop) {
        this.loop = loop;
        this.writer = null;
    }

    /** Counters written by {@code writer}, a host's thread. */
    LoopCounters(Thread writer) {
        this.loop = null;
        this.writer = writer;
    }

    private boolean onWriter() {
        JobLoop l = loop;
        return l != null ? l.inLoop() : Thread.currentThread() == writer;
    }

    /** Adds 1 to counter {@code i}. */
    void inc(int i) {
        add(i, 1);
    }

    void add(int i, long n) {
        if (ENABLED) {
            write(i, n);
        }
    }

    private void write(int i, long n) {
        if (onWriter()) {
            OWN.setOpaque(own, PAD + i, own[PAD + i] + n);
        } else {
            foreign.getAndAdd(i, n);
        }
    }

    /**
     * A job on a host starts ({@code +1}) or ends ({@code -1}). Only written with stats off: with
     * them on, alive is started minus ended (every started job counts exactly one outcome), which
     * saves the job two writes.
     */
    void alive(int delta) {
        if (!ENABLED) {
            write(ALIVE, delta);
        }
    }

    /** The host thread's pool size, as its first bounded job found it. */
    void maxJobs(int max) {
        if (maxJobs != max) {
            maxJobs = max;
        }
    }

    /** A job starts waiting for a slot: the time it started, or {@link #NOT_WAITING} when off. */
    long slotWaitBegins() {
        if (!ENABLED) {
            return NOT_WAITING;
        }
        inc(SLOT_WAITS);
        return System.nanoTime();
    }

    /** A job stops waiting for a slot (it got one, or gave up), {@code since} as returned above. */
    void slotWaitEnds(long since) {
        if (since == NOT_WAITING) {
            return;
        }
        add(SLOT_WAIT_NANOS, Math.max(0, System.nanoTime() - since));
        inc(SLOT_WAITS_ENDED);
    }

    long get(int i) {
        return (long) OWN.getOpaque(own, PAD + i) + foreign.get(i);
    }

    /** A host's snapshot: {@code running} and {@code pendingTasks} are the host's to tell. */
    JobLoopStats snapshot(String name, boolean running, int pendingTasks) {
        long resumes = get(RESUMES);
        long ended = get(SLOT_WAITS_ENDED);
        long slotNanos = get(SLOT_WAIT_NANOS);
        long succeeded = get(SUCCEEDED);
        long failed = get(FAILED);
        long cancelled = get(CANCELLED);
        long pauses = get(PAUSES);
        long slotWaits = get(SLOT_WAITS);
        long started = get(STARTED); // after the outcomes, as above
        long alive = ENABLED ? started - succeeded - failed - cancelled : get(ALIVE);
        return new JobLoopStats(name, 1, running ? 1 : 0, (int) Math.max(0, alive), Math.max(0, pauses - resumes),
                Math.max(0, slotWaits - ended), pendingTasks, maxJobs, started, succeeded, failed, cancelled, ended,
                slotNanos);
    }

    JobLoopStats snapshot(JobLoop l) {
        long resumes = get(RESUMES);
        long ended = get(SLOT_WAITS_ENDED);
        long slotNanos = get(SLOT_WAIT_NANOS);
        // the ending counter first: a pair read the other way round could show a negative gauge
        long pauses = get(PAUSES);
        long slotWaits = get(SLOT_WAITS);
        return new JobLoopStats(l.name(), 1, l.loop.isStopped() ? 0 : 1, l.liveJobs(),
                Math.max(0, pauses - resumes), Math.max(0, slotWaits - ended), l.loop.pendingTasks(),
                l.maxJobs(), get(STARTED), get(SUCCEEDED), get(FAILED), get(CANCELLED), ended, slotNanos);
    }
}
