package dev.asyncjobs.reactor;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
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
 * The operator behind {@link AsyncFlux#mapJobs}: each element launches its job directly with
 * {@link AsyncJobs#launch}, with no inner publisher or subscriber; the job's {@link JobObserver} is
 * the element's {@link Slot} in an in-order list, and one drain loop emits the slots' values in
 * source order.
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

    /**
     * One subscription.
     *
     * <h2>Invariants</h2>
     * <ul>
     *   <li>The slots form a singly linked list in source order: {@link #onNext} (serial, by
     *       Reactive Streams §1.3) appends at {@link #tail}; the drain loop (whoever holds
     *       {@link #wip}) pops at {@link #head}, a sentinel whose {@code next} is the oldest live
     *       slot. A slot is appended <em>before</em> its job is launched, because a launch on a
     *       loop thread runs the job inline and may end it before {@code launch} returns.</li>
     *   <li>Upstream demand is {@link #maxInFlight} at first, then 1 per slot popped (its value
     *       emitted, or its job returned {@code null}). So at most {@code maxInFlight} slots, and
     *       jobs, exist at once, and a slow subscriber holds the source back.</li>
     *   <li>{@link #error} goes {@code null -> error -> TERMINATED}, or {@code null -> TERMINATED}
     *       on completion or cancel; only the drain loop moves it to {@code TERMINATED} after an
     *       error, so exactly one terminal signal goes out, never overlapping an {@code onNext}.
     *       An error that finds it set goes to {@code Operators.onErrorDropped}.</li>
     *   <li>{@link #stopped} is set once (cancel, or a terminal signal sent); from then on every
     *       drain cancels the slots still listed (their jobs are resumed cancelled and finish) and
     *       releases their values to {@code Operators.onDiscard}. An {@code onNext} that appends
     *       after the flag sees it (its volatile write of {@code next} comes before its read of
     *       the flag) and launches nothing; one that read the flag unset appended before it was set,
     *       so the next drain finds its slot.</li>
     * </ul>
     */
    static final class MapJobsMain<T, R> implements CoreSubscriber<T>, Subscription, Scannable {
        /** In {@link #error}: a terminal signal went out (or the subscription was cancelled). */
        static final Throwable TERMINATED = Exceptions.TERMINATED;

        final CoreSubscriber<? super R> actual;
        final Function<? super T, ? extends JobFunction<? extends @Nullable R>> mapper;
        final int maxInFlight;
        final JobOptions options;
        final boolean propagateContext;

        @Nullable Subscription upstream;
        /** Drain loop only. */
        Slot<R> head;
        /** {@link #onNext} only. */
        Slot<R> tail;
        /** Values emitted so far (drain loop only); compared with the cumulative {@link #requested}. */
        long emitted;

        volatile boolean done;
        volatile boolean stopped;
        volatile boolean cancelled;

        volatile @Nullable Throwable error;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<MapJobsMain, Throwable> ERROR =
                AtomicReferenceFieldUpdater.newUpdater(MapJobsMain.class, Throwable.class, "error");

        /** All demand so far, capped at {@code Long.MAX_VALUE}. */
        volatile long requested;
        @SuppressWarnings("rawtypes")
        static final AtomicLongFieldUpdater<MapJobsMain> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(MapJobsMain.class, "requested");

        volatile int wip;
        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<MapJobsMain> WIP =
                AtomicIntegerFieldUpdater.newUpdater(MapJobsMain.class, "wip");

        MapJobsMain(CoreSubscriber<? super R> actual,
                Function<? super T, ? extends JobFunction<? extends @Nullable R>> mapper, int maxInFlight,
                JobOptions options, boolean propagateContext) {
            this.actual = actual;
            this.mapper = mapper;
            this.maxInFlight = maxInFlight;
            this.options = options;
            this.propagateContext = propagateContext;
            Slot<R> sentinel = new Slot<>(this);
            this.head = sentinel;
            this.tail = sentinel;
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
                if (!stopped) {
                    s.request(maxInFlight);
                }
            }
        }

        @Override
        public void onNext(T t) {
            if (done) {
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
            Slot<R> slot = new Slot<>(this);
            Slot.NEXT.set(tail, slot); // a full volatile write: ordered before the read of stopped
            tail = slot;
            if (stopped) {
                Operators.onDiscard(t, actual.currentContext()); // nothing launched, nothing to cancel
                return;
            }
            slot.setTicket(AsyncJobs.launch(func, options, slot));
        }

        @Override
        public void onError(Throwable e) {
            if (done) {
                Operators.onErrorDropped(e, actual.currentContext());
                return;
            }
            done = true;
            if (ERROR.compareAndSet(this, null, e)) {
                drain();
            } else {
                dropError(e);
            }
        }

        @Override
        public void onComplete() {
            if (done) {
                return;
            }
            done = true;
            drain();
        }

        // ------------------------------------------------------------ downstream

        @Override
        public void request(long n) {
            if (n <= 0) {
                // Reactive Streams §3.9: the subscription is over, as after a cancel, and it says why
                if (ERROR.compareAndSet(this, null, Exceptions.nullOrNegativeRequestException(n))) {
                    cancelUpstream();
                    drain();
                }
                return;
            }
            Operators.addCap(REQUESTED, this, n);
            drain();
        }

        @Override
        public void cancel() {
            if (!cancelled) {
                cancelled = true;
                stopped = true;
                cancelUpstream();
                drain();
            }
        }

        // ------------------------------------------------------------ jobs (their loop threads)

        void innerError(Throwable e) {
            if (ERROR.compareAndSet(this, null, e)) {
                cancelUpstream();
                drain();
            } else {
                dropError(e);
            }
        }

        void discard(@Nullable Object value) {
            if (value != null) {
                Operators.onDiscard(value, actual.currentContext());
            }
        }

        /** An error nobody will see; a {@link CancellationException} is a job's answer to our cancel. */
        void dropError(Throwable e) {
            if (!(e instanceof CancellationException)) {
                Operators.onErrorDropped(e, actual.currentContext());
            }
        }

        private void cancelUpstream() {
            Subscription s = upstream;
            if (s != null) {
                s.cancel();
            }
        }

        // ------------------------------------------------------------ the drain loop

        void drain() {
            if (WIP.getAndIncrement(this) != 0) {
                return;
            }
            int missed = 1;
            CoreSubscriber<? super R> a = actual;
            for (;;) {
                long r = requested;
                long e = emitted;
                for (;;) {
                    if (stopped) {
                        cancelSlots();
                        Throwable pending = ERROR.getAndSet(this, TERMINATED);
                        if (pending != null && pending != TERMINATED) {
                            dropError(pending); // the downstream cancelled before it could go out
                        }
                        break;
                    }
                    Throwable ex = error;
                    if (ex != null) {
                        ERROR.lazySet(this, TERMINATED); // only the drain loop leaves an error
                        stopped = true;
                        cancelSlots();
                        a.onError(ex);
                        break;
                    }
                    boolean d = done; // read before the list: every slot of a done source is listed
                    Slot<R> s = head.next;
                    if (s == null) {
                        if (d && ERROR.compareAndSet(this, null, TERMINATED)) {
                            stopped = true;
                            a.onComplete();
                        } else if (!d) {
                            break;
                        }
                        continue; // completed, or an error came first: the checks above handle it
                    }
                    if (s.state != Slot.DONE) {
                        break; // still running, or failed (its innerError follows and drains)
                    }
                    R v = s.value;
                    if (v != null) {
                        if (e == r) {
                            break;
                        }
                        s.value = null;
                    }
                    head = s;
                    if (v != null) {
                        a.onNext(v);
                        e++;
                    }
                    Subscription up = upstream;
                    if (up != null) {
                        up.request(1);
                    }
                }
                emitted = e;
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) {
                    break;
                }
            }
        }

        /**
         * Drain loop: unlinks every listed slot and cancels it, newest first, so a job still
         * waiting for a pool slot is cancelled before an older job's end could hand it one (it then
         * never starts).
         */
        private void cancelSlots() {
            Slot<R> s = head.next;
            if (s == null) {
                return;
            }
            ArrayList<Slot<R>> slots = new ArrayList<>();
            Slot<R> h = head;
            while (s != null) {
                slots.add(s);
                h = s;
                s = s.next;
            }
            head = h;
            for (int i = slots.size() - 1; i >= 0; i--) {
                slots.get(i).cancel();
            }
        }

        // ------------------------------------------------------------ Scannable

        @Override
        @SuppressWarnings("rawtypes") // Scannable declares the parameter raw
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.PARENT) {
                return upstream;
            }
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.CANCELLED) {
                return cancelled;
            }
            if (key == Attr.TERMINATED) {
                return done && head.next == null;
            }
            if (key == Attr.ERROR) {
                Throwable e = error;
                return e == TERMINATED ? null : e;
            }
            if (key == Attr.PREFETCH) {
                return maxInFlight;
            }
            if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
                return requested;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.ASYNC;
            }
            return null;
        }
    }

    /**
     * One element: the observer of its job, and a node of the in-order list.
     *
     * <h2>States</h2>
     * <pre>
     *  state      event                      next       action
     *  RUNNING    job returned               DONE       hold the value (null: nothing), drain
     *             job failed                 FAILED     the main subscriber's innerError
     *             cancelSlots                CANCELLED  cancel the ticket (the job ends, onDropped)
     *  DONE       cancelSlots                CANCELLED  discard the held value
     *  CANCELLED  job returned / failed      -          discard / onErrorDropped
     * </pre>
     * Each move is a CAS (or the cancel's {@code getAndSet}), so a value is emitted or discarded
     * exactly once. The ticket goes through {@link #ticket} with a sentinel: a ticket set after
     * the cancel is cancelled at once.
     */
    static final class Slot<R> implements JobObserver<@Nullable R> {
        static final int RUNNING = 0;
        static final int DONE = 1;
        static final int FAILED = 2;
        static final int CANCELLED = 3;

        /** Stands for "cancelled" in {@link #ticket}. */
        static final JobTicket CANCELLED_TICKET = new JobTicket() {
            @Override
            public void cancel() {
            }

            @Override
            public boolean isDone() {
                return true;
            }
        };

        final MapJobsMain<?, R> parent;

        volatile @Nullable Slot<R> next;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<Slot, Slot> NEXT =
                AtomicReferenceFieldUpdater.newUpdater(Slot.class, Slot.class, "next");

        volatile int state;
        @SuppressWarnings("rawtypes")
        static final AtomicIntegerFieldUpdater<Slot> STATE = AtomicIntegerFieldUpdater.newUpdater(Slot.class, "state");

        volatile @Nullable JobTicket ticket;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<Slot, JobTicket> TICKET =
                AtomicReferenceFieldUpdater.newUpdater(Slot.class, JobTicket.class, "ticket");

        /** The job's value; published by the CAS to {@link #DONE}. */
        @Nullable R value;

        Slot(MapJobsMain<?, R> parent) {
            this.parent = parent;
        }

        void setTicket(JobTicket t) {
            if (!TICKET.compareAndSet(this, null, t)) {
                t.cancel(); // cancelled while the job was being launched (a no-op if it has ended)
            }
        }

        void cancel() {
            int s = STATE.getAndSet(this, CANCELLED);
            if (s == DONE) {
                R v = value;
                value = null;
                parent.discard(v);
            } else if (s == RUNNING) {
                JobTicket t = TICKET.getAndSet(this, CANCELLED_TICKET);
                if (t != null) {
                    t.cancel();
                }
            }
        }

        @Override
        public void onSuccess(@Nullable R v) {
            value = v;
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                parent.drain();
            } else {
                value = null;
                parent.discard(v); // cancelled just as the job returned
            }
        }

        @Override
        public void onFailure(Throwable e) {
            if (STATE.compareAndSet(this, RUNNING, FAILED)) {
                parent.innerError(e);
            } else {
                parent.dropError(e);
            }
        }

        @Override
        public void onDropped(@Nullable R v, @Nullable Throwable e) {
            parent.discard(v);
            if (e != null) {
                parent.dropError(e);
            }
        }

        @Override
        public @Nullable AutoCloseable onSegmentStart() {
            return parent.propagateContext ? ContextSupport.setThreadLocals(parent.actual.currentContext()) : null;
        }
    }
}
