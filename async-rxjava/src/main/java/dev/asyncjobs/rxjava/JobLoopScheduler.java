package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.CompositeDisposable;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.disposables.DisposableContainer;
import io.reactivex.rxjava3.exceptions.Exceptions;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@link AsyncRxSchedulers#jobLoops}: each worker is pinned to one {@link JobLoop}. The behaviour is
 * documented on {@link AsyncRxSchedulers}.
 */
final class JobLoopScheduler extends Scheduler {
    final JobLoopGroup group;

    JobLoopScheduler(JobLoopGroup group) {
        this.group = group;
    }

    /**
     * The options a job given this scheduler is launched with: on its group's loops, the native
     * way (each loop's own selector watches its jobs' fds; started inline when subscribed on one of
     * its loops), rather than through a worker and the shared selector.
     */
    JobOptions launchOptions(JobOptions options) {
        return options.loops() == group ? options : options.toBuilder().loops(group).build();
    }

    /** The options a job launched with {@code scheduler} uses: a loop scheduler's group, natively. */
    static JobOptions optionsFor(JobOptions options, @Nullable Scheduler scheduler) {
        return scheduler instanceof JobLoopScheduler loops ? loops.launchOptions(options) : options;
    }

    /** The scheduler whose workers run the job: none (the loops directly) for a loop scheduler. */
    static @Nullable Scheduler workerSchedulerFor(@Nullable Scheduler scheduler) {
        return scheduler instanceof JobLoopScheduler ? null : scheduler;
    }

    @Override
    public Worker createWorker() {
        return new LoopWorker(group.next());
    }

    /** The clock of the timer that runs the delays, so periodic drift is measured on it too. */
    @Override
    public long now(TimeUnit unit) {
        return Schedulers.computation().now(unit);
    }

    /**
     * A direct task is a {@link LoopTask} on the next loop, without a worker. Scheduler's default
     * wraps it in a task that reports a throw to {@code RxJavaPlugins.onError} and rethrows it, and
     * the loop task would report it a second time; RxJava's own schedulers override this too.
     */
    @Override
    public Disposable scheduleDirect(Runnable run, long delay, TimeUnit unit) {
        Objects.requireNonNull(run, "run is null");
        Objects.requireNonNull(unit, "unit is null");
        LoopTask task = new LoopTask(RxJavaPlugins.onSchedule(run), NO_PARENT);
        start(group.next(), task, delay, unit);
        return task;
    }

    /**
     * On a worker of its own, which a throw disposes (the task stops), reported once by the loop
     * task; see {@link #scheduleDirect(Runnable, long, TimeUnit)} for why not Scheduler's default.
     */
    @Override
    public Disposable schedulePeriodicallyDirect(Runnable run, long initialDelay, long period, TimeUnit unit) {
        Objects.requireNonNull(run, "run is null");
        Objects.requireNonNull(unit, "unit is null");
        Worker w = createWorker();
        PeriodicDirectTask task = new PeriodicDirectTask(RxJavaPlugins.onSchedule(run), w);
        w.schedulePeriodically(task, initialDelay, period, unit);
        return task;
    }

    /** Runs {@code task} on {@code loop} now, or after {@code delay} on the computation timer. */
    static void start(JobLoop loop, LoopTask task, long delay, TimeUnit unit) {
        if (delay <= 0L) {
            submit(loop, task);
        } else {
            task.setTimer(Schedulers.computation().scheduleDirect(() -> submit(loop, task), delay, unit));
        }
    }

    private static void submit(JobLoop loop, LoopTask task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            task.dispose();
            RxJavaPlugins.onError(e);
        }
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

    /** A direct periodic task: a throw disposes its worker, so it stops, and goes on to be reported. */
    static final class PeriodicDirectTask implements Runnable, Disposable {
        final Runnable actual;
        final Worker worker;
        private volatile boolean disposed;

        PeriodicDirectTask(Runnable actual, Worker worker) {
            this.actual = actual;
            this.worker = worker;
        }

        @Override
        public void run() {
            if (disposed) {
                return;
            }
            try {
                actual.run();
            } catch (Throwable t) {
                dispose();
                throw t; // reported once, by the loop task
            }
        }

        @Override
        public void dispose() {
            disposed = true;
            worker.dispose();
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    static final class LoopWorker extends Worker {
        final JobLoop loop;
        final CompositeDisposable tasks = new CompositeDisposable();

        LoopWorker(JobLoop loop) {
            this.loop = loop;
        }

        @Override
        public Disposable schedule(Runnable run, long delay, TimeUnit unit) {
            Objects.requireNonNull(run, "run is null");
            Objects.requireNonNull(unit, "unit is null");
            if (tasks.isDisposed()) {
                return Disposable.disposed();
            }
            LoopTask task = new LoopTask(RxJavaPlugins.onSchedule(run), tasks);
            if (!tasks.add(task)) {
                return Disposable.disposed(); // the worker was disposed meanwhile (add disposed the task)
            }
            start(loop, task, delay, unit);
            return task;
        }

        @Override
        public long now(TimeUnit unit) {
            return Schedulers.computation().now(unit);
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
     * One scheduled task. States:
     * <pre>
     *  READY     run (loop)       RUNNING, then DONE
     *            dispose (any)    DISPOSED   (timer cancelled; the queued hop finds DISPOSED)
     *  RUNNING   dispose (any)    DISPOSED   (not interrupted: the loop is shared)
     * </pre>
     * The timer slot holds the delayed hop's {@link Disposable}, or {@code TIMER_DONE} once the task
     * is disposed, so a timer set after the dispose is cancelled on arrival.
     */
    static final class LoopTask implements Runnable, Disposable {
        private static final VarHandle STATE;
        private static final VarHandle TIMER;
        private static final int READY = 0;
        private static final int RUNNING = 1;
        private static final int DONE = 2;
        private static final int DISPOSED = 3;
        private static final Disposable TIMER_DONE = Disposable.empty();

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                STATE = l.findVarHandle(LoopTask.class, "state", int.class);
                TIMER = l.findVarHandle(LoopTask.class, "timer", Disposable.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Runnable actual;
        final DisposableContainer parent;
        private volatile int state;
        private volatile @Nullable Disposable timer;

        LoopTask(Runnable actual, DisposableContainer parent) {
            this.actual = actual;
            this.parent = parent;
        }

        void setTimer(Disposable d) {
            if (!TIMER.compareAndSet(this, (Disposable) null, d)) {
                d.dispose(); // disposed before the timer was set
            }
        }

        @Override
        public void run() {
            if (!STATE.compareAndSet(this, READY, RUNNING)) {
                return; // disposed before it ran
            }
            try {
                actual.run();
            } catch (Throwable t) {
                Exceptions.throwIfFatal(t);
                RxJavaPlugins.onError(t);
            } finally {
                STATE.compareAndSet(this, RUNNING, DONE);
                parent.delete(this);
            }
        }

        @Override
        public void dispose() {
            for (;;) {
                int s = state;
                if (s >= DONE) {
                    return;
                }
                if (STATE.compareAndSet(this, s, DISPOSED)) {
                    break;
                }
            }
            Disposable t = (Disposable) TIMER.getAndSet(this, TIMER_DONE);
            if (t != null) {
                t.dispose();
            }
            parent.delete(this);
        }

        @Override
        public boolean isDisposed() {
            return state >= DONE;
        }
    }
}
