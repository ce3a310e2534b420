package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.exceptions.Exceptions;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The part the Single, Maybe and Completable observers share: the {@link Disposable} handed
 * downstream and the {@link JobObserver} handed to the core, in one object.
 *
 * <p>The boolean is "terminated or disposed": whoever flips it first owns the end of the
 * subscription. A job outcome that finds it already set was disposed: a value is dropped, an error
 * goes to {@link RxJavaPlugins#onError}. {@link #dispose()} that flips it cancels the ticket.
 *
 * <p>The ticket arrives after the launch returns, which may be after the job already ended (its loop
 * can run it to its end before {@code launch} returns), and a dispose may come from any thread at any time. Both
 * sides write their volatile, then read the other's (launch: ticket, then flag; dispose: flag, then
 * ticket), so at least one of them sees both and cancels; {@link JobTicket#cancel()} is idempotent
 * and a no-op on a finished job.
 *
 * <p>With a user {@link Scheduler} the subscription owns one {@link Scheduler.Worker}: every start
 * and resume of the job is scheduled on it, and it is disposed once the core reports the end of the
 * job, which the core does exactly once (also for a job cancelled before it started), after the
 * downstream was signalled. It is not disposed at dispose time: the cancelled job still has to be
 * resumed on it to finish. A task the worker drops at once (it is disposed, or its scheduler was
 * shut down) is refused to the core, and one it accepted and dropped later is handed back to the
 * core ({@link WorkerExecutor} says when that can be seen); the core then finishes the job off its
 * thread and fails it once, instead of leaving it paused.
 *
 * @param <R> the job's result type
 */
@SuppressWarnings("serial") // extends AtomicBoolean for its CAS only (RxJava's style); never serialized
abstract class JobDisposable<R> extends AtomicBoolean implements JobObserver<R>, Disposable {
    private static final long serialVersionUID = 1L;

    // written before the launch, read on the job's thread: the executor hand-off publishes it
    private Scheduler.@Nullable Worker worker;
    private volatile @Nullable JobTicket ticket;

    /**
     * Launches the job for this subscription, after {@code onSubscribe} (and only if the downstream
     * did not dispose in it): on the job loops of the options, or on a new worker of
     * {@code scheduler}.
     */
    final void launch(JobFunction<? extends R> func, JobOptions options, @Nullable Scheduler scheduler) {
        JobTicket t;
        if (scheduler == null) {
            t = AsyncJobs.launch(func, options, this);
        } else {
            Scheduler.Worker w = scheduler.createWorker();
            worker = w;
            t = AsyncJobs.launch(func, options, new WorkerExecutor(w), this);
        }
        ticket = t;
        if (get()) {
            t.cancel(); // disposed meanwhile; a no-op if it is the job that terminated
        }
    }

    /** The job returned {@code value}; called only while not disposed. */
    abstract void deliverValue(@Nullable R value);

    /** The job failed; called only while not disposed. */
    abstract void deliverError(Throwable error);

    @Override
    public final void onSuccess(@Nullable R value) {
        try {
            if (compareAndSet(false, true)) {
                try {
                    deliverValue(value);
                } catch (Throwable t) {
                    downstreamThrew(t);
                }
            }
            // else: disposed, the value is dropped (nothing to release: RxJava has no discard hook)
        } finally {
            disposeWorker();
        }
    }

    @Override
    public final void onFailure(Throwable error) {
        try {
            if (compareAndSet(false, true)) {
                try {
                    deliverError(error);
                } catch (Throwable t) {
                    downstreamThrew(t);
                }
            } else if (!(error instanceof WorkerExecutor.TaskDropped)) {
                // disposed between the cancel and the end of the job (e.g. the job loops closed)
                RxJavaPlugins.onError(error);
            }
            // else: the worker refused the job's resume while the subscription was being disposed
            // (the dispose's cancel came just after the core had ended the job on the refusal, so
            // it ends as a failure, not a drop); RxJava's scheduler reported its own refusal
            // already, and the job ended as the dispose asked: nothing is lost (DroppedTaskTest)
        } finally {
            disposeWorker();
        }
    }

    @Override
    public final void onDropped(@Nullable R value, @Nullable Throwable error) {
        try {
            // a CancellationException is the job acknowledging the dispose, not a lost failure; nor
            // is a cancel-resume the disposed worker dropped (the core still ended the job cancelled)
            if (error != null && !(error instanceof CancellationException)
                    && !(error instanceof WorkerExecutor.TaskDropped)) {
                RxJavaPlugins.onError(error);
            }
        } finally {
            disposeWorker();
        }
    }

    @Override
    public final void dispose() {
        if (compareAndSet(false, true)) {
            JobTicket t = ticket;
            if (t != null) {
                t.cancel();
            }
        }
    }

    @Override
    public final boolean isDisposed() {
        return get();
    }

    /**
     * An observer that throws from {@code onSuccess}/{@code onError} breaks the protocol; as
     * RxJava's schedulers do, that goes to the plugins (and never unwinds into the job loop).
     */
    private static void downstreamThrew(Throwable t) {
        Exceptions.throwIfFatal(t);
        RxJavaPlugins.onError(t);
    }

    private void disposeWorker() {
        Scheduler.Worker w = worker;
        if (w != null) {
            w.dispose();
        }
    }
}
