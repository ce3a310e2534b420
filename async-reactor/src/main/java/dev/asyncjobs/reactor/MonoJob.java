package dev.asyncjobs.reactor;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.JobTicket;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

/**
 * The operator behind {@link AsyncMono}: each subscription launches one job with
 * {@link AsyncJobs#launch} and turns its outcome into signals.
 *
 * <p>Either on the options' job loops ({@code worker == null}), or on one {@link Scheduler.Worker}
 * of a user's scheduler per subscription: the worker is the job's confined executor and is disposed
 * once the job has ended.
 *
 * @param <R> the value type
 */
final class MonoJob<R> extends Mono<R> implements Scannable {
    private final Function<? super ContextView, ? extends JobFunction<? extends @Nullable R>> factory;
    private final JobOptions options;
    private final @Nullable Scheduler scheduler;
    /** Set when {@link #scheduler} is a job-loop one: the job then runs on its loops directly. */
    private final @Nullable JobLoopScheduler loops;

    MonoJob(Function<? super ContextView, ? extends JobFunction<? extends @Nullable R>> factory, JobOptions options,
            @Nullable Scheduler scheduler) {
        this.factory = factory;
        if (scheduler instanceof JobLoopScheduler l) {
            this.options = onLoops(options, l.group(), "a JobLoopScheduler");
            this.scheduler = null;
            this.loops = l;
        } else if (scheduler != null) {
            JobPlacement p = options.placement();
            if (p != null && p.onLoops()) {
                throw new IllegalArgumentException("the job runs on the Scheduler given (" + scheduler
                        + "), but the options say " + p + ": pass one of them, not both");
            }
            this.options = options;
            this.scheduler = scheduler;
            this.loops = null;
        } else {
            JobPlacement p = options.placement();
            if (p != null && !p.onLoops()) {
                throw new IllegalArgumentException("the options say " + p + ", which needs the thread-confined"
                        + " Scheduler to run on: use AsyncMono.fromJob(func, options, scheduler)");
            }
            this.options = p != null ? options : options.toBuilder().loops(JobLoopScheduler.shared().group()).build();
            this.scheduler = null;
            this.loops = null;
        }
    }

    /** The options on {@code group}'s loops; a placement elsewhere contradicts {@code what}. */
    private static JobOptions onLoops(JobOptions options, JobLoopGroup group, String what) {
        JobPlacement p = options.placement();
        if (p == null) {
            return options.toBuilder().loops(group).build();
        }
        if (p.loops() != group) {
            throw new IllegalArgumentException("the job runs on the loops of " + what + ", but the options say "
                    + p + ": pass one of them, not both");
        }
        return options;
    }

    /** Applies Reactor's assembly hooks ({@code Mono.onAssembly} is reachable from subclasses only). */
    static <R> Mono<R> assemble(MonoJob<R> mono) {
        return onAssembly(mono);
    }

    @Override
    public void subscribe(CoreSubscriber<? super R> actual) {
        ContextView context = actual.currentContext();
        JobFunction<? extends @Nullable R> func;
        Scheduler.Worker worker = null;
        try {
            func = Objects.requireNonNull(factory.apply(context), "the job factory returned a null JobFunction");
            if (scheduler != null) {
                worker = scheduler.createWorker();
            } else if (loops != null && loops.isDisposed()) {
                throw Exceptions.failWithRejected("the JobLoopScheduler is disposed");
            }
        } catch (Throwable e) {
            Operators.error(actual, Operators.onOperatorError(e, actual.currentContext()));
            return;
        }
        JobSubscription<R> s = new JobSubscription<>(actual, worker, ContextSupport.shouldPropagate());
        actual.onSubscribe(s);
        if (s.isCancelled()) {
            // cancelled from onSubscribe: the job never starts, the worker is ours to release
            if (worker != null) {
                worker.dispose();
            }
            return;
        }
        JobTicket ticket;
        if (worker == null) {
            ticket = AsyncJobs.launch(func, options, s);
        } else {
            Scheduler.Worker w = worker;
            ticket = AsyncJobs.launch(func, options, task -> w.schedule(task), s);
        }
        s.setTicket(ticket);
    }

    @Override
    @SuppressWarnings("rawtypes") // reactor-core declares scanUnsafe(Attr) with a raw Attr: an override must too
    public @Nullable Object scanUnsafe(Attr key) {
        if (key == Attr.RUN_ON) {
            return loops != null ? loops : scheduler;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        return null;
    }

    /**
     * One subscription: the observer of its job.
     *
     * <h2>States</h2>
     * The value may arrive before the request (it is held until then) and the cancel may race with
     * either. Only a successful CAS out of a state acts on it, so each signal goes out at most once.
     * <pre>
     *  state        event                 next         action
     *  NO_REQUEST   request(n)            HAS_REQUEST
     *               value                 HAS_VALUE    hold the value
     *               empty / error         TERMINATED   onComplete / onError
     *               cancel                CANCELLED    cancel the job
     *  HAS_REQUEST  value                 TERMINATED   onNext + onComplete
     *               empty / error         TERMINATED   onComplete / onError
     *               cancel                CANCELLED    cancel the job
     *  HAS_VALUE    request(n)            TERMINATED   onNext(held) + onComplete
     *               cancel                CANCELLED    discard the held value
     *  (the three)  request(n <= 0)       CANCELLED    as cancel, then onError(IAE) (§3.9)
     *  TERMINATED   anything              -            (a late cancel is a no-op)
     *  CANCELLED    value / error         -            Operators.onDiscard / onErrorDropped
     * </pre>
     * The job's ticket goes through {@code ticket} with a sentinel: {@link #setTicket} after a
     * cancel cancels the job at once, and a cancel after it reaches the job exactly once.
     */
    static final class JobSubscription<R> implements org.reactivestreams.Subscription, Scannable,
            JobObserver<@Nullable R> {
        static final int NO_REQUEST = 0;
        static final int HAS_REQUEST = 1;
        static final int HAS_VALUE = 2;
        static final int TERMINATED = 3;
        static final int CANCELLED = 4;


        final CoreSubscriber<? super R> actual;
        final Scheduler.@Nullable Worker worker;
        final boolean propagateContext;

        volatile int state;
        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<JobSubscription> STATE =
                AtomicIntegerFieldUpdater.newUpdater(JobSubscription.class, "state");

        volatile @Nullable JobTicket ticket;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<JobSubscription, JobTicket> TICKET =
                AtomicReferenceFieldUpdater.newUpdater(JobSubscription.class, JobTicket.class, "ticket");

        /** The value waiting for a request; published by the CAS to {@link #HAS_VALUE}. */
        @Nullable R value;

        JobSubscription(CoreSubscriber<? super R> actual, Scheduler.@Nullable Worker worker,
                boolean propagateContext) {
            this.actual = actual;
            this.worker = worker;
            this.propagateContext = propagateContext;
        }

        void setTicket(JobTicket t) {
            if (!TICKET.compareAndSet(this, null, t)) {
                t.cancel(); // cancelled while the job was being launched
            }
        }

        boolean isCancelled() {
            return state == CANCELLED;
        }

        // ------------------------------------------------------------ Subscription

        @Override
        public void request(long n) {
            if (n <= 0) {
                badRequest(n);
                return;
            }
            for (;;) {
                int s = state;
                if (s == NO_REQUEST) {
                    if (STATE.compareAndSet(this, NO_REQUEST, HAS_REQUEST)) {
                        return;
                    }
                } else if (s == HAS_VALUE) {
                    if (STATE.compareAndSet(this, HAS_VALUE, TERMINATED)) {
                        R v = value;
                        value = null;
                        if (v != null) {
                            actual.onNext(v);
                        }
                        actual.onComplete();
                        return;
                    }
                } else {
                    return;
                }
            }
        }

        @Override
        public void cancel() {
            stop();
        }

        /**
         * Reactive Streams §3.9: a request of {@code n <= 0} is answered with
         * {@code onError(IllegalArgumentException)}. The subscription is over, so the job is
         * cancelled exactly as by {@link #cancel()} (resumed cancelled, ctx closed, slot freed) and
         * what it still produces goes to the discard and dropped-error hooks. Only the caller that
         * won the CAS signals the error, so it never races a value or another terminal signal.
         */
        private void badRequest(long n) {
            if (stop()) {
                actual.onError(Exceptions.nullOrNegativeRequestException(n));
            }
        }

        /** Moves to {@link #CANCELLED} and lets the job go; true for the one caller that did it. */
        private boolean stop() {
            for (;;) {
                int s = state;
                if (s == TERMINATED || s == CANCELLED) {
                    return false;
                }
                if (STATE.compareAndSet(this, s, CANCELLED)) {
                    if (s == HAS_VALUE) {
                        R v = value; // the job is over: only the held value is left to release
                        value = null;
                        discard(v);
                    } else {
                        JobTicket t = TICKET.getAndSet(this, JobTicket.CANCELLED);
                        if (t != null) {
                            t.cancel();
                        }
                    }
                    return true;
                }
            }
        }

        // ------------------------------------------------------------ JobObserver (the job's thread)

        @Override
        public void onSuccess(@Nullable R v) {
            releaseWorker();
            if (v == null) {
                terminate(null);
                return;
            }
            for (;;) {
                int s = state;
                if (s == HAS_REQUEST) {
                    if (STATE.compareAndSet(this, HAS_REQUEST, TERMINATED)) {
                        actual.onNext(v);
                        actual.onComplete();
                        return;
                    }
                } else if (s == NO_REQUEST) {
                    value = v;
                    if (STATE.compareAndSet(this, NO_REQUEST, HAS_VALUE)) {
                        return;
                    }
                    value = null;
                } else {
                    discard(v); // cancelled just as the job returned
                    return;
                }
            }
        }

        @Override
        public void onFailure(Throwable error) {
            releaseWorker();
            terminate(error);
        }

        @Override
        public void onDropped(@Nullable R v, @Nullable Throwable error) {
            releaseWorker();
            if (v != null) {
                discard(v);
            }
            // a job that answers its cancel by throwing CancellationException did what was asked
            if (error != null && !(error instanceof CancellationException)) {
                Operators.onErrorDropped(error, actual.currentContext());
            }
        }

        @Override
        public @Nullable AutoCloseable onSegmentStart() {
            return propagateContext ? ContextSupport.setThreadLocals(actual.currentContext()) : null;
        }

        private void terminate(@Nullable Throwable error) {
            for (;;) {
                int s = state;
                if (s == CANCELLED || s == TERMINATED) {
                    if (error != null && !(error instanceof CancellationException)) {
                        Operators.onErrorDropped(error, actual.currentContext());
                    }
                    return;
                }
                if (STATE.compareAndSet(this, s, TERMINATED)) {
                    if (error == null) {
                        actual.onComplete();
                    } else {
                        actual.onError(error);
                    }
                    return;
                }
            }
        }

        private void discard(@Nullable R v) {
            if (v != null) {
                Operators.onDiscard(v, actual.currentContext());
            }
        }

        /** The job has ended: its worker (if any) has nothing left to run. */
        private void releaseWorker() {
            Scheduler.Worker w = worker;
            if (w != null) {
                w.dispose();
            }
        }

        // ------------------------------------------------------------ Scannable

        @Override
        @SuppressWarnings("rawtypes") // reactor-core declares scanUnsafe(Attr) with a raw Attr: an override must too
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.CANCELLED) {
                return state == CANCELLED;
            }
            if (key == Attr.TERMINATED) {
                return state == TERMINATED;
            }
            if (key == Attr.BUFFERED) {
                return state == HAS_VALUE ? 1 : 0;
            }
            if (key == Attr.RUN_ON) {
                return worker;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.ASYNC;
            }
            return null;
        }
    }
}
