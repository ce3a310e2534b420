package dev.asyncjobs.reactor;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The job loops of a {@link JobLoopGroup} as a Reactor {@link Scheduler}.
 *
 * <pre>{@code
 * Flux.fromIterable(requests)
 *     .publishOn(JobLoopScheduler.shared())          // hop onto a loop
 *     .concatMap(r -> AsyncMono.fromJob(() -> call(r)))   // starts inline on that loop: no second hop
 *     .subscribe(...);
 * }</pre>
 *
 * <ul>
 *   <li>{@link #schedule(Runnable)} runs the task on the next loop, round robin;
 *       {@link #createWorker()} pins a worker to one loop, so the worker is thread-confined and its
 *       tasks run one at a time, in the order they were scheduled. Disposing a worker (or the
 *       scheduler) drops the tasks it has not started yet and cancels its timers; a running task
 *       is not interrupted (a loop thread is never interrupted).</li>
 *   <li>Jobs: given to {@link AsyncMono#fromJob(dev.asyncjobs.core.JobFunction,
 *       dev.asyncjobs.core.JobOptions, Scheduler)} this scheduler makes the jobs run on its group's
 *       loops the native way (each loop's own selector watches its jobs' fds). Subscribed from a
 *       loop thread, a job starts inline on that loop.</li>
 *   <li>Time: the loops have no timers. A delayed or periodic task waits on
 *       {@link Schedulers#parallel()}, then hops onto its loop to run; {@link #now(TimeUnit)} is
 *       {@code parallel()}'s too, so virtual time ({@code StepVerifier.withVirtualTime}) drives both.
 *       A periodic task's runs are queued on one loop and never overlap.</li>
 *   <li>Tasks must not block: a loop is shared by every job and task on it. What a task throws goes
 *       where Reactor's own schedulers send it: the loop thread's uncaught exception handler,
 *       then {@link Schedulers#onHandleError} if set (the loop never dies of it); Reactor's
 *       {@code Schedulers.onScheduleHook} decorations are applied to every task.</li>
 *   <li>The scheduler does not own its group: {@link #dispose()} only stops this scheduler
 *       (closing the group is its creator's business), and is ignored on {@link #shared()}.</li>
 * </ul>
 */
public final class JobLoopScheduler implements Scheduler, Scannable {
    private static volatile @Nullable JobLoopScheduler shared;

    private final JobLoopGroup group;
    private final boolean isShared;
    private volatile boolean disposed;

    private JobLoopScheduler(JobLoopGroup group, boolean isShared) {
        this.group = group;
        this.isShared = isShared;
    }

    /**
     * The scheduler of {@link JobLoopGroup#shared()}, the loops {@link AsyncMono} uses by default.
     * Disposing it is ignored.
     *
     * @return the shared scheduler
     */
    public static JobLoopScheduler shared() {
        JobLoopScheduler s = shared;
        if (s == null) {
            synchronized (JobLoopScheduler.class) {
                s = shared;
                if (s == null) {
                    s = shared = new JobLoopScheduler(JobLoopGroup.shared(), true);
                }
            }
        }
        return s;
    }

    /**
     * A scheduler on the loops of {@code group}. The group stays the caller's to close.
     *
     * @param group the loops
     * @return a new scheduler
     * @throws NullPointerException if {@code group} is null
     */
    public static JobLoopScheduler create(JobLoopGroup group) {
        Objects.requireNonNull(group, "group");
        return new JobLoopScheduler(group, false);
    }

    /**
     * The loops this scheduler runs tasks on.
     *
     * @return the group
     */
    public JobLoopGroup group() {
        return group;
    }

    @Override
    public Disposable schedule(Runnable task) {
        Objects.requireNonNull(task, "task");
        checkOpen();
        LoopTask t = new LoopTask(Schedulers.onSchedule(task), group.next(), this, null);
        t.submit();
        return t;
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        if (delay <= 0) {
            return schedule(task);
        }
        checkOpen();
        LoopTask t = new LoopTask(Schedulers.onSchedule(task), group.next(), this, null);
        t.submitAfter(delay, unit);
        return t;
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        checkOpen();
        PeriodicLoopTask t = new PeriodicLoopTask(Schedulers.onSchedule(task), group.next(), this, null);
        t.start(initialDelay, period, unit);
        return t;
    }

    /**
     * The time of {@link Schedulers#parallel()}, which keeps this scheduler's timers (virtual time
     * when a test installed it).
     *
     * @param unit the unit
     * @return the current time in {@code unit}
     */
    @Override
    public long now(TimeUnit unit) {
        return Schedulers.parallel().now(unit);
    }

    @Override
    public Worker createWorker() {
        return new LoopWorker(this, group.next());
    }

    /** Stops this scheduler: new tasks are rejected, tasks not started yet are dropped. */
    @Override
    public void dispose() {
        if (!isShared) {
            disposed = true;
        }
    }

    @Override
    public boolean isDisposed() {
        return disposed || group.isClosed();
    }

    /** Nothing to start: the loops run already. */
    @Override
    public void init() {
    }

    @Override
    @SuppressWarnings("rawtypes") // reactor-core declares scanUnsafe(Attr) with a raw Attr: an override must too
    public @Nullable Object scanUnsafe(Attr key) {
        if (key == Attr.TERMINATED || key == Attr.CANCELLED) {
            return isDisposed();
        }
        if (key == Attr.NAME) {
            return toString();
        }
        if (key == Attr.CAPACITY) {
            return group.size();
        }
        return null;
    }

    @Override
    public String toString() {
        return isShared ? "JobLoopScheduler.shared()" : "JobLoopScheduler(" + group.size() + " loops)";
    }

    void checkOpen() {
        if (isDisposed()) {
            throw Exceptions.failWithRejected("the JobLoopScheduler is disposed or its JobLoopGroup closed");
        }
    }

    /** A worker: one loop, its tasks dropped once the worker is disposed. */
    static final class LoopWorker implements Worker, Scannable {
        final JobLoopScheduler parent;
        final JobLoop loop;
        /** Tasks waiting on a timer, to cancel on dispose (immediate tasks check {@link #isDisposed()}). */
        final Disposable.Composite timed = reactor.core.Disposables.composite();
        volatile boolean disposed;

        LoopWorker(JobLoopScheduler parent, JobLoop loop) {
            this.parent = parent;
            this.loop = loop;
        }

        @Override
        public Disposable schedule(Runnable task) {
            Objects.requireNonNull(task, "task");
            checkOpen();
            LoopTask t = new LoopTask(Schedulers.onSchedule(task), loop, this, null);
            t.submit();
            return t;
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(unit, "unit");
            if (delay <= 0) {
                return schedule(task);
            }
            checkOpen();
            LoopTask t = new LoopTask(Schedulers.onSchedule(task), loop, this, timed);
            if (!timed.add(t)) {
                throw Exceptions.failWithRejected("the worker is disposed");
            }
            t.submitAfter(delay, unit);
            return t;
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(unit, "unit");
            checkOpen();
            PeriodicLoopTask t = new PeriodicLoopTask(Schedulers.onSchedule(task), loop, this, timed);
            if (!timed.add(t)) {
                throw Exceptions.failWithRejected("the worker is disposed");
            }
            t.start(initialDelay, period, unit);
            return t;
        }

        @Override
        public void dispose() {
            if (!disposed) {
                disposed = true;
                timed.dispose();
            }
        }

        @Override
        public boolean isDisposed() {
            return disposed || parent.isDisposed();
        }

        private void checkOpen() {
            if (isDisposed()) {
                throw Exceptions.failWithRejected("the worker is disposed");
            }
        }

        @Override
        @SuppressWarnings("rawtypes") // reactor-core declares scanUnsafe(Attr) with a raw Attr: an override must too
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.TERMINATED || key == Attr.CANCELLED) {
                return isDisposed();
            }
            if (key == Attr.PARENT) {
                return parent;
            }
            if (key == Attr.NAME) {
                return parent + ".worker(" + loop.name() + ")";
            }
            return null;
        }
    }

    /** Reports a loop that refused a task (its group closed) the way Reactor schedulers do. */
    static RejectedExecutionException rejected(RejectedExecutionException e) {
        return Exceptions.failWithRejected(e);
    }
}
