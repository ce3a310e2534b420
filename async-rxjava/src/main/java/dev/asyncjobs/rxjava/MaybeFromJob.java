package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Maybe;
import io.reactivex.rxjava3.core.MaybeObserver;
import io.reactivex.rxjava3.core.Scheduler;
import org.jspecify.annotations.Nullable;

/**
 * {@link AsyncMaybe#fromJob}: each subscription launches the job; a value is emitted, a {@code null}
 * completes empty (as {@code Maybe.fromCallable}), a failure is emitted as {@code onError}; a
 * dispose cancels the job.
 *
 * @param <R> the result type
 */
final class MaybeFromJob<R> extends Maybe<R> {
    final JobFunction<? extends R> func;
    final JobOptions options;
    final @Nullable Scheduler scheduler;

    MaybeFromJob(JobFunction<? extends R> func, JobOptions options, @Nullable Scheduler scheduler) {
        this.func = func;
        this.options = JobLoopScheduler.optionsFor(options, scheduler);
        this.scheduler = JobLoopScheduler.workerSchedulerFor(scheduler);
    }

    @Override
    protected void subscribeActual(MaybeObserver<? super R> observer) {
        JobMaybeObserver<R> parent = new JobMaybeObserver<>(observer);
        observer.onSubscribe(parent);
        if (parent.isDisposed()) {
            return;
        }
        parent.launch(func, options, scheduler);
    }

    @SuppressWarnings("serial") // extends AtomicBoolean (JobDisposable) for its CAS only (RxJava's style); never serialized
    static final class JobMaybeObserver<R> extends JobDisposable<R> {
        private static final long serialVersionUID = 1L;

        final MaybeObserver<? super R> downstream;

        JobMaybeObserver(MaybeObserver<? super R> downstream) {
            this.downstream = downstream;
        }

        @Override
        void deliverValue(@Nullable R value) {
            if (value == null) {
                downstream.onComplete();
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
