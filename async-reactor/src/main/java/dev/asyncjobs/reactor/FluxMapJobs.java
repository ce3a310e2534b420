package dev.asyncjobs.reactor;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.OrderedJobs;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * The operator behind {@link AsyncFlux#mapJobs}: Reactor's shell over the core's {@link
 * OrderedJobs}, which launches each element's job directly (no inner publisher or subscriber) and
 * emits the results in source order. What stays here is the translation: the subscriber and
 * subscription, Reactor's hooks ({@code onDiscard}, {@code onErrorDropped}, {@code onNextDropped},
 * {@code onOperatorError}), the subscriber's context inside the jobs, and {@link Scannable}.
 *
 * @param <T> the element type
 * @param <R> the result type
 */
final class FluxMapJobs<T, R> extends FluxOperator<T, R> {
    final Function<? super T, ? extends JobFunction<? extends @Nullable R>> mapper;
    final int maxInFlight;
    final JobOptions options;

    FluxMapJobs(Flux<? extends T> source, Function<? super T, ? extends JobFunction<? extends @Nullable R>> mapper,
            int maxInFlight, JobOptions options) {
        super(source);
        this.mapper = mapper;
        this.maxInFlight = maxInFlight;
        this.options = options;
    }

    /** Applies Reactor's assembly hooks ({@code Flux.onAssembly} is reachable from subclasses only). */
    static <R> Flux<R> assemble(FluxMapJobs<?, R> flux) {
        return onAssembly(flux);
    }

    @Override
    public void subscribe(CoreSubscriber<? super R> actual) {
        source.subscribe(new MapJobsMain<T, R>(actual, mapper, maxInFlight, options,
                ContextSupport.shouldPropagate()));
    }

    @Override
    @SuppressWarnings("rawtypes") // Scannable declares the parameter raw
    public @Nullable Object scanUnsafe(Attr key) {
        if (key == Attr.PREFETCH) {
            return maxInFlight;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        return super.scanUnsafe(key);
    }

    /** One subscription: Reactor's side of its {@link OrderedJobs}. */
    static final class MapJobsMain<T, R> implements CoreSubscriber<T>, Subscription, Scannable, OrderedJobs.Bridge<R> {
        final CoreSubscriber<? super R> actual;
        final Function<? super T, ? extends JobFunction<? extends @Nullable R>> mapper;
        final boolean propagateContext;
        final OrderedJobs<R> jobs;

        @Nullable Subscription upstream;

        MapJobsMain(CoreSubscriber<? super R> actual,
                Function<? super T, ? extends JobFunction<? extends @Nullable R>> mapper, int maxInFlight,
                JobOptions options, boolean propagateContext) {
            this.actual = actual;
            this.mapper = mapper;
            this.propagateContext = propagateContext;
            this.jobs = new OrderedJobs<>(this, maxInFlight, options);
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        // ------------------------------------------------------------ upstream

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
                jobs.start();
            }
        }

        @Override
        public void onNext(T t) {
            if (jobs.isSourceDone()) {
                Operators.onNextDropped(t, actual.currentContext());
                return;
            }
            JobFunction<? extends @Nullable R> func;
            try {
                func = Objects.requireNonNull(mapper.apply(t), "the job function returned a null JobFunction");
            } catch (Throwable e) {
                onError(Operators.onOperatorError(upstream, e, t, actual.currentContext()));
                return;
            }
            if (!jobs.add(func)) {
                Operators.onDiscard(t, actual.currentContext()); // nothing launched, nothing to cancel
            }
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
            actual.onNext(value);
        }

        @Override
        public void emitError(Throwable error) {
            actual.onError(error);
        }

        @Override
        public void emitComplete() {
            actual.onComplete();
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
        public void discard(R value) {
            Operators.onDiscard(value, actual.currentContext());
        }

        @Override
        public void dropError(Throwable error) {
            Operators.onErrorDropped(error, actual.currentContext());
        }

        @Override
        public Throwable badRequest(long n) {
            return Exceptions.nullOrNegativeRequestException(n);
        }

        @Override
        public @Nullable AutoCloseable onSegmentStart() {
            return propagateContext ? ContextSupport.setThreadLocals(actual.currentContext()) : null;
        }

        // ------------------------------------------------------------ Scannable

        @Override
        @SuppressWarnings("rawtypes") // Scannable declares the parameter raw
        public @Nullable Object scanUnsafe(Attr key) {
            return key == Attr.PARENT ? upstream
                    : key == Attr.ACTUAL ? actual
                    : key == Attr.CANCELLED ? (Object) jobs.isCancelled()
                    : key == Attr.TERMINATED ? (Object) jobs.isTerminated()
                    : key == Attr.ERROR ? jobs.error()
                    : key == Attr.PREFETCH ? (Object) jobs.maxInFlight()
                    : key == Attr.REQUESTED_FROM_DOWNSTREAM ? (Object) jobs.requested()
                    : key == Attr.RUN_STYLE ? Attr.RunStyle.ASYNC
                    : null;
        }
    }
}
