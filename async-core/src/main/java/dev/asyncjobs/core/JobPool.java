package dev.asyncjobs.core;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One thread's job pool ({@code {jobs, curr_size, max_size}} in OpenSSL).
 *
 * <p>Invariants: only the owner thread touches {@code idle} and {@code size};
 * {@code size} counts the jobs this pool made that are not discarded (idle + running + paused),
 * and never exceeds {@code max} when {@code max > 0}. A job that finishes on another thread (only
 * possible when a scheduler broke its thread confinement and the job had to be finished there) is
 * discarded and counted in {@code foreignReleases}, which the owner folds into {@code size} when
 * it next runs out of slots.
 */
final class JobPool {
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
    /** Told after each slot freed on the owner thread (the runtime's waiters); null: nobody. */
    private @Nullable Runnable slotFreed;

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

    /** A job finished on the owner thread: back to the pool, then the listener hears of the slot. */
    void release(AsyncJob job) {
        if (closed || idle.size() >= idleCap) {
            size--;
            job.terminate();
        } else {
            idle.push(job);
        }
        Runnable l = slotFreed;
        if (l != null) {
            l.run();
        }
    }

    /**
     * Sets who is told, on the owner thread, each time a job finished there frees its slot (the
     * runtime serves its waiters then). One listener per pool; a later call replaces it.
     */
    void onSlotFreed(Runnable listener) {
        slotFreed = listener;
    }

    /** A job finished on a foreign thread: it is dropped and its slot handed back lazily. */
    void releaseForeign() {
        foreignReleases.incrementAndGet();
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
