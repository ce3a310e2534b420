package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The counters of one {@link JobLoop}, read by {@link JobLoop#stats()}.
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
    private static final int COUNT = 9;
    /**
     * Longs of padding on each side of the counters (128 bytes: a cache line and its prefetched
     * pair): the arrays of a group's loops are allocated together, and two loop threads writing
     * counters on one line would pay a cache miss per job each (false sharing).
     */
    static final int PAD = 16;
    /** "Not waiting for a slot" (a nanoTime value is never compared with it, only tested). */
    static final long NOT_WAITING = Long.MIN_VALUE;

    private static final VarHandle OWN = MethodHandles.arrayElementVarHandle(long[].class);

    private final JobLoop loop;
    private final long[] own = new long[PAD + COUNT + PAD];
    private final AtomicLongArray foreign = new AtomicLongArray(COUNT);

    LoopCounters(JobLoop loop) {
        this.loop = loop;
    }

    /** Adds 1 to counter {@code i}. */
    void inc(int i) {
        add(i, 1);
    }

    void add(int i, long n) {
        if (!ENABLED) {
            return;
        }
        if (loop.inLoop()) {
            OWN.setOpaque(own, PAD + i, own[PAD + i] + n);
        } else {
            foreign.getAndAdd(i, n);
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
