package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One job loop: a thread that runs the jobs started on it, owns their pool, and while idle blocks
 * in its own {@link java.nio.channels.Selector} on the wait fds of its paused jobs. An fd becoming
 * readable wakes exactly this thread, which resumes the job itself: one OS wake-up per resume, and
 * the same-thread rule holds by construction. Loops come in a {@link JobLoopGroup}.
 *
 * <p>As an {@link Executor} it runs tasks on the loop thread in order. It also keeps its own
 * timers ({@link #schedule(Runnable, long, TimeUnit)}, {@link #scheduleAtFixedRate}): a deadline
 * heap whose earliest deadline bounds the loop's {@code select}, so a delayed task needs no other
 * thread and no hop. The adapters' schedulers are thin wrappers over these. Tasks must not block:
 * they share the thread with every job of the loop.
 */
public final class JobLoop implements Executor {
    private static final VarHandle LIVE;

    static {
        try {
            LIVE = MethodHandles.lookup().findVarHandle(JobLoop.class, "live", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final JobLoopGroup group;
    private final int maxJobs;
    final Loop loop;
    // The live runners (started and not done), for close(); the list is touched on the loop thread
    // only. The count also drops off it, atomically, when a job of a stopped loop is finished on
    // the thread that found the loop gone (JobRunner.rejected).
    private @Nullable JobRunner<?> head;
    private volatile int live;
    private boolean cancelledAll;
    final LoopCounters counters = new LoopCounters(this);

    JobLoop(JobLoopGroup group, ThreadFactory threads, int maxJobs) {
        this.group = group;
        this.maxJobs = maxJobs;
        this.loop = new Loop(threads);
    }

    void start() {
        loop.startThread();
    }

    /**
     * Runs {@code task} on the loop thread, after the tasks already queued.
     *
     * @param task the task; what it throws goes to {@link AsyncHooks}
     * @throws java.util.concurrent.RejectedExecutionException once the loop has stopped
     */
    @Override
    public void execute(Runnable task) {
        loop.execute(Objects.requireNonNull(task, "task"));
    }

    /**
     * Runs {@code task} on the loop thread, after the tasks already queued, unless cancelled first.
     * The rules (order, errors, cancel vs run, a closed loop) are {@link LoopTask}'s.
     *
     * @param task the task; what it throws goes to {@link AsyncHooks}
     * @return the handle to cancel it
     * @throws NullPointerException if {@code task} is null
     * @throws RejectedExecutionException once the loop has stopped
     */
    public LoopTask schedule(Runnable task) {
        return loop.timers.schedule(Objects.requireNonNull(task, "task"), 0L, LoopTask.ONE_SHOT);
    }

    /**
     * Runs {@code task} once on the loop thread after {@code delay} (at once, as {@link
     * #schedule(Runnable)}, when {@code delay <= 0}), unless cancelled first. The loop keeps the
     * delay itself; see {@link LoopTask} for the rules.
     *
     * @param task the task; what it throws goes to {@link AsyncHooks}
     * @param delay the delay
     * @param unit the delay's unit
     * @return the handle to cancel it
     * @throws NullPointerException if {@code task} or {@code unit} is null
     * @throws RejectedExecutionException once the loop has stopped
     */
    public LoopTask schedule(Runnable task, long delay, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        return loop.timers.schedule(task, unit.toNanos(delay), LoopTask.ONE_SHOT);
    }

    /**
     * Runs {@code task} on the loop thread after {@code initialDelay}, then every {@code period}
     * on that grid, until cancelled or until a run throws. Runs never overlap; a run that
     * overruns, or a late loop, skips the missed grid points (no catch-up burst); a period of 0
     * runs it again as soon as it ends, behind the tasks queued meanwhile. See {@link LoopTask}.
     *
     * @param task the task; what it throws goes to {@link AsyncHooks} and stops it
     * @param initialDelay the delay of the first run ({@code <= 0}: at once)
     * @param period the period, {@code >= 0}
     * @param unit the unit of both
     * @return the handle to cancel it
     * @throws NullPointerException if {@code task} or {@code unit} is null
     * @throws IllegalArgumentException if {@code period} is negative
     * @throws RejectedExecutionException once the loop has stopped
     */
    public LoopTask scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        if (period < 0) {
            throw new IllegalArgumentException("period must be >= 0, was " + period);
        }
        return loop.timers.schedule(task, unit.toNanos(initialDelay), unit.toNanos(period));
    }

    /**
     * Whether the caller runs on this loop's thread.
     *
     * @return {@code true} on the loop thread
     */
    public boolean inLoop() {
        return loop.inThread();
    }

    /**
     * The loop thread's name ({@code asyncjobs-loop-N} for the shared group; a thread factory's
     * threads are named by the factory).
     *
     * @return the name
     */
    public String name() {
        return loop.thread.getName();
    }

    /**
     * The group this loop belongs to.
     *
     * @return the group
     */
    public JobLoopGroup group() {
        return group;
    }

    /**
     * Jobs launched on this loop and not done yet (running, paused, or waiting for a slot).
     *
     * @return the count (a snapshot)
     */
    public int liveJobs() {
        return live;
    }

    /**
     * A snapshot of this loop's counters: jobs alive, paused and waiting for a slot, pending
     * tasks, jobs started and how they ended, slot waits. Cheap; any thread. See {@link JobLoopStats}.
     *
     * @return the snapshot
     */
    public JobLoopStats stats() {
        return counters.snapshot(this);
    }

    int maxJobs() {
        return maxJobs;
    }

    Thread thread() {
        return loop.thread;
    }

    boolean isShuttingDown() {
        return loop.shuttingDown;
    }

    FdWatcher watcher() {
        return loop.watcher;
    }

    void addLive(JobRunner<?> r) {
        r.next = head;
        if (head != null) {
            head.prev = r;
        }
        head = r;
        LIVE.getAndAdd(this, 1);
        r.linked = true;
        counters.inc(LoopCounters.STARTED);
    }

    void removeLive(JobRunner<?> r) {
        if (!r.linked) {
            return;
        }
        r.linked = false;
        if (!loop.inThread()) {
            // only once the loop has stopped: its list is dead, the node is skipped when failed
            LIVE.getAndAdd(this, -1);
            return;
        }
        if (r.prev != null) {
            r.prev.next = r.next;
        } else {
            head = r.next;
        }
        if (r.next != null) {
            r.next.prev = r.prev;
        }
        r.prev = r.next = null;
        LIVE.getAndAdd(this, -1);
    }

    /** The live runners now (failing or cancelling one unlinks it). Loop thread. */
    private List<JobRunner<?>> liveSnapshot() {
        List<JobRunner<?>> all = new ArrayList<>();
        for (JobRunner<?> r = head; r != null; r = r.next) {
            all.add(r);
        }
        return all;
    }

    final class Loop extends EventThread {
        Loop(ThreadFactory threads) {
            super(threads);
        }

        @Override
        void onStart() {
            AsyncJob.initThread(maxJobs, 0);
        }

        @Override
        boolean readyToStop() {
            if (!cancelledAll) {
                cancelledAll = true;
                // cancel every live job: each is resumed cancelled, finishes and unlinks itself;
                // one that throws (a fatal error is rethrown) must not keep the others from it
                for (JobRunner<?> r : liveSnapshot()) {
                    try {
                        r.cancelForShutdown();
                    } catch (Throwable t) {
                        AsyncHooks.onError(t);
                    }
                }
            }
            return live == 0 && !hasTasks();
        }

        @Override
        void onStop() {
            Throwable cause = stopCause();
            if (cause != null) {
                // stopped for good without being asked to: no job it owns may hang. Each is resumed
                // cancelled here, on its own thread, runs to its end and fails with the reason.
                for (JobRunner<?> r : liveSnapshot()) {
                    try {
                        r.failForStop(new RejectedExecutionException(name() + " stopped: " + cause, cause));
                    } catch (Throwable t) {
                        AsyncHooks.onError(t);
                    }
                }
            }
            AsyncJob.cleanupThread();
        }
    }
}
