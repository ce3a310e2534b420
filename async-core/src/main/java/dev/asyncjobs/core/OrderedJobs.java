package dev.asyncjobs.core;

import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.jspecify.annotations.Nullable;

/**
 * One job per element of a stream, at most {@code maxInFlight} alive, results emitted in element
 * order as far as the downstream's demand allows: the machine behind the adapters' {@code mapJobs}
 * ({@code AsyncFlux}, {@code AsyncFlowable}), for any Reactive Streams library. The adapter keeps
 * only the translation, in a {@link Bridge}: its subscriber and subscription types, its hooks for
 * what nobody will receive, its context.
 *
 * <p>Each {@link #add element's job} is launched at once with {@link AsyncJobs#launch} (on a job
 * loop thread it starts on that loop, with no hop), with an in-order slot as its {@link
 * JobObserver}; whoever ends a job, requests or completes runs the one drain loop, which emits the
 * oldest slots' results through the bridge. The rules, the same for every adapter:
 * <ul>
 *   <li><b>Bound and demand:</b> the source is asked for {@code maxInFlight} elements at {@link
 *       #start()}, then for one more each time the oldest slot goes (its value emitted, or its job
 *       returned {@code null}: a {@code null} result emits nothing). So at most {@code maxInFlight}
 *       jobs are alive (running, paused, waiting for a pool slot, or ended and waiting for the
 *       earlier ones or for demand), and a slow downstream holds the source back.</li>
 *   <li><b>Errors:</b> a job's failure cancels the source and every job still listed and is
 *       emitted; so is a source error (after the jobs are cancelled). Exactly one terminal signal
 *       goes out, never overlapping an {@code emitNext}; an error that comes after it goes to
 *       {@link Bridge#dropError}, except a {@link CancellationException}, which is a job's expected
 *       answer to a cancel.</li>
 *   <li><b>Cancel:</b> {@link #cancel()} (or a terminal signal) cancels the source and every listed
 *       job, newest first; a job waiting for a pool slot then never starts, a paused one is resumed
 *       cancelled and runs to its end (as {@link JobTicket#cancel()} says). Values left unemitted
 *       go to {@link Bridge#discard}.</li>
 *   <li><b>Bad requests:</b> {@code request(n)} with {@code n <= 0} ends the stream as a cancel
 *       does and is emitted as {@link Bridge#badRequest} (Reactive Streams §3.9).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * {@link #add}, {@link #sourceComplete()} and {@link #sourceError} are called as a Reactive Streams
 * source signals, serially (§1.3); {@link #request} and {@link #cancel()} from any thread. The
 * bridge's {@code emit} methods are called serially, on whichever thread drains: the one that ended
 * a job (a job loop), requested, or completed. Hop threads downstream before anything that blocks.
 *
 * <pre>{@code
 * // a java.util.concurrent.Flow stage: the whole of an adapter
 * final class FlowMapJobs<T, R> implements Flow.Subscriber<T>, Flow.Subscription, OrderedJobs.Bridge<R> {
 *     final Flow.Subscriber<? super R> downstream;
 *     final Function<T, JobFunction<R>> mapper;
 *     final OrderedJobs<R> jobs;
 *     Flow.Subscription upstream;
 *
 *     FlowMapJobs(Flow.Subscriber<? super R> downstream, Function<T, JobFunction<R>> mapper) {
 *         this.downstream = downstream;
 *         this.mapper = mapper;
 *         this.jobs = new OrderedJobs<>(this, 64, JobOptions.defaults());
 *     }
 *
 *     public void onSubscribe(Flow.Subscription s) { upstream = s; downstream.onSubscribe(this); jobs.start(); }
 *     public void onNext(T t) { jobs.add(mapper.apply(t)); }
 *     public void onError(Throwable e) { jobs.sourceError(e); }
 *     public void onComplete() { jobs.sourceComplete(); }
 *     public void request(long n) { jobs.request(n); }
 *     public void cancel() { jobs.cancel(); }
 *
 *     public void emitNext(R value) { downstream.onNext(value); }
 *     public void emitError(Throwable error) { downstream.onError(error); }
 *     public void emitComplete() { downstream.onComplete(); }
 *     public void requestUpstream(long n) { upstream.request(n); }
 *     public void cancelUpstream() { upstream.cancel(); }
 * }
 * }</pre>
 *
 * @param <R> the result type
 */
public final class OrderedJobs<R> {
    /**
     * What an adapter translates: its downstream subscriber, its upstream subscription, and where
     * what nobody will receive goes. The {@code emit} methods are called serially (see the class
     * comment), and none after a terminal one or after {@link #onCancelled()}: every stream ends
     * with exactly one of {@link #emitError}, {@link #emitComplete()} and {@link #onCancelled()}.
     *
     * @param <R> the result type
     */
    public interface Bridge<R> {
        /**
         * The next result, in element order, within the downstream's demand.
         *
         * @param value a job's result
         */
        void emitNext(R value);

        /**
         * The terminal error: a job's failure, the source's error, or a {@link #badRequest}.
         *
         * @param error what to signal
         */
        void emitError(Throwable error);

        /** The terminal completion: the source completed and every result went out. */
        void emitComplete();

        /**
         * The stream ended by a cancel, before any terminal signal: no {@code emit} follows. Called
         * once, by the drain loop, so serially with the {@code emit} methods: the place to let go
         * of the downstream (Reactive Streams §3.13; a cancelled job may outlive the stream a
         * while, and its slot reaches this bridge). By default nothing.
         */
        default void onCancelled() {
        }

        /**
         * Asks the source for {@code n} more elements (also before {@link OrderedJobs#start()}
         * returns).
         *
         * @param n how many, positive
         */
        void requestUpstream(long n);

        /** Cancels the source: after a job's failure, a cancel or a bad request. May come twice. */
        void cancelUpstream();

        /**
         * A result nobody will receive (the stream ended or was cancelled first). By default let go.
         *
         * @param value the result
         */
        default void discard(R value) {
        }

        /**
         * An error nobody will receive: a failure after the terminal signal or the cancel, or a
         * source error after the source's end. By default {@link AsyncHooks#onError}.
         *
         * @param error the error
         */
        default void dropError(Throwable error) {
            AsyncHooks.onError(error);
        }

        /**
         * The error a {@code request(n)} with {@code n <= 0} ends the stream with (Reactive Streams
         * §3.9). By default an {@link IllegalArgumentException} naming the rule.
         *
         * @param n the bad amount
         * @return the error to emit
         */
        default Throwable badRequest(long n) {
            return new IllegalArgumentException("§3.9 violated: positive request amount required but it was " + n);
        }

        /**
         * As {@link JobObserver#onSegmentStart()}, for every job of the stream: called inside the
         * job at its start and at every resume; the scope is closed at every pause and at its end.
         *
         * @return a scope to close at the end of the segment, or {@code null}
         */
        default @Nullable AutoCloseable onSegmentStart() {
            return null;
        }
    }

    /** In {@link #error}: a terminal signal went out, or the stream was cancelled. */
    private static final Throwable TERMINATED = new Terminated();

    /*
     * Invariants:
     * - The slots form a singly linked list in element order: add (serial) appends at tail; the
     *   drain loop (whoever moved wip from 0) pops at head, a sentinel whose next is the oldest
     *   live slot. A slot is appended before its job is launched, because the job may run and
     *   end on its loop before launch returns.
     * - error goes null -> error -> TERMINATED, or null -> TERMINATED on completion or cancel;
     *   only the drain loop moves an error to TERMINATED, so exactly one terminal signal goes
     *   out, never overlapping an emitNext. An error that finds it set is dropped.
     * - stopped is set once (cancel, or a terminal signal sent); from then on every drain cancels
     *   the slots still listed. An add that appends after the flag sees it (its volatile write of
     *   next comes before its read of the flag) and launches nothing; one that read the flag
     *   unset appended before it was set, so the next drain finds its slot.
     */
    private final Bridge<R> bridge;
    private final int maxInFlight;
    private final JobOptions options;

    /** Drain loop only. */
    private Slot<R> head;
    /** {@link #add} only. */
    private Slot<R> tail;
    /** Values emitted so far (drain loop only); compared with the cumulative {@link #requested}. */
    private long emitted;

    private volatile boolean done;
    private volatile boolean stopped;
    private volatile boolean cancelled;

    private volatile @Nullable Throwable error;
    @SuppressWarnings("rawtypes") // one updater serves every element type
    private static final AtomicReferenceFieldUpdater<OrderedJobs, Throwable> ERROR =
            AtomicReferenceFieldUpdater.newUpdater(OrderedJobs.class, Throwable.class, "error");

    /** All demand so far, capped at {@code Long.MAX_VALUE}. */
    private volatile long requested;
    @SuppressWarnings("rawtypes") // one updater serves every element type
    private static final AtomicLongFieldUpdater<OrderedJobs> REQUESTED =
            AtomicLongFieldUpdater.newUpdater(OrderedJobs.class, "requested");

    private volatile int wip;
    @SuppressWarnings("rawtypes") // one updater serves every element type
    private static final AtomicIntegerFieldUpdater<OrderedJobs> WIP =
            AtomicIntegerFieldUpdater.newUpdater(OrderedJobs.class, "wip");

    /**
     * Checks, when the stage is assembled, that {@code options} launch on job loops (default,
     * {@link JobPlacement#loops} or {@link JobPlacement#preferHost}), as every job of an ordered
     * stage is launched with {@link AsyncJobs#launch}: a confined placement would otherwise fail
     * the first element's launch from inside {@code onNext}, where an asynchronous source may lose
     * the error.
     *
     * @param options the stage's options
     * @param what the stage, named in the message (e.g. {@code "AsyncFlux.mapJobs"})
     * @return {@code options}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the options have a confined placement
     */
    public static JobOptions requireLoops(JobOptions options, String what) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(what, "what");
        options.loopsOrNull(what);
        return options;
    }

    /**
     * A stream's jobs; one per subscription.
     *
     * @param bridge the adapter's side
     * @param maxInFlight the most jobs alive at once, at least 1
     * @param options how to run the jobs (their loops and pool policy)
     * @throws NullPointerException if {@code bridge} or {@code options} is null
     * @throws IllegalArgumentException if {@code maxInFlight < 1}
     */
    public OrderedJobs(Bridge<R> bridge, int maxInFlight, JobOptions options) {
        this.bridge = Objects.requireNonNull(bridge, "bridge");
        this.options = Objects.requireNonNull(options, "options");
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, was " + maxInFlight);
        }
        this.maxInFlight = maxInFlight;
        Slot<R> sentinel = new Slot<>(this);
        this.head = sentinel;
        this.tail = sentinel;
    }

    // ------------------------------------------------------------ upstream

    /**
     * Asks the source for the first {@code maxInFlight} elements, unless the stream was already
     * cancelled: call once, when the source's subscription is in place and the downstream has been
     * given its own.
     */
    public void start() {
        if (!stopped) {
            bridge.requestUpstream(maxInFlight);
        }
    }

    /**
     * The next element's job: appends its slot and launches it.
     *
     * @param job the element's job
     * @return {@code false} if nothing was launched, because the stream was cancelled or ended
     *     (the caller discards the element)
     * @throws NullPointerException if {@code job} is null
     * @throws IllegalArgumentException if the options place jobs on a confined executor (as
     *     {@link AsyncJobs#launch(JobFunction, JobOptions, JobObserver)})
     */
    public boolean add(JobFunction<? extends @Nullable R> job) {
        Objects.requireNonNull(job, "job");
        if (done) {
            return false;
        }
        Slot<R> slot = new Slot<>(this);
        Slot.NEXT.set(tail, slot); // a full volatile write: ordered before the read of stopped
        tail = slot;
        if (stopped) {
            return false; // listed, but nothing launched: the next drain unlinks it
        }
        slot.setTicket(AsyncJobs.launch(job, options, slot));
        return true;
    }

    /** The source completed: the stream completes once every listed job's result went out. */
    public void sourceComplete() {
        if (done) {
            return;
        }
        done = true;
        drain();
    }

    /**
     * The source failed: the listed jobs are cancelled and {@code error} is emitted (or dropped if
     * the stream already ended, or the source had already ended).
     *
     * @param error the source's error
     * @throws NullPointerException if {@code error} is null
     */
    public void sourceError(Throwable error) {
        Objects.requireNonNull(error, "error");
        if (done) {
            bridge.dropError(error);
            return;
        }
        done = true;
        if (ERROR.compareAndSet(this, null, error)) {
            drain();
        } else {
            drop(error);
        }
    }

    // ------------------------------------------------------------ downstream

    /**
     * The downstream's demand: emits held results up to it. A non-positive {@code n} ends the
     * stream as {@link #cancel()} does and emits {@link Bridge#badRequest} (§3.9).
     *
     * @param n how many more results the downstream takes
     */
    public void request(long n) {
        if (n <= 0) {
            if (ERROR.compareAndSet(this, null, bridge.badRequest(n))) {
                bridge.cancelUpstream();
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

    /** The downstream cancelled: cancels the source and every listed job. Idempotent. */
    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            stopped = true;
            bridge.cancelUpstream();
            drain();
        }
    }

    // ------------------------------------------------------------ state, for introspection

    /**
     * Whether the source has ended ({@link #sourceComplete()} or {@link #sourceError}): an adapter
     * drops a late element before it makes its job.
     *
     * @return {@code true} once the source ended
     */
    public boolean isSourceDone() {
        return done;
    }

    /**
     * Whether {@link #cancel()} was called.
     *
     * @return {@code true} once cancelled
     */
    public boolean isCancelled() {
        return cancelled;
    }

    /**
     * Whether the source ended and no slot is listed any more (a snapshot: racy by nature).
     *
     * @return {@code true} once terminated
     */
    public boolean isTerminated() {
        return done && head.next == null;
    }

    /**
     * The error waiting to be emitted, if any.
     *
     * @return the pending error, or {@code null}
     */
    public @Nullable Throwable error() {
        Throwable e = error;
        return e == TERMINATED ? null : e;
    }

    /**
     * All demand so far, capped at {@code Long.MAX_VALUE}.
     *
     * @return the cumulative requested amount
     */
    public long requested() {
        return requested;
    }

    /**
     * The bound given at construction.
     *
     * @return the most jobs alive at once
     */
    public int maxInFlight() {
        return maxInFlight;
    }

    // ------------------------------------------------------------ jobs (their loop threads)

    void innerError(Throwable e) {
        if (ERROR.compareAndSet(this, null, e)) {
            bridge.cancelUpstream();
            drain();
        } else {
            drop(e);
        }
    }

    void discard(@Nullable R value) {
        if (value != null) {
            bridge.discard(value);
        }
    }

    /** An error nobody will see; a {@link CancellationException} is a job's answer to our cancel. */
    void drop(Throwable e) {
        if (!(e instanceof CancellationException)) {
            bridge.dropError(e);
        }
    }

    // ------------------------------------------------------------ the drain loop

    void drain() {
        if (WIP.getAndIncrement(this) != 0) {
            return;
        }
        int missed = 1;
        Bridge<R> b = bridge;
        for (;;) {
            long r = requested;
            long e = emitted;
            for (;;) {
                if (stopped) {
                    cancelSlots();
                    Throwable pending = ERROR.getAndSet(this, TERMINATED);
                    if (pending != TERMINATED) { // the first drain after a cancel that beat every terminal signal
                        b.onCancelled();
                        if (pending != null) {
                            drop(pending); // the downstream cancelled before it could go out
                        }
                    }
                    break;
                }
                Throwable ex = error;
                if (ex != null) {
                    ERROR.lazySet(this, TERMINATED); // only the drain loop leaves an error
                    stopped = true;
                    cancelSlots();
                    b.emitError(ex);
                    break;
                }
                boolean d = done; // read before the list: every slot of a done source is listed
                Slot<R> s = head.next;
                if (s == null) {
                    if (d && ERROR.compareAndSet(this, null, TERMINATED)) {
                        stopped = true;
                        b.emitComplete();
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
                    b.emitNext(v);
                    e++;
                }
                b.requestUpstream(1);
            }
            emitted = e;
            missed = WIP.addAndGet(this, -missed);
            if (missed == 0) {
                break;
            }
        }
    }

    /**
     * Drain loop: unlinks every listed slot and cancels it, newest first, so a job still waiting
     * for a pool slot is cancelled before an older job's end could hand it one (it then never
     * starts).
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

    /**
     * One element: the observer of its job, and a node of the in-order list.
     *
     * <h2>States</h2>
     * <pre>
     *  state      event                      next       action
     *  RUNNING    job returned               DONE       hold the value (null: nothing), drain
     *             job failed                 FAILED     the parent's innerError
     *             cancelSlots                CANCELLED  cancel the ticket (the job ends, onDropped)
     *  DONE       cancelSlots                CANCELLED  discard the held value
     *  CANCELLED  job returned / failed      -          discard / drop
     * </pre>
     * Each move is a CAS (or the cancel's {@code getAndSet}), so a value is emitted or discarded
     * exactly once. The ticket goes through {@link #ticket} with a sentinel: a ticket set after the
     * cancel is cancelled at once.
     */
    private static final class Slot<R> implements JobObserver<@Nullable R> {
        static final int RUNNING = 0;
        static final int DONE = 1;
        static final int FAILED = 2;
        static final int CANCELLED = 3;


        final OrderedJobs<R> parent;

        volatile @Nullable Slot<R> next;
        @SuppressWarnings("rawtypes") // one updater serves every element type
        static final AtomicReferenceFieldUpdater<Slot, Slot> NEXT =
                AtomicReferenceFieldUpdater.newUpdater(Slot.class, Slot.class, "next");

        volatile int state;
        @SuppressWarnings("rawtypes") // one updater serves every element type
        static final AtomicIntegerFieldUpdater<Slot> STATE = AtomicIntegerFieldUpdater.newUpdater(Slot.class, "state");

        volatile @Nullable JobTicket ticket;
        @SuppressWarnings("rawtypes") // one updater serves every element type
        static final AtomicReferenceFieldUpdater<Slot, JobTicket> TICKET =
                AtomicReferenceFieldUpdater.newUpdater(Slot.class, JobTicket.class, "ticket");

        /** The job's value; published by the CAS to {@link #DONE}. */
        @Nullable R value;

        Slot(OrderedJobs<R> parent) {
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
                JobTicket t = TICKET.getAndSet(this, JobTicket.CANCELLED);
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
                parent.drop(e);
            }
        }

        @Override
        public void onDropped(@Nullable R v, @Nullable Throwable e) {
            parent.discard(v);
            if (e != null) {
                parent.drop(e);
            }
        }

        @Override
        public @Nullable AutoCloseable onSegmentStart() {
            return parent.bridge.onSegmentStart();
        }
    }

    /** The sentinel of {@link #error}: never thrown, never seen outside. */
    private static final class Terminated extends Throwable {
        private static final long serialVersionUID = 1L;

        Terminated() {
            super("terminated", null, false, false);
        }
    }
}
