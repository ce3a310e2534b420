package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.FlowableSubscriber;
import io.reactivex.rxjava3.exceptions.Exceptions;
import io.reactivex.rxjava3.functions.Function;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * {@link AsyncFlowable#mapJobs}: each item launches its job directly with {@link AsyncJobs#launch},
 * with no inner {@code Maybe} or subscriber; the job's {@link JobObserver} is the item's
 * {@link Slot} in an in-order list, and one drain loop emits the slots' values in source order.
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

    /**
     * One subscription; the {@code AtomicInteger} it extends is the drain loop's work-in-progress
     * counter.
     *
     * <h2>Invariants</h2>
     * <ul>
     *   <li>The slots form a singly linked list in source order: {@link #onNext} (serial, §1.3)
     *       appends at {@link #tail}; the drain loop (whoever moved the counter from 0) pops at
     *       {@link #head}, a sentinel whose {@code next} is the oldest live slot. A slot is appended
     *       <em>before</em> its job is launched: a launch on a loop thread runs the job inline and
     *       may end it before {@code launch} returns.</li>
     *   <li>Upstream demand is {@link #maxInFlight} at first, then 1 per slot popped (its value
     *       emitted, or its job returned {@code null}): at most {@code maxInFlight} slots, and jobs,
     *       exist at once, and a slow subscriber stops the source.</li>
     *   <li>{@link #error} goes {@code null -> error -> TERMINATED}, or {@code null -> TERMINATED}
     *       on completion or cancel; only the drain loop moves an error to {@code TERMINATED}, so
     *       exactly one terminal signal goes out, never overlapping an {@code onNext}. An error that
     *       finds it set is undeliverable ({@link RxJavaPlugins#onError}).</li>
     *   <li>{@link #stopped} is set once (cancel, or a terminal signal sent); from then on every
     *       drain cancels the slots still listed (their jobs are resumed cancelled and finish). An
     *       {@code onNext} that appends after the flag sees it (its volatile write of {@code next}
     *       comes before its read of the flag) and launches nothing; one that read the flag unset
     *       appended before it was set, so the next drain finds its slot.</li>
     * </ul>
     */
    @SuppressWarnings("serial") // never serialized: AtomicInteger is extended for its counter only
    static final class MapJobsSubscriber<T, R> extends AtomicInteger implements FlowableSubscriber<T>, Subscription {
        private static final long serialVersionUID = 1L;
        /** In {@link #error}: a terminal signal went out (or the subscription was cancelled). */
        static final Throwable TERMINATED = new Throwable("terminated", null, false, false) {
            private static final long serialVersionUID = 1L;
        };

        /** Let go once the subscription stopped (§3.13): a cancelled job may outlive it a while. */
        @Nullable Subscriber<? super R> downstream;
        final Function<? super T, ? extends JobFunction<? extends R>> mapper;
        final int maxInFlight;
        final JobOptions options;

        @Nullable Subscription upstream;
        /** Drain loop only. */
        Slot<R> head;
        /** {@link #onNext} only. */
        Slot<R> tail;
        /** Values emitted so far (drain loop only); compared with the cumulative {@link #requested}. */
        long emitted;

        volatile boolean done;
        volatile boolean stopped;

        volatile @Nullable Throwable error;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<MapJobsSubscriber, Throwable> ERROR =
                AtomicReferenceFieldUpdater.newUpdater(MapJobsSubscriber.class, Throwable.class, "error");

        /** All demand so far, capped at {@code Long.MAX_VALUE}. */
        volatile long requested;
        @SuppressWarnings("rawtypes")
        static final AtomicLongFieldUpdater<MapJobsSubscriber> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(MapJobsSubscriber.class, "requested");

        MapJobsSubscriber(Subscriber<? super R> downstream, Function<? super T, ? extends JobFunction<? extends R>> mapper,
                int maxInFlight, JobOptions options) {
            this.downstream = downstream;
            this.mapper = mapper;
            this.maxInFlight = maxInFlight;
            this.options = options;
            Slot<R> sentinel = new Slot<>(this);
            this.head = sentinel;
            this.tail = sentinel;
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
            if (!stopped) {
                s.request(maxInFlight);
            }
        }

        @Override
        public void onNext(T t) {
            if (done) {
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
            Slot<R> slot = new Slot<>(this);
            Slot.NEXT.set(tail, slot); // a full volatile write: ordered before the read of stopped
            tail = slot;
            if (stopped) {
                return; // nothing launched, nothing to cancel
            }
            slot.setTicket(AsyncJobs.launch(func, options, slot));
        }

        @Override
        public void onError(Throwable e) {
            if (done) {
                RxJavaPlugins.onError(e);
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
                if (ERROR.compareAndSet(this, null,
                        new IllegalArgumentException("§3.9 violated: positive request amount required but it was " + n))) {
                    cancelUpstream();
                    drain();
                }
                return;
            }
            for (;;) {
                long r = requested;
                long u = r + n;
                if (u < 0L) {
                    u = Long.MAX_VALUE;
                }
                if (r == Long.MAX_VALUE || REQUESTED.compareAndSet(this, r, u)) {
                    break;
                }
            }
            drain();
        }

        @Override
        public void cancel() {
            if (!stopped) {
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

        /** An error nobody will see; a {@link CancellationException} is a job's answer to our cancel. */
        static void dropError(Throwable e) {
            if (!(e instanceof CancellationException)) {
                RxJavaPlugins.onError(e);
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
            if (getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            @Nullable Subscriber<? super R> a = downstream;
            for (;;) {
                long r = requested;
                long e = emitted;
                for (;;) {
                    if (stopped || a == null) {
                        downstream = null; // the slots of jobs still ending must not keep the subscriber
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
                        downstream = null;
                        cancelSlots();
                        a.onError(ex);
                        break;
                    }
                    boolean d = done; // read before the list: every slot of a done source is listed
                    Slot<R> s = head.next;
                    if (s == null) {
                        if (d && ERROR.compareAndSet(this, null, TERMINATED)) {
                            stopped = true;
                            downstream = null;
                            a.onComplete();
                        } else if (!d) {
                            break;
                        }
                        continue; // completed, or an error came first: the checks above handle it
                    }
                    if (s.get() != Slot.DONE) {
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
                missed = addAndGet(-missed);
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
    }

    /**
     * One item: the observer of its job, and a node of the in-order list; the {@code AtomicInteger}
     * it extends is its state.
     *
     * <h2>States</h2>
     * <pre>
     *  state      event                      next       action
     *  RUNNING    job returned               DONE       hold the value (null: nothing), drain
     *             job failed                 FAILED     the subscriber's innerError
     *             cancelSlots                CANCELLED  cancel the ticket (the job ends, onDropped)
     *  DONE       cancelSlots                CANCELLED  drop the held value
     *  CANCELLED  job returned / failed      -          drop / RxJavaPlugins.onError
     * </pre>
     * Each move is a CAS (or the cancel's {@code getAndSet}), so a value is emitted or dropped
     * exactly once. The ticket goes through {@link #ticket} with a sentinel: a ticket set after
     * the cancel is cancelled at once.
     */
    @SuppressWarnings("serial") // never serialized: AtomicInteger is extended for its CAS only
    static final class Slot<R> extends AtomicInteger implements JobObserver<@Nullable R> {
        private static final long serialVersionUID = 1L;
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

        final MapJobsSubscriber<?, R> parent;

        volatile @Nullable Slot<R> next;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<Slot, Slot> NEXT =
                AtomicReferenceFieldUpdater.newUpdater(Slot.class, Slot.class, "next");

        volatile @Nullable JobTicket ticket;
        @SuppressWarnings("rawtypes")
        static final AtomicReferenceFieldUpdater<Slot, JobTicket> TICKET =
                AtomicReferenceFieldUpdater.newUpdater(Slot.class, JobTicket.class, "ticket");

        /** The job's value; published by the CAS to {@link #DONE}. */
        @Nullable R value;

        Slot(MapJobsSubscriber<?, R> parent) {
            this.parent = parent;
        }

        void setTicket(JobTicket t) {
            if (!TICKET.compareAndSet(this, null, t)) {
                t.cancel(); // cancelled while the job was being launched (a no-op if it has ended)
            }
        }

        void cancel() {
            int s = getAndSet(CANCELLED);
            if (s == DONE) {
                value = null; // RxJava has no discard hook: the value is just let go
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
            if (compareAndSet(RUNNING, DONE)) {
                parent.drain();
            } else {
                value = null; // cancelled just as the job returned
            }
        }

        @Override
        public void onFailure(Throwable e) {
            if (compareAndSet(RUNNING, FAILED)) {
                parent.innerError(e);
            } else {
                MapJobsSubscriber.dropError(e);
            }
        }

        @Override
        public void onDropped(@Nullable R v, @Nullable Throwable e) {
            if (e != null) {
                MapJobsSubscriber.dropError(e);
            }
        }
    }
}
