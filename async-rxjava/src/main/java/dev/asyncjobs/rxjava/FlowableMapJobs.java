package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.OrderedJobs;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.FlowableSubscriber;
import io.reactivex.rxjava3.exceptions.Exceptions;
import io.reactivex.rxjava3.functions.Function;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * {@link AsyncFlowable#mapJobs}: RxJava's shell over the core's {@link OrderedJobs}, which launches
 * each item's job directly (no inner {@code Maybe} or subscriber) and emits the results in source
 * order. What stays here is the translation: the subscriber and subscription, {@link
 * RxJavaPlugins#onError} for what nobody will receive, fatal errors of the mapper, and letting go
 * of the downstream once the stream stopped.
 *
 * @param <T> the item type
 * @param <R> the result type
 */
final class FlowableMapJobs<T, R> extends Flowable<R> {
    final Flowable<T> source;
    final Function<? super T, ? extends JobFunction<? extends R>> mapper;
    final int maxInFlight;
    final JobOptions options;

    FlowableMapJobs(Flowable<T> source, Function<? super T, ? extends JobFunction<? extends R>> mapper,
            int maxInFlight, JobOptions options) {
        this.source = source;
        this.mapper = mapper;
        this.maxInFlight = maxInFlight;
        this.options = options;
    }

    @Override
    protected void subscribeActual(Subscriber<? super R> s) {
        source.subscribe(new MapJobsSubscriber<T, R>(s, mapper, maxInFlight, options));
    }

    /** One subscription: RxJava's side of its {@link OrderedJobs}. */
    static final class MapJobsSubscriber<T, R> implements FlowableSubscriber<T>, Subscription, OrderedJobs.Bridge<R> {
        /** Let go once the stream stopped (§3.13): a cancelled job may outlive it a while. */
        @Nullable Subscriber<? super R> downstream;
        final Function<? super T, ? extends JobFunction<? extends R>> mapper;
        final OrderedJobs<R> jobs;

        @Nullable Subscription upstream;

        MapJobsSubscriber(Subscriber<? super R> downstream, Function<? super T, ? extends JobFunction<? extends R>> mapper,
                int maxInFlight, JobOptions options) {
            this.downstream = downstream;
            this.mapper = mapper;
            this.jobs = new OrderedJobs<>(this, maxInFlight, options);
        }

        // ------------------------------------------------------------ upstream

        @Override
        public void onSubscribe(Subscription s) {
            if (upstream != null) {
                s.cancel(); // §2.5, as SubscriptionHelper.validate
                RxJavaPlugins.onError(new IllegalStateException("Subscription already set!"));
                return;
            }
            upstream = s;
            Subscriber<? super R> a = downstream;
            if (a != null) {
                a.onSubscribe(this);
            }
            jobs.start();
        }

        @Override
        public void onNext(T t) {
            if (jobs.isSourceDone()) {
                return;
            }
            JobFunction<? extends R> func;
            try {
                func = Objects.requireNonNull(mapper.apply(t), "The mapper returned a null JobFunction");
            } catch (Throwable e) {
                Exceptions.throwIfFatal(e);
                cancelUpstream();
                onError(e);
                return;
            }
            jobs.add(func); // false: stopped, nothing launched and nothing to cancel
        }

        @Override
        public void onError(Throwable e) {
            jobs.sourceError(e);
        }

        @Override
        public void onComplete() {
            jobs.sourceComplete();
        }

        // ------------------------------------------------------------ downstream

        @Override
        public void request(long n) {
            jobs.request(n);
        }

        @Override
        public void cancel() {
            jobs.cancel();
        }

        // ------------------------------------------------------------ OrderedJobs.Bridge

        @Override
        public void emitNext(R value) {
            Subscriber<? super R> a = downstream;
            if (a != null) {
                a.onNext(value);
            }
        }

        @Override
        public void emitError(Throwable error) {
            Subscriber<? super R> a = downstream;
            downstream = null;
            if (a != null) {
                a.onError(error);
            }
        }

        @Override
        public void emitComplete() {
            Subscriber<? super R> a = downstream;
            downstream = null;
            if (a != null) {
                a.onComplete();
            }
        }

        @Override
        public void onCancelled() {
            downstream = null; // the slots of jobs still ending must not keep the subscriber
        }

        @Override
        public void requestUpstream(long n) {
            Subscription s = upstream;
            if (s != null) {
                s.request(n);
            }
        }

        @Override
        public void cancelUpstream() {
            Subscription s = upstream;
            if (s != null) {
                s.cancel();
            }
        }

        @Override
        public void dropError(Throwable error) {
            RxJavaPlugins.onError(error);
        }
    }
}
