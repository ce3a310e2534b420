package dev.asyncjobs.reactor;

import dev.asyncjobs.core.JobLoop;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/**
 * A periodic task of a {@link JobLoopScheduler} or of one of its workers: {@link Schedulers#parallel()}
 * keeps the period, and each tick hops onto the task's one loop, so runs never overlap. A run that
 * throws ends the task (as {@code ScheduledExecutorService} does), and the error goes to Reactor's
 * {@code Schedulers.handleError} (see {@link SchedulerErrors}).
 */
final class PeriodicLoopTask implements Runnable, Disposable {
    /** Stands for "disposed" in {@link #timer}. */
    static final Disposable TIMER_DISPOSED = () -> { };

    final Runnable task;
    final JobLoop loop;
    final Disposable owner;
    final Disposable.@Nullable Composite timed;

    volatile @Nullable Disposable timer;
    static final AtomicReferenceFieldUpdater<PeriodicLoopTask, Disposable> TIMER =
            AtomicReferenceFieldUpdater.newUpdater(PeriodicLoopTask.class, Disposable.class, "timer");

    PeriodicLoopTask(Runnable task, JobLoop loop, Disposable owner, Disposable.@Nullable Composite timed) {
        this.task = task;
        this.loop = loop;
        this.owner = owner;
        this.timed = timed;
    }

    void start(long initialDelay, long period, TimeUnit unit) {
        Disposable d;
        try {
            d = Schedulers.parallel().schedulePeriodically(this::tick, initialDelay, period, unit);
        } catch (RejectedExecutionException e) {
            dispose();
            throw e;
        }
        if (!TIMER.compareAndSet(this, null, d)) {
            d.dispose();
        }
    }

    /** The timer thread: hop onto the loop. */
    private void tick() {
        if (isDisposed()) {
            return;
        }
        try {
            loop.execute(this);
        } catch (RejectedExecutionException e) {
            dispose(); // the group closed
        }
    }

    @Override
    public void run() {
        if (isDisposed()) {
            dispose();
            return;
        }
        try {
            task.run();
        } catch (Throwable t) {
            dispose();
            SchedulerErrors.handle(t);
        }
    }

    @Override
    public void dispose() {
        Disposable t = TIMER.getAndSet(this, TIMER_DISPOSED);
        if (t != TIMER_DISPOSED) {
            if (t != null) {
                t.dispose();
            }
            if (timed != null) {
                timed.remove(this);
            }
        }
    }

    @Override
    public boolean isDisposed() {
        return timer == TIMER_DISPOSED || owner.isDisposed();
    }
}
