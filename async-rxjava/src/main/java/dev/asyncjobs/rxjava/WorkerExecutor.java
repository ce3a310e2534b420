package dev.asyncjobs.rxjava;

import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.Disposable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The executor a job launched with a user {@link Scheduler} runs on: its subscription's worker.
 *
 * <p>An RxJava worker never throws when it cannot take a task: a disposed worker, or one whose
 * executor was shut down, returns a disposed {@link Disposable} (RxJava's {@code
 * Disposable.disposed()}) and the task never runs. The core only learns of a refused task through
 * a {@link RejectedExecutionException}, and without one it would wait forever for a resume that
 * was dropped. So a task whose {@code Disposable} comes back disposed, or whose worker is found
 * disposed once {@code schedule} returns (RxJava's workers drop their pending tasks on dispose), is
 * refused here, unless it already ran (a worker that runs tasks inline, or one so quick that the
 * task is done, also reports it disposed).
 *
 * <p>"Ran" and "refused" are decided by one CAS on the task, so a task is either run by the
 * worker or refused here, never both: a worker that marks a task disposed just before running it
 * finds it already claimed and skips it.
 *
 * <p>RxJava's own schedulers, once {@code shutdown()}, hand back a disposed {@code Disposable}
 * for every later task, so those are refused. A task that a worker accepts and drops later,
 * without running it, cannot be seen: a worker disposed by someone else after {@code schedule}
 * returned while the task waits in its queue, a scheduler shut down while the task is queued
 * (RxJava's {@code shutdown()} is a {@code shutdownNow()} of its threads), or an executor shut
 * down with {@code shutdownNow()}. The subscription itself disposes its worker only once the job
 * has ended.
 */
final class WorkerExecutor implements Executor {
    final Scheduler.Worker worker;

    WorkerExecutor(Scheduler.Worker worker) {
        this.worker = worker;
    }

    @Override
    public void execute(Runnable command) {
        ClaimedTask task = new ClaimedTask(command);
        Disposable d = worker.schedule(task);
        if ((d.isDisposed() || worker.isDisposed()) && task.refuse()) {
            throw new TaskDropped();
        }
    }

    /**
     * The refusal. Its own type so that, when the subscription was disposed anyway, the refused
     * cancel-resume is not reported as a lost failure: the job still ends cancelled, as asked.
     */
    static final class TaskDropped extends RejectedExecutionException {
        private static final long serialVersionUID = 1L;

        TaskDropped() {
            super("the scheduler's worker dropped the job's task (the worker is disposed or its scheduler"
                    + " shut down)");
        }
    }

    /** The boolean is "claimed": by the worker running it, or by {@link #refuse()}. */
    @SuppressWarnings("serial") // extends AtomicBoolean for its CAS only (RxJava's style); never serialized
    static final class ClaimedTask extends AtomicBoolean implements Runnable {
        private static final long serialVersionUID = 1L;

        final Runnable actual;

        ClaimedTask(Runnable actual) {
            this.actual = actual;
        }

        @Override
        public void run() {
            if (compareAndSet(false, true)) {
                actual.run();
            }
        }

        /** Claims the task for the refusal; false if it ran (or is running) already. */
        boolean refuse() {
            return compareAndSet(false, true);
        }
    }
}
