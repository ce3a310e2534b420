package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Completable;
import io.reactivex.rxjava3.core.CompletableObserver;
import io.reactivex.rxjava3.core.Scheduler;
import org.jspecify.annotations.Nullable;

/**
 * {@link AsyncCompletable#fromJob}: each subscription launches the job; its end completes (whatever
 * it returned), a failure is emitted as {@code onError}; a dispose cancels the job.
 */
final class CompletableFromJob extends Completable {
    final JobFunction<?> func;
    final JobOptions options;
    final @Nullable Scheduler scheduler;

    CompletableFromJob(JobFunction<?> func, JobOptions options, @Nullable Scheduler scheduler) {
        this.func = func;
        this.options = JobLoopScheduler.optionsFor(options, scheduler);
        this.scheduler = JobLoopScheduler.workerSchedulerFor(scheduler);
    }

    @Override
    protected void subscribeActual(CompletableObserver observer) {
        JobCompletableObserver parent = new JobCompletableObserver(observer);
        observer.onSubscribe(parent);
        if (parent.isDisposed()) {
            return;
        }
        parent.launch(func, options, scheduler);
    }

    @SuppressWarnings("serial") // extends AtomicBoolean (JobDisposable) for its CAS only (RxJava's style); never serialized
    static final class JobCompletableObserver extends JobDisposable<Object> {
        private static final long serialVersionUID = 1L;

        final CompletableObserver downstream;

        JobCompletableObserver(CompletableObserver downstream) {
            this.downstream = downstream;
        }

        @Override
        void deliverValue(@Nullable Object value) {
            downstream.onComplete();
        }

        @Override
        void deliverError(Throwable error) {
            downstream.onError(error);
        }
    }
}
