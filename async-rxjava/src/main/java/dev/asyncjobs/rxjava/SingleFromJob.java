package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.core.Single;
import io.reactivex.rxjava3.core.SingleObserver;
import org.jspecify.annotations.Nullable;

/**
 * {@link AsyncSingle#fromJob}: each subscription launches the job; its value is emitted, a
 * {@code null} becomes a {@link NullPointerException} (as {@code Single.fromCallable}), a failure is
 * emitted as {@code onError}; a dispose cancels the job.
 *
 * @param <R> the result type
 */
final class SingleFromJob<R> extends Single<R> {
    final JobFunction<? extends R> func;
    final JobOptions options;
    final @Nullable Scheduler scheduler;

    SingleFromJob(JobFunction<? extends R> func, JobOptions options, @Nullable Scheduler scheduler) {
        this.func = func;
        this.options = JobLoopScheduler.optionsFor(options, scheduler);
        this.scheduler = JobLoopScheduler.workerSchedulerFor(scheduler);
    }

    @Override
    protected void subscribeActual(SingleObserver<? super R> observer) {
        JobSingleObserver<R> parent = new JobSingleObserver<>(observer);
        observer.onSubscribe(parent);
        if (parent.isDisposed()) {
            return;
        }
        parent.launch(func, options, scheduler);
    }

    @SuppressWarnings("serial") // extends AtomicBoolean (JobDisposable) for its CAS only (RxJava's style); never serialized
    static final class JobSingleObserver<R> extends JobDisposable<R> {
        private static final long serialVersionUID = 1L;

        final SingleObserver<? super R> downstream;

        JobSingleObserver(SingleObserver<? super R> downstream) {
            this.downstream = downstream;
        }

        @Override
        void deliverValue(@Nullable R value) {
            if (value == null) {
                downstream.onError(new NullPointerException("The job returned a null value."
                        + " Null values are generally not allowed in 3.x operators and sources."));
            } else {
                downstream.onSuccess(value);
            }
        }

        @Override
        void deliverError(Throwable error) {
            downstream.onError(error);
        }
    }
}
