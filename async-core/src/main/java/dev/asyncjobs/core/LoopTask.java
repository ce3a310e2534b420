package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A task scheduled on a {@link JobLoop} with {@link JobLoop#schedule(Runnable)}, {@link
 * JobLoop#schedule(Runnable, long, java.util.concurrent.TimeUnit)} or {@link
 * JobLoop#scheduleAtFixedRate}: the handle to cancel it. The adapters' schedulers (Reactor's and
 * RxJava's {@code JobLoopScheduler}) are thin wrappers over it.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>Where and in which order:</b> every run is on the loop thread. Tasks due now run in the
 *       order they were scheduled, behind what was already queued with {@link JobLoop#execute};
 *       delayed tasks run in deadline order, and in the order they were scheduled when their
 *       deadlines are equal. The delay is kept by the loop itself (a deadline heap whose earliest
 *       deadline bounds the loop's {@code select}), so a timer costs no other thread and no hop.
 *       Delays are rounded up to the millisecond the selector can wait for; a busy loop runs a
 *       due timer at its next turn.</li>
 *   <li><b>Periodic</b> ({@link JobLoop#scheduleAtFixedRate}): at a fixed rate on the grid
 *       {@code first + k * period}. Runs never overlap (one loop thread). A run that overruns its
 *       period, or a loop that fell behind, skips the grid points already past when the run ends:
 *       the next run is at the first grid point after it, never a burst of catch-up runs on a loop
 *       shared with jobs. A period of 0 runs the task again as soon as it ends, behind the tasks
 *       queued meanwhile.</li>
 *   <li><b>Errors:</b> what a run throws goes to {@link AsyncHooks#onError}, the loop goes on, and a
 *       periodic task stops (as {@link java.util.concurrent.ScheduledExecutorService} does). The
 *       adapters catch and route their tasks' errors themselves (Reactor's
 *       {@code Schedulers.handleError}, {@code RxJavaPlugins.onError}) before they get here.</li>
 *   <li><b>Cancel vs run:</b> one atomic state decides. {@link #cancel()} returns {@code true}
 *       when it stopped a run from ever starting (a one-shot task that had not started, or a
 *       periodic one that had not ended): after it returns {@code true} no run starts. A run in
 *       progress is never interrupted (the loop thread is shared); cancelling a one-shot task that
 *       is running or done returns {@code false}. A cancelled timer leaves the heap at once when
 *       cancelled on the loop thread, else at the loop's next turn.</li>
 *   <li><b>Closed loop:</b> scheduling on a loop that has stopped throws {@link
 *       java.util.concurrent.RejectedExecutionException}. Timers still pending when the loop stops
 *       (its group closed, or its selector broke) never run: they end cancelled. Tasks due now that
 *       were queued before the stop still run, as {@link JobLoop#execute} tasks do.</li>
 * </ul>
 *
 * <h2>States</h2>
 * <pre>
 *  WAITING   run (loop)        RUNNING
 *            cancel (any)      CANCELLED   true
 *            loop stops        CANCELLED
 *  RUNNING   ends, one-shot    DONE
 *            ends, periodic    WAITING     (next deadline on the heap)
 *            throws            DONE        (periodic too: it stops)
 *            cancel, periodic  CANCELLED   true: no further run
 *            cancel, one-shot  -           false
 * </pre>
 */
public final class LoopTask {
    static final int WAITING = 0;
    static final int RUNNING = 1;
    static final int DONE = 2;
    static final int CANCELLED = 3;

    /** {@link #period} of a one-shot task. */
    static final long ONE_SHOT = -1L;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(LoopTask.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final TimerHeap heap;
    private final Runnable task;
    /** Nanoseconds between runs; {@link #ONE_SHOT} for a one-shot task. */
    final long period;
    /** Whether the task ever goes on the heap (delayed or periodic). */
    final boolean timed;
    private volatile int state;

    // Heap bookkeeping: touched on the loop thread only.
    /** Deadline in the heap's clock (nanoseconds). */
    long deadline;
    /** Tie-breaker: equal deadlines run in scheduling order. */
    long seq;
    /** Position in the heap, -1 when not in it. */
    int index = -1;

    LoopTask(TimerHeap heap, Runnable task, long period, boolean timed) {
        this.heap = heap;
        this.task = task;
        this.period = period;
        this.timed = timed;
    }

    /**
     * Cancels the task: a run that has not started never starts, a periodic task runs no more. A
     * run in progress finishes (it is not interrupted).
     *
     * @return {@code true} if this call stopped a future run; {@code false} if the task had
     *     already run (one-shot), was running (one-shot), had stopped or was cancelled before
     */
    public boolean cancel() {
        for (;;) {
            int s = state;
            if (s == WAITING || (s == RUNNING && period != ONE_SHOT)) {
                if (STATE.compareAndSet(this, s, CANCELLED)) {
                    if (s == WAITING) {
                        heap.removeLater(this);
                    }
                    return true;
                }
            } else {
                return false;
            }
        }
    }

    /**
     * Whether the task was cancelled (by {@link #cancel()}, or because its loop stopped first).
     *
     * @return {@code true} once cancelled
     */
    public boolean isCancelled() {
        return state == CANCELLED;
    }

    /**
     * Whether the task will never run again: it ran (one-shot), threw, or was cancelled.
     *
     * @return {@code true} once done
     */
    public boolean isDone() {
        return state >= DONE;
    }

    /**
     * Loop thread: one run, if the task was not cancelled. A periodic task that ends normally is
     * waiting again when this returns; the caller reschedules it.
     *
     * @return {@code true} if a periodic task must be rescheduled
     */
    boolean fire() {
        if (!STATE.compareAndSet(this, WAITING, RUNNING)) {
            return false; // cancelled before its turn
        }
        try {
            task.run();
        } catch (Throwable t) {
            state = DONE; // a cancel meanwhile lost nothing: it stopped no run
            AsyncHooks.onError(t);
            return false;
        }
        if (period == ONE_SHOT) {
            state = DONE; // RUNNING -> DONE: a one-shot task cannot be cancelled while running
            return false;
        }
        return STATE.compareAndSet(this, RUNNING, WAITING); // false: cancelled during the run
    }

    /** Loop thread: the loop stopped with the task still waiting. */
    void dropped() {
        STATE.compareAndSet(this, WAITING, CANCELLED);
    }

    @Override
    public String toString() {
        String[] names = {"waiting", "running", "done", "cancelled"};
        return "LoopTask[" + names[state] + (period == ONE_SHOT ? "" : ", every " + period + " ns") + "]";
    }
}
