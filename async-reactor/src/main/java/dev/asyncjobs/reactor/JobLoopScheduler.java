package dev.asyncjobs.reactor;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
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
 *   <li>Time: the loops keep their own timers ({@link JobLoop#schedule(Runnable, long, TimeUnit)}):
 *       a delayed or periodic task waits on its loop's deadline heap, with no timer thread and no
 *       hop. A periodic task runs at a fixed rate on one loop, its runs never overlap, and a run
 *       that overruns skips the missed periods (see {@link dev.asyncjobs.core.LoopTask}).
 *       {@link #now(TimeUnit)} is the wall clock, as for Reactor's own schedulers.</li>
 *   <li>Virtual time ({@code StepVerifier.withVirtualTime}) replaces the schedulers that timed
 *       operators use by default ({@code Schedulers.parallel()} and the other factories), not this
 *       one: {@code Mono.delay(d)}, {@code timeout(d)} or {@code delayElements(d)} around jobs run
 *       in virtual time, while a timed operator given this scheduler explicitly waits in real
 *       time. In tests, leave timed operators on their default scheduler.</li>
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
     * The shared scheduler, the loops {@link AsyncMono} and {@link AsyncFlux} use by default: its own
     * group, created on first use, of one daemon loop per core named {@code asyncjobs-reactor-loop-N},
     * whose threads are Reactor {@link reactor.core.scheduler.NonBlocking} threads (see {@link
     * #threadFactory}); pools without a limit unless the system property {@code
     * asyncjobs.loop.maxJobs} says otherwise. Disposing it is ignored; its group lives as long as
     * the JVM (closing it ends it for everyone).
     *
     * @return the shared scheduler
     */
    public static JobLoopScheduler shared() {
        JobLoopScheduler s = shared;
        if (s == null) {
            synchronized (JobLoopScheduler.class) {
                s = shared;
                if (s == null) {
                    JobLoopGroup g = JobLoopGroup.builder()
                            .threadFactory(threadFactory("asyncjobs-reactor-loop"))
                            .maxJobsPerLoop(Integer.getInteger("asyncjobs.loop.maxJobs", 0))
                            .build();
                    s = shared = new JobLoopScheduler(g, true);
                }
            }
        }
        return s;
    }

    /**
     * A thread factory for {@link JobLoopGroup.Builder#threadFactory} that makes daemon loop threads
     * named {@code prefix-N} which are Reactor {@link reactor.core.scheduler.NonBlocking} threads
     * (and core {@link dev.asyncjobs.core.NonBlockingThread}s): {@code block()} on such a loop fails
     * fast with Reactor's {@code IllegalStateException} ("block()/blockFirst()/blockLast() are
     * blocking, which is not supported in thread ...") instead of deadlocking the loop, and
     * BlockHound reports blocking calls there.
     *
     * <pre>{@code
     * JobLoopGroup loops = JobLoopGroup.builder().threads(4).threadFactory(JobLoopScheduler.threadFactory("web-loop")).build();
     * }</pre>
     *
     * @param prefix the thread name prefix
     * @return a new factory
     * @throws NullPointerException if {@code prefix} is null
     */
    public static ThreadFactory threadFactory(String prefix) {
        return NonBlockingLoopThread.factory(Objects.requireNonNull(prefix, "prefix"));
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
        return schedule(task, 0L, TimeUnit.NANOSECONDS);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        checkOpen();
        return SchedulerTask.schedule(group.next(), Schedulers.onSchedule(task), this, null, delay, -1L, unit);
    }

    /** A period {@code <= 0} runs the task again as soon as it ends, as Reactor's own schedulers do. */
    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        checkOpen();
        return SchedulerTask.schedule(group.next(), Schedulers.onSchedule(task), this, null, initialDelay,
                Math.max(period, 0L), unit);
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
        /** Delayed and periodic tasks, to take off the loop's heap on dispose (queued ones check {@link #isDisposed()}). */
        final Disposable.Composite timed = reactor.core.Disposables.composite();
        volatile boolean disposed;

        LoopWorker(JobLoopScheduler parent, JobLoop loop) {
            this.parent = parent;
            this.loop = loop;
        }

        @Override
        public Disposable schedule(Runnable task) {
            return schedule(task, 0L, TimeUnit.NANOSECONDS);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(unit, "unit");
            checkOpen();
            return SchedulerTask.schedule(loop, Schedulers.onSchedule(task), this, timed, delay, -1L, unit);
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            Objects.requireNonNull(task, "task");
            Objects.requireNonNull(unit, "unit");
            checkOpen();
            return SchedulerTask.schedule(loop, Schedulers.onSchedule(task), this, timed, initialDelay,
                    Math.max(period, 0L), unit);
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

}
