package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.AsyncJobs;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.Disposable;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * <p>A worker can also drop a task it <em>accepted</em>. {@code Schedulers.from(executor)}'s
 * worker submits itself to the executor whenever its queue goes from empty to not empty; a
 * {@code ThreadPoolExecutor} shut down during such an {@code execute} takes the command back with
 * {@code remove(command)}, which removes the first equal element of its queue. If the executor's
 * thread already ran that submission and a later task made the worker submit itself again, the
 * second submission is the one removed; the first caller gets the refusal, and the worker marks
 * itself disposed and clears its queue: the later task, already accepted (its {@code Disposable}
 * live, the worker not yet disposed when its caller looked), is gone. So every task handed to the
 * worker stays in {@link #pending} until it starts, and a caller that sees the worker disposed (or
 * its own task refused) claims every pending task that has not started and hands it back to the
 * core ({@link AsyncJobs#taskDropped}), which ends that job off its thread. Whichever comes second,
 * the refusal or the later task's own look at the worker, sees the other (each writes, then reads
 * the other's write: the task is queued before {@code schedule}, the worker's flag is set before
 * the refused caller sweeps), so the task is always either run, or claimed by its own caller or by
 * the sweep.
 *
 * <p>"Ran" and "refused" are decided by one CAS on the task, so a task is either run by the
 * worker or refused here, never both: a worker that marks a task disposed just before running it
 * finds it already claimed and skips it.
 *
 * <p>What cannot be seen: a task that a worker accepts and drops later while nothing else is
 * scheduled on it, which only happens when someone else disposes the worker (the subscription
 * itself disposes it only once the job has ended), when a scheduler is shut down while the task
 * is queued (RxJava's {@code shutdown()} of its own schedulers is a {@code shutdownNow()} of their
 * threads), or when the executor of {@code Schedulers.from} is stopped with {@code shutdownNow()}
 * (which hands the dropped worker back to its caller). A plain {@code shutdown()} of that executor
 * is seen: its queued tasks still run, and a refused one is caught as above.
 */
final class WorkerExecutor implements Executor {
    final Scheduler.Worker worker;
    /** Tasks handed to the worker and not yet claimed: one, rarely two (a job queues one at a time). */
    final Queue<ClaimedTask> pending = new ConcurrentLinkedQueue<>();

    WorkerExecutor(Scheduler.Worker worker) {
        this.worker = worker;
    }

    @Override
    public void execute(Runnable command) {
        ClaimedTask task = new ClaimedTask(command, this);
        pending.offer(task); // before schedule: a refusal that drops it must find it here
        Disposable d = worker.schedule(task);
        boolean workerGone = worker.isDisposed();
        if (!workerGone && !d.isDisposed()) {
            return;
        }
        boolean refused = task.refuse(); // false: it ran (or runs) already, the quick-worker case
        if (workerGone || refused) {
            // the worker refused a task: whatever else it accepted and has not started is lost too
            dropPending();
        }
        if (refused) {
            throw new TaskDropped("the scheduler's worker dropped the job's task (the worker is disposed or"
                    + " its scheduler shut down)");
        }
    }

    /** Claims every pending task not started yet and tells the core each was dropped. */
    private void dropPending() {
        for (ClaimedTask t : pending) {
            if (t.refuse()) {
                AsyncJobs.taskDropped(t.actual, new TaskDropped("the scheduler's worker dropped the job's task"
                        + " after accepting it (it refused a later task, e.g. its executor was shut down)"));
            }
        }
    }

    /**
     * The refusal. Its own type so that, when the subscription was disposed anyway, the refused
     * cancel-resume is not reported as a lost failure: the job still ends cancelled, as asked.
     */
    static final class TaskDropped extends RejectedExecutionException {
        private static final long serialVersionUID = 1L;

        TaskDropped(String message) {
            super(message);
        }
    }

    /**
     * The boolean is "claimed": by the worker running it, or by {@link #refuse()}. Either way it
     * leaves its executor's {@link #pending}.
     */
    @SuppressWarnings("serial") // extends AtomicBoolean for its CAS only (RxJava's style); never serialized
    static final class ClaimedTask extends AtomicBoolean implements Runnable {
        private static final long serialVersionUID = 1L;

        final transient Runnable actual;
        private final transient WorkerExecutor owner;

        ClaimedTask(Runnable actual, WorkerExecutor owner) {
            this.actual = actual;
            this.owner = owner;
        }

        @Override
        public void run() {
            if (compareAndSet(false, true)) {
                owner.pending.remove(this);
                actual.run();
            }
        }

        /** Claims the task for the refusal; false if it ran (or is running) already. */
        boolean refuse() {
            if (compareAndSet(false, true)) {
                owner.pending.remove(this);
                return true;
            }
            return false;
        }
    }
}
