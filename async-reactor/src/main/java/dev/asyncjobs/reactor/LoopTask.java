package dev.asyncjobs.reactor;

import dev.asyncjobs.core.JobLoop;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/**
 * A one-shot task of a {@link JobLoopScheduler} or of one of its workers, run on one loop, either
 * at once or after a delay kept by {@link Schedulers#parallel()}.
 *
 * <h2>States</h2>
 * <pre>
 *  WAITING   run (loop)        RUNNING -> FINISHED
 *            dispose (any)     DISPOSED   (the timer, if any, is cancelled)
 *  RUNNING   dispose           -          (a loop thread is never interrupted)
 * </pre>
 * A task whose owner (worker or scheduler) was disposed before it ran is dropped when its turn
 * comes, which is how disposing a worker cancels its pending tasks without tracking each one.
 */
final class LoopTask implements Runnable, Disposable {
    static final int WAITING = 0;
    static final int RUNNING = 1;
    static final int FINISHED = 2;
    static final int DISPOSED = 3;

    /** Stands for "disposed" in {@link #timer}. */
    static final Disposable TIMER_DISPOSED = () -> { };

    final Runnable task;
    final JobLoop loop;
    final Disposable owner;
    final Disposable.@Nullable Composite timed;

    volatile int state;
    static final AtomicIntegerFieldUpdater<LoopTask> STATE =
            AtomicIntegerFieldUpdater.newUpdater(LoopTask.class, "state");

    volatile @Nullable Disposable timer;
    static final AtomicReferenceFieldUpdater<LoopTask, Disposable> TIMER =
            AtomicReferenceFieldUpdater.newUpdater(LoopTask.class, Disposable.class, "timer");

    LoopTask(Runnable task, JobLoop loop, Disposable owner, Disposable.@Nullable Composite timed) {
        this.task = task;
        this.loop = loop;
        this.owner = owner;
        this.timed = timed;
    }

    /** Queues the task on its loop now. */
    void submit() {
        try {
            loop.execute(this);
        } catch (RejectedExecutionException e) {
            state = DISPOSED;
            throw JobLoopScheduler.rejected(e);
        }
    }

    /** Queues the task on its loop once {@code delay} has passed on the parallel scheduler. */
    void submitAfter(long delay, TimeUnit unit) {
        Disposable d;
        try {
            d = Schedulers.parallel().schedule(this::fire, delay, unit);
        } catch (RejectedExecutionException e) {
            dispose();
            throw e;
        }
        if (!TIMER.compareAndSet(this, null, d)) {
            d.dispose(); // disposed while the timer was being set
        }
    }

    /** The timer thread: hop onto the loop. */
    private void fire() {
        if (state != WAITING || owner.isDisposed()) {
            return;
        }
        try {
            loop.execute(this);
        } catch (RejectedExecutionException e) {
            dispose(); // the group closed: dropped like every task it had not run
        }
    }

    @Override
    public void run() {
        if (owner.isDisposed()) {
            dispose();
            return;
        }
        if (!STATE.compareAndSet(this, WAITING, RUNNING)) {
            return;
        }
        try {
            task.run();
        } catch (Throwable e) {
            SchedulerErrors.handle(e); // as Reactor's own schedulers do, not the loop's AsyncHooks
        } finally {
            state = FINISHED;
            if (timed != null) {
                timed.remove(this);
            }
        }
    }

    @Override
    public void dispose() {
        if (STATE.compareAndSet(this, WAITING, DISPOSED)) {
            Disposable t = TIMER.getAndSet(this, TIMER_DISPOSED);
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
        int s = state;
        return s == FINISHED || s == DISPOSED || (s == WAITING && owner.isDisposed());
    }
}
