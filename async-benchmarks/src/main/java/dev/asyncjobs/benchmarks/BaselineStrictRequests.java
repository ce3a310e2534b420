package dev.asyncjobs.benchmarks;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
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
 * A verbatim copy of async-reactor's {@code FluxStrictRequests} as it was before {@code mapJobs}
 * got its own operator (commit bfcfb88), kept as part of {@link MapJobsBaseline}.
 *
 * <p>Passes signals and requests through, except that a {@code request(n <= 0)} is answered as
 * Reactive Streams §3.9 asks: the upstream is cancelled and the subscriber gets
 * {@code onError(IllegalArgumentException)}. Reactor's own operators (here
 * {@code flatMapSequential}, behind the old {@code AsyncFlux.mapJobs}) only log such a request and drop it.
 *
 * <p>The error comes from whichever thread made the bad request, while the upstream may be in
 * {@code onNext} on a job loop: the two meet in a half-serializer (RxJava's {@code HalfSerializer}).
 * {@link #terminal} is set once, by the first terminal event of the three (upstream error,
 * upstream completion, bad request); {@link #wip} is 1 while an {@code onNext} is being delivered
 * and is incremented once more by that terminal event, and whoever brings it back from or to a
 * non-zero count with the terminal set delivers the terminal signal, so it goes out exactly once
 * and never overlaps a value. Values that arrive after it go to {@code Operators.onDiscard}, a
 * later upstream error to {@code Operators.onErrorDropped}.
 *
 * @param <T> the element type
 */
final class BaselineStrictRequests<T> extends FluxOperator<T, T> {
    BaselineStrictRequests(Flux<? extends T> source) {
        super(source);
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        source.subscribe(new StrictSubscriber<>(actual));
    }

    @Override
    @SuppressWarnings("rawtypes") // reactor-core declares scanUnsafe(Attr) with a raw Attr: an override must too
    public @Nullable Object scanUnsafe(Attr key) {
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.SYNC;
        }
        return super.scanUnsafe(key);
    }

    static final class StrictSubscriber<T> implements CoreSubscriber<T>, Subscription, Scannable {
        /** Stands for "completed" in {@link #terminal}. */
        static final Throwable COMPLETE = new Throwable("complete", null, false, false) { };

        final CoreSubscriber<? super T> actual;
        @Nullable Subscription upstream;
        volatile boolean cancelled;

        volatile int wip;
        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<StrictSubscriber> WIP =
                AtomicIntegerFieldUpdater.newUpdater(StrictSubscriber.class, "wip");

        volatile @Nullable Throwable terminal;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<StrictSubscriber, Throwable> TERMINAL =
                AtomicReferenceFieldUpdater.newUpdater(StrictSubscriber.class, Throwable.class, "terminal");

        StrictSubscriber(CoreSubscriber<? super T> actual) {
            this.actual = actual;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        @Override
        public void onNext(T t) {
            if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
                actual.onNext(t);
                if (WIP.decrementAndGet(this) != 0) {
                    deliverTerminal(); // a bad request came in meanwhile: its error is ours to send
                }
            } else {
                Operators.onDiscard(t, actual.currentContext()); // after the terminal signal
            }
        }

        @Override
        public void onError(Throwable e) {
            if (TERMINAL.compareAndSet(this, null, e)) {
                if (WIP.getAndIncrement(this) == 0) {
                    deliverTerminal();
                }
            } else {
                Operators.onErrorDropped(e, actual.currentContext());
            }
        }

        @Override
        public void onComplete() {
            if (TERMINAL.compareAndSet(this, null, COMPLETE)) {
                if (WIP.getAndIncrement(this) == 0) {
                    deliverTerminal();
                }
            }
        }

        @Override
        public void request(long n) {
            if (n > 0) {
                Subscription s = upstream;
                if (s != null) {
                    s.request(n);
                }
                return;
            }
            if (TERMINAL.compareAndSet(this, null, Exceptions.nullOrNegativeRequestException(n))) {
                cancelUpstream();
                if (WIP.getAndIncrement(this) == 0) {
                    deliverTerminal();
                }
            }
        }

        @Override
        public void cancel() {
            cancelUpstream();
        }

        private void cancelUpstream() {
            if (!cancelled) {
                cancelled = true;
                Subscription s = upstream;
                if (s != null) {
                    s.cancel();
                }
            }
        }

        private void deliverTerminal() {
            Throwable t = terminal;
            if (t == COMPLETE) {
                actual.onComplete();
            } else if (t != null) {
                actual.onError(t);
            }
        }

        @Override
        @SuppressWarnings("rawtypes") // reactor-core declares scanUnsafe(Attr) with a raw Attr: an override must too
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.PARENT) {
                return upstream;
            }
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.TERMINATED) {
                return terminal != null;
            }
            if (key == Attr.CANCELLED) {
                return cancelled;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.SYNC;
            }
            return null;
        }
    }
}
