package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.CompositeDisposable;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.disposables.DisposableContainer;
import io.reactivex.rxjava3.exceptions.Exceptions;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The job loops of a {@link JobLoopGroup} as an RxJava {@link Scheduler} (the Reactor adapter's
 * counterpart has the same name and factories: {@code shared()}, {@code create(group)}).
 *
 * <pre>{@code
 * Flowable.range(1, 10).observeOn(JobLoopScheduler.shared())...;
 * AsyncSingle.fromJob(job, JobOptions.defaults(), JobLoopScheduler.create(myLoops));
 * }</pre>
 *
 * <ul>
 *   <li>Each {@link Scheduler.Worker} is pinned to one loop of the group (round robin at {@code
 *       createWorker()}) and runs its tasks on that loop's thread, in order: the workers are
 *       thread-confined. Given to {@link AsyncSingle#fromJob(dev.asyncjobs.core.JobFunction,
 *       dev.asyncjobs.core.JobOptions, Scheduler)} (or the Maybe/Completable ones), such a
 *       scheduler makes the job run on its group's loops the native way: each loop's own selector
 *       watches its jobs' fds, and a subscription on one of its loops starts the job inline.</li>
 *   <li>Time: the loops keep their own timers ({@link dev.asyncjobs.core.JobLoop#schedule(Runnable,
 *       long, java.util.concurrent.TimeUnit)}): a delayed or periodic task waits on its loop's
 *       deadline heap, with no timer thread and no hop; a periodic task runs at a fixed rate, its
 *       runs never overlap, and a run that overruns skips the missed periods (see {@link
 *       dev.asyncjobs.core.LoopTask}). {@code now()} is the wall clock, as for RxJava's own schedulers.</li>
 *   <li>Virtual time: a {@code TestScheduler} (given to timed operators, or installed with {@code
 *       RxJavaPlugins.setComputationSchedulerHandler}) drives the timers of operators around jobs;
 *       a timed operator given this scheduler explicitly waits in real time on the loop's timer.</li>
 *   <li>Dispose, as in RxJava: disposing a task before it runs (or its worker) means it never
 *       runs and its timer is cancelled. A task already running is not interrupted: the loop thread
 *       is shared by every job on it.</li>
 *   <li>A task that throws goes to {@code RxJavaPlugins.onError}, once, whether it was scheduled on
 *       a worker or directly (a periodic task that throws stops); never to the core's {@code
 *       AsyncHooks}, and the loop keeps running. After the
 *       group is closed, scheduling reports the {@code RejectedExecutionException} to {@code
 *       RxJavaPlugins.onError} and returns a disposed {@code Disposable}, as RxJava's executor
 *       schedulers do.</li>
 *   <li>Tasks share the loop with its jobs: they must not block.</li>
 *   <li>{@code shutdown()} / {@code start()} do nothing: the group belongs to whoever built it
 *       (the shared one lives as long as the JVM).</li>
 * </ul>
 */
public final class JobLoopScheduler extends Scheduler {
    private static volatile @Nullable JobLoopScheduler shared;

    final JobLoopGroup group;

    private JobLoopScheduler(JobLoopGroup group) {
        this.group = group;
    }

    /**
     * The scheduler of {@link JobLoopGroup#shared()}, the loops {@link AsyncSingle}, {@link
     * AsyncMaybe}, {@link AsyncCompletable} and {@link AsyncFlowable} use by default.
     *
     * @return the shared scheduler
     */
    public static JobLoopScheduler shared() {
        JobLoopScheduler s = shared;
        if (s == null) {
            synchronized (JobLoopScheduler.class) {
                s = shared;
                if (s == null) {
                    s = shared = new JobLoopScheduler(JobLoopGroup.shared());
                }
            }
        }
        return s;
    }

    /**
     * A scheduler on the loops of {@code group}. The group stays the caller's to close.
     *
     * @param group the job loops
     * @return the scheduler
     * @throws NullPointerException if {@code group} is null
     */
    public static JobLoopScheduler create(JobLoopGroup group) {
        Objects.requireNonNull(group, "group is null");
        return new JobLoopScheduler(group);
    }

    /**
     * The loops this scheduler runs tasks on.
     *
     * @return the group
     */
    public JobLoopGroup group() {
        return group;
    }

    /**
     * The options a job launched with {@code scheduler} uses: on a loop scheduler's group, the
     * native way (each loop's own selector watches its jobs' fds; started inline when subscribed on
     * one of its loops), rather than through a worker and the shared selector. A placement that
     * contradicts the scheduler is refused, never ignored.
     *
     * @throws IllegalArgumentException for loops with a confined scheduler, a confined placement
     *     without one, or other loops than a loop scheduler's
     */
    static JobOptions optionsFor(JobOptions options, @Nullable Scheduler scheduler) {
        JobPlacement p = options.placement();
        if (scheduler instanceof JobLoopScheduler loops) {
            if (p == null) {
                return options.toBuilder().loops(loops.group).build();
            }
            if (p.loops() != loops.group) {
                throw new IllegalArgumentException("the job runs on the loops of a JobLoopScheduler, but the options say "
                        + p + ": pass one of them, not both");
            }
        } else if (scheduler != null) {
            if (p != null && p.onLoops()) {
                throw new IllegalArgumentException("the job runs on the Scheduler given (" + scheduler
                        + "), but the options say " + p + ": pass one of them, not both");
            }
        } else if (p != null && !p.onLoops()) {
            throw new IllegalArgumentException("the options say " + p + ", which needs the thread-confined"
                    + " Scheduler to run on: pass it with the options");
        }
        return options;
    }

    /** The scheduler whose workers run the job: none (the loops directly) for a loop scheduler. */
    static @Nullable Scheduler workerSchedulerFor(@Nullable Scheduler scheduler) {
        return scheduler instanceof JobLoopScheduler ? null : scheduler;
    }

    @Override
    public Worker createWorker() {
        return new LoopWorker(group.next());
    }

    /**
     * A direct task runs on the next loop, without a worker. Scheduler's default would wrap it in
     * a task that reports a throw to {@code RxJavaPlugins.onError} and rethrows it, and the loop
     * task would report it a second time; RxJava's own schedulers override this too.
     */
    @Override
    public Disposable scheduleDirect(Runnable run, long delay, TimeUnit unit) {
        Objects.requireNonNull(run, "run is null");
        Objects.requireNonNull(unit, "unit is null");
        return LoopTask.schedule(group.next(), RxJavaPlugins.onSchedule(run), NO_PARENT, delay, -1L, unit);
    }

    /** On the loop's own timer at a fixed rate; a throw stops it and is reported once. */
    @Override
    public Disposable schedulePeriodicallyDirect(Runnable run, long initialDelay, long period, TimeUnit unit) {
        Objects.requireNonNull(run, "run is null");
        Objects.requireNonNull(unit, "unit is null");
        return LoopTask.schedule(group.next(), RxJavaPlugins.onSchedule(run), NO_PARENT, initialDelay,
                Math.max(period, 0L), unit);
    }

    /** The parent of a direct task: there is no worker to leave. */
    private static final DisposableContainer NO_PARENT = new DisposableContainer() {
        @Override
        public boolean add(Disposable d) {
            return true;
        }

        @Override
        public boolean remove(Disposable d) {
            return true;
        }

        @Override
        public boolean delete(Disposable d) {
            return true;
        }
    };

    static final class LoopWorker extends Worker {
        final JobLoop loop;
        final CompositeDisposable tasks = new CompositeDisposable();

        LoopWorker(JobLoop loop) {
            this.loop = loop;
        }

        @Override
        public Disposable schedule(Runnable run, long delay, TimeUnit unit) {
            return schedule(run, delay, -1L, unit);
        }

        /** On the loop's own timer at a fixed rate (Worker's default would re-schedule after each run). */
        @Override
        public Disposable schedulePeriodically(Runnable run, long initialDelay, long period, TimeUnit unit) {
            return schedule(run, initialDelay, Math.max(period, 0L), unit);
        }

        private Disposable schedule(Runnable run, long delay, long period, TimeUnit unit) {
            Objects.requireNonNull(run, "run is null");
            Objects.requireNonNull(unit, "unit is null");
            if (tasks.isDisposed()) {
                return Disposable.disposed();
            }
            return LoopTask.schedule(loop, RxJavaPlugins.onSchedule(run), tasks, delay, period, unit);
        }

        @Override
        public void dispose() {
            tasks.dispose();
        }

        @Override
        public boolean isDisposed() {
            return tasks.isDisposed();
        }
    }

    /**
     * One scheduled task: an RxJava {@link Disposable} over the core's {@link
     * dev.asyncjobs.core.LoopTask}, which keeps the time, the order and the cancel-vs-run rules.
     * What is left here is RxJava's: a throw goes to {@code RxJavaPlugins.onError} once and stops a
     * periodic task, and the task leaves its worker when it is done or disposed. {@link #handle}
     * holds the core task, or {@link #DISPOSED}: a dispose that comes before the handle is set
     * cancels it on arrival.
     */
    static final class LoopTask implements Runnable, Disposable {
        private static final VarHandle HANDLE;
        private static final Object DISPOSED = new Object();

        static {
            try {
                HANDLE = MethodHandles.lookup().findVarHandle(LoopTask.class, "handle", Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Runnable actual;
        final DisposableContainer parent;
        final boolean periodic;
        private volatile @Nullable Object handle;

        private LoopTask(Runnable actual, DisposableContainer parent, boolean periodic) {
            this.actual = actual;
            this.parent = parent;
            this.periodic = periodic;
        }

        /**
         * Schedules {@code run} on {@code loop} (once when {@code period < 0}); a closed loop is
         * reported to {@code RxJavaPlugins.onError} and gives a disposed {@code Disposable}, as
         * RxJava's executor schedulers do.
         */
        static Disposable schedule(JobLoop loop, Runnable run, DisposableContainer parent, long delay, long period,
                TimeUnit unit) {
            LoopTask task = new LoopTask(run, parent, period >= 0);
            if (!parent.add(task)) {
                return Disposable.disposed(); // the worker was disposed meanwhile (add disposed the task)
            }
            dev.asyncjobs.core.LoopTask h;
            try {
                h = period >= 0 ? loop.scheduleAtFixedRate(task, delay, period, unit) : loop.schedule(task, delay, unit);
            } catch (RejectedExecutionException e) {
                task.dispose();
                RxJavaPlugins.onError(e);
                return Disposable.disposed();
            }
            if (!HANDLE.compareAndSet(task, (Object) null, (Object) h)) {
                h.cancel(); // disposed while it was being scheduled
            }
            return task;
        }

        @Override
        public void run() {
            try {
                actual.run();
            } catch (Throwable t) {
                if (periodic) {
                    dispose(); // a periodic task that throws stops
                }
                Exceptions.throwIfFatal(t);
                RxJavaPlugins.onError(t);
            } finally {
                if (!periodic) {
                    HANDLE.setVolatile(this, DISPOSED); // done: isDisposed() from here on
                    parent.delete(this);
                }
            }
        }

        @Override
        public void dispose() {
            Object h = HANDLE.getAndSet(this, DISPOSED);
            if (h != DISPOSED) {
                if (h instanceof dev.asyncjobs.core.LoopTask t) {
                    t.cancel();
                }
                parent.delete(this);
            }
        }

        @Override
        public boolean isDisposed() {
            Object h = handle;
            return h == DISPOSED || (h instanceof dev.asyncjobs.core.LoopTask t && t.isDone());
        }
    }
}
