package dev.asyncjobs.reactor;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.LoopTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Exceptions;

/**
 * A task of a {@link JobLoopScheduler} or of one of its workers: a Reactor {@link Disposable} over
 * the core's {@link LoopTask}, which keeps the time, the order and the cancel-vs-run rules. What is
 * left here is Reactor's: what a run throws goes to {@code Schedulers.handleError} (see {@link
 * SchedulerErrors}) and a periodic task that throws stops; a task whose owner (worker or scheduler)
 * was disposed before it ran is dropped when its turn comes, so disposing a worker cancels its
 * queued tasks without tracking each one (its timers are tracked, to take them off the heap).
 *
 * <p>{@link #handle} holds the core task once it is set, or {@link #DISPOSED}: a dispose that comes
 * before the handle is set (a worker disposed meanwhile) cancels the handle on arrival.
 */
final class SchedulerTask implements Runnable, Disposable {
    private static final Object DISPOSED = new Object();

    final Runnable task;
    final Disposable owner;
    final Disposable.@Nullable Composite timers;
    final boolean periodic;

    volatile @Nullable Object handle;
    static final AtomicReferenceFieldUpdater<SchedulerTask, @Nullable Object> HANDLE =
            AtomicReferenceFieldUpdater.newUpdater(SchedulerTask.class, Object.class, "handle");

    private SchedulerTask(Runnable task, Disposable owner, Disposable.@Nullable Composite timers, boolean periodic) {
        this.task = task;
        this.owner = owner;
        this.timers = timers;
        this.periodic = periodic;
    }

    /**
     * Schedules {@code task} on {@code loop}: once after {@code delay} when {@code period < 0},
     * else at that fixed rate; a delayed or periodic task joins {@code timers} (a worker's) when given.
     *
     * @throws RejectedExecutionException (Reactor's) when the loop or the worker is closed
     */
    static SchedulerTask schedule(JobLoop loop, Runnable task, Disposable owner, Disposable.@Nullable Composite timers,
            long delay, long period, TimeUnit unit) {
        boolean timed = delay > 0 || period >= 0;
        SchedulerTask t = new SchedulerTask(task, owner, timed ? timers : null, period >= 0);
        if (t.timers != null && !t.timers.add(t)) {
            throw Exceptions.failWithRejected("the worker is disposed");
        }
        LoopTask h;
        try {
            h = period >= 0 ? loop.scheduleAtFixedRate(t, delay, period, unit) : loop.schedule(t, delay, unit);
        } catch (RejectedExecutionException e) {
            t.dispose();
            throw Exceptions.failWithRejected(e);
        }
        if (!HANDLE.compareAndSet(t, null, h)) {
            h.cancel(); // disposed while it was being scheduled
        }
        return t;
    }

    @Override
    public void run() {
        if (owner.isDisposed()) {
            dispose();
            return;
        }
        try {
            task.run();
        } catch (Throwable e) {
            if (periodic) {
                dispose(); // a periodic task that throws stops, as ScheduledExecutorService's do
            }
            SchedulerErrors.handle(e); // as Reactor's own schedulers do, not the loop's AsyncHooks
        } finally {
            if (!periodic && timers != null) {
                timers.remove(this);
            }
        }
    }

    @Override
    public void dispose() {
        Object h = HANDLE.getAndSet(this, DISPOSED);
        if (h != DISPOSED) {
            if (h instanceof LoopTask lt) {
                lt.cancel();
            }
            if (timers != null) {
                timers.remove(this);
            }
        }
    }

    @Override
    public boolean isDisposed() {
        Object h = handle;
        return h == DISPOSED || (h instanceof LoopTask lt && lt.isDone()) || owner.isDisposed();
    }
}
