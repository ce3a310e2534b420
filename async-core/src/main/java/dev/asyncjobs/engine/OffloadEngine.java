package dev.asyncjobs.engine;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WaitFd;
import dev.asyncjobs.core.WaitFdCleanup;
import dev.asyncjobs.core.WaitStatus;
import dev.asyncjobs.core.WakeupFd;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * A bounded "device" that jobs hand work to and pause on, modelled on OpenSSL's async engines
 * ({@code dasync}, Intel's QAT engine): {@code N} device threads and a submission queue of at most
 * {@code Q} calls. {@link #call(Callable)} looks synchronous; inside a job it frees the job's thread
 * while the device works.
 *
 * <pre>{@code
 * OffloadEngine engine = OffloadEngine.builder().threads(2).queueCapacity(64).build();
 * Mono<byte[]> sig = AsyncMono.fromJob(() -> engine.call(() -> sign(key, data)));
 * }</pre>
 *
 * <h2>What a call does</h2>
 * <ul>
 *   <li><b>Outside a job</b> the work runs in the caller, synchronously, as OpenSSL's calls do
 *       outside a job; the queue is not involved (so a full queue does not matter). A {@linkplain
 *       Builder#strict(boolean) strict} engine throws {@link IllegalStateException} instead, so a
 *       caller that forgot to run in a job (e.g. a controller without {@code AsyncMono.fromJob},
 *       which would sign on the Netty event loop) fails loudly rather than block its thread.</li>
 *   <li><b>Inside a job</b> it queues the work and {@link AsyncJob#pause() pauses}; a device thread
 *       runs it and wakes the job, which returns the value or throws the work's own exception
 *       (the same instance, e.g. a {@code SignatureException}; its stack trace is the device
 *       thread's).</li>
 *   <li><b>Wake-up.</b> If the job's ctx has a {@linkplain AsyncWaitCtx#getCallback() callback}
 *       (as every job launched through {@link AsyncJobs} or the adapters has), the device thread
 *       calls it and the ctx status is set to {@link WaitStatus#OK} (QAT's path). Otherwise the
 *       engine keeps one {@link WakeupFd} per ctx under its own key ({@link AsyncWaitCtx#getFd}),
 *       reused by every call on that ctx and closed by the ctx's cleanup; the device thread
 *       signals it and the job drains it after resuming (dasync's path).</li>
 *   <li><b>Spurious resumes</b> (the job resumed before its work completed) pause again; the
 *       call never returns early.</li>
 *   <li><b>Device full.</b> With {@code Q} calls queued, the job yields: it wakes itself and
 *       pauses with the ctx status {@link WaitStatus#EAGAIN} (QAT's EAGAIN), so the other jobs on
 *       its thread run. If the queue is still full after that, it waits on the engine's list of
 *       jobs waiting for room, in FIFO order, and a device thread wakes it when it takes a call
 *       (no job spins on a full device). Load backs up into the job pool, never into an
 *       unbounded queue or a thread per call.</li>
 *   <li><b>Cancellation.</b> When the paused job is {@linkplain JobHandle#cancel() cancelled}, a
 *       call still queued is withdrawn (its work never runs); a call already running is left to
 *       finish and its outcome is discarded (the device thread is not interrupted; a failure goes
 *       to {@link AsyncHooks}). Either way {@code call} throws {@link CancellationException}
 *       at once and the job can end; nothing of the call is left behind.</li>
 *   <li><b>Pausing blocked</b> ({@link AsyncJob#blockPause()}, or a pause the JVM refuses): the
 *       call behaves as outside a job: a call not yet taken by the device runs inline, one
 *       already running is waited for on the thread.</li>
 * </ul>
 *
 * <h2>Wake-ups under saturation</h2>
 * A job launched on a job loop ({@link AsyncJobs#loopOf}) is not woken one completion at a time:
 * each device thread gathers the completions for each loop into a batch and hands the loop one
 * task per batch, which calls the jobs' ctx callbacks on the loop thread (each resumes its job
 * there, with no further hop). While the queue holds more than a quarter of its capacity (or 16
 * calls per device thread, if fewer), a batch is held for at most about 1 ms ({@code -Dasyncjobs.engine.wakeupDelayMicros}, {@code 0} turns
 * holding off) and then handed over whole: interrupt coalescing, as QAT's polling and network
 * cards do it, so a sleeping loop is woken once for all the jobs completed meanwhile. Nothing is
 * held once the queue runs low or the device thread has no more work, and at light load nothing is
 * held at all. The bound holds whatever the device thread does next: if it is still inside a call
 * when the delay runs out (a long call after short ones), the engine's wake-up timer thread hands
 * over what it holds. On a machine with as many device threads as cores, this is what keeps the
 * loops from taking a CPU from the device once per call. Jobs on other threads (a user's
 * scheduler) and jobs without a callback (woken through the engine's fd) are woken at once.
 *
 * <h2>Device threads</h2>
 * Daemon threads named {@code name-0} to {@code name-(N-1)} ({@code asyncjobs-engine-N} by
 * default), plus one daemon thread {@code name.wakeup-timer} that sends held-back wake-ups at their
 * deadline (above; none when the delay is 0); it parks while nothing is held back. Work that throws, an {@link Error} included, fails only its own call: the device
 * thread goes on. Device threads ignore interrupts for their own lifecycle; an interrupt never
 * loses a completion (the wake-up pipe is non-blocking, so an interrupt cannot close it, and a
 * device thread clears its interrupt status before waking a job and before each work).
 * {@link #close()} stops taking work: calls still queued fail with a {@link
 * RejectedExecutionException}, running ones complete normally, and the threads (the timer
 * included) then end.
 *
 * <p>What a job does in {@code call} never blocks its thread: the queue is lock-free on the job's
 * side (no lock, park or spin-wait; BlockHound finds nothing on a job loop), and only the device
 * threads wait. The one exception is a job that cannot pause (above), which waits as a plain
 * synchronous call would.
 *
 * <p>Work must not pause (it runs on a device thread, not in a job) and should not block for long:
 * it holds one of the {@code N} threads while it runs.
 */
public final class OffloadEngine implements AutoCloseable {
    /**
     * The queue depth above which completions are held back to be batched: a quarter of the
     * queue, but no more than 16 calls per device thread (a device backed up that far finishes
     * nothing sooner for an early wake-up, whatever the capacity), and at least one per thread.
     * The cap keeps a large queue (the default, or a server's) batching as the old default of 64
     * calls per thread did.
     */
    static int holdAbove(int capacity, int threads) {
        return Math.max(threads, Math.min(capacity / 4, 16 * threads));
    }

    /** The queue's default capacity per device thread ({@link Builder#queueCapacity}). */
    public static final int DEFAULT_QUEUE_PER_THREAD = 256;

    private static final int BLOCKED = 0;
    private static final int RESUMED = 1;
    private static final int CANCELLED = 2;
    /** The ctx cleanup of the engine's fd (dasync's pipe cleanup closes both ends). */
    private static final WaitFdCleanup CLOSE_FD = (ctx, key, channel, data) -> ((WakeupFd) data).close();

    /** This engine's key for its wait fd on a ctx: an identity no other engine can reuse. */
    private final Object key = new Object() {
        @Override
        public String toString() {
            return "OffloadEngine.key[" + name + "]";
        }
    };
    private final String name;
    private final boolean strict;
    private final OffloadQueue queue;
    private final Thread[] threads;
    private final DeferredWakeups.Timer timer;
    private final EngineCounters counters;
    private volatile boolean closed;

    private OffloadEngine(Builder b) {
        this.name = b.name;
        this.strict = b.strict;
        // 256 per device thread: a job that finds the queue full yields, then waits for room and is
        // woken again, two more resumes per call; at 512 WebFlux connections on 2 device threads the
        // old default (64 per thread) spent ~15 us more of the event loops' CPU per request on that
        // (RESULTS.md, WebFlux section). The queue is linked, so room costs nothing until used.
        this.queue = new OffloadQueue(b.queueCapacity > 0 ? b.queueCapacity : DEFAULT_QUEUE_PER_THREAD * b.threads,
                b.threads);
        this.threads = new Thread[b.threads];
        this.counters = new EngineCounters(threads);
        this.timer = new DeferredWakeups.Timer(name + ".wakeup-timer", b.threads);
        DeferredWakeups[] wakeups = new DeferredWakeups[b.threads];
        for (int i = 0; i < threads.length; i++) {
            wakeups[i] = new DeferredWakeups(b.wakeupDelayNanos, holdAbove(queue.capacity(), b.threads), timer);
            Thread t = new DeviceThread(this::work, name + "-" + i, wakeups[i]);
            t.setDaemon(true);
            threads[i] = t;
        }
        timer.watch(wakeups);
        if (b.wakeupDelayNanos > 0) {
            timer.start(); // nothing is ever held back otherwise
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    /**
     * A builder: one device thread per core and a queue of {@value #DEFAULT_QUEUE_PER_THREAD} calls per thread unless set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether the caller is a device thread of an engine (any engine). Work may keep per-thread
     * state (e.g. JCA instances in a {@link ThreadLocal}) only there: the same work runs in the
     * caller when called outside a job, and a job may run on a different thread at each segment.
     *
     * @return {@code true} on a device thread
     */
    public static boolean isDeviceThread() {
        return Thread.currentThread() instanceof DeviceThread;
    }

    /**
     * Runs {@code work} on the device and returns its value: inside a job, the job pauses until
     * the work is done; outside a job, the work runs in the caller. See the class description.
     *
     * @param work the work; it runs on a device thread (inside a job) or in the caller
     * @param <T> the value type
     * @return what {@code work} returned
     * @throws Exception what {@code work} threw, unchanged
     * @throws CancellationException if the job was cancelled before the work's outcome arrived
     * @throws RejectedExecutionException if the engine is closed (or closes before the work runs)
     * @throws IllegalStateException outside a job on a {@linkplain Builder#strict(boolean) strict}
     *     engine (the work does not run)
     * @throws NullPointerException if {@code work} is null
     */
    public <T extends @Nullable Object> T call(Callable<T> work) throws Exception {
        Objects.requireNonNull(work, "work");
        if (closed) {
            throw closedError();
        }
        AsyncJob job = AsyncJob.current();
        if (job == null) {
            if (strict) {
                throw new IllegalStateException("OffloadEngine.call outside a job would run the work inline on '"
                        + Thread.currentThread().getName() + "' (engine '" + name + "' is strict): wrap the caller"
                        + " in AsyncMono.fromJob / AsyncSingle.fromJob (or AsyncJobs.launch), or build the engine"
                        + " with strict(false) to run such calls in the caller");
            }
            return work.call();
        }
        if (job.isCancelled()) {
            throw new CancellationException("the job was cancelled");
        }
        AsyncWaitCtx ctx = job.waitCtx();
        OffloadCall<T> c = new OffloadCall<>(work);
        WaitCallback cb = ctx.getCallback();
        if (cb != null) {
            c.callback = cb;
            c.callbackArg = ctx.getCallbackArg();
            c.loop = AsyncJobs.loopOf(ctx); // completions for one loop are handed over in batches
        } else {
            WakeupFd fd = wakeupFd(ctx);
            fd.drain(); // a late signal of this ctx's previous call is no news for this one
            c.fd = fd;
        }
        if (!submit(job, ctx, c)) {
            return work.call(); // pausing is blocked: behave as outside a job
        }
        return await(job, c);
    }

    /** Queues {@code c}, yielding while the device is full; false if the job cannot pause. */
    private boolean submit(AsyncJob job, AsyncWaitCtx ctx, OffloadCall<?> c) {
        WaitStatus before = null;
        boolean yielded = false;
        boolean submitted = false;
        try {
            for (;;) {
                int r = queue.submit(c, yielded);
                if (r == OffloadQueue.SUBMITTED) {
                    submitted = true;
                    if (c.callback != null) {
                        ctx.setStatus(WaitStatus.OK); // QAT: OK means "the callback will come"
                    }
                    return true;
                }
                if (r == OffloadQueue.CLOSED) {
                    throw closedError();
                }
                if (before == null) {
                    before = ctx.getStatus();
                    ctx.setStatus(WaitStatus.EAGAIN);
                }
                if (!yielded) {
                    yielded = true;
                    c.wake(); // QAT's EAGAIN: wake ourselves, then pause, so the others run
                }
                int p = pause(job, c);
                if (p != RESUMED) {
                    queue.leaveRoom(c);
                    if (p == CANCELLED) {
                        throw new CancellationException("the job was cancelled");
                    }
                    return false;
                }
            }
        } finally {
            if (before != null && !(submitted && c.callback != null)) {
                ctx.setStatus(before);
            }
        }
    }

    /** Pauses until {@code c} is done; spurious resumes pause again. */
    private <T extends @Nullable Object> T await(AsyncJob job, OffloadCall<T> c)
            throws Exception {
        for (;;) {
            int s = c.state;
            if (s == OffloadCall.DONE) {
                return c.outcome();
            }
            int p = pause(job, c);
            if (p == CANCELLED) {
                if (!queue.withdraw(c)) {
                    c.abandon();
                } else {
                    counters.withdrawn();
                }
                throw new CancellationException("the job was cancelled");
            }
            if (p == BLOCKED) {
                if (queue.withdraw(c)) {
                    counters.withdrawn();
                    return c.work.call();
                }
                c.awaitSync();
            }
        }
    }

    /** One pause, told apart: resumed, cancelled, or not paused at all (blocked or refused). */
    private static int pause(AsyncJob job, OffloadCall<?> c) {
        // pause() answers true both after a real pause and when pausing is blocked: ask first
        boolean blocked = AsyncJob.isPauseBlocked();
        boolean ok = AsyncJob.pause();
        WakeupFd fd = c.fd;
        if (fd != null) {
            fd.drain();
        }
        if (!ok) {
            return job.isCancelled() ? CANCELLED : BLOCKED;
        }
        return blocked ? BLOCKED : RESUMED;
    }

    /** This engine's wait fd on {@code ctx}: made and registered on first use, then reused. */
    private WakeupFd wakeupFd(AsyncWaitCtx ctx) {
        WaitFd w = ctx.getFd(key);
        if (w != null) {
            return (WakeupFd) w.customData();
        }
        WakeupFd fd = WakeupFd.open();
        ctx.setWaitFd(key, fd.channel(), fd, CLOSE_FD);
        return fd;
    }

    /** A device thread's loop. */
    private void work() {
        DeferredWakeups wakeups = ((DeviceThread) Thread.currentThread()).wakeups;
        try {
            workLoop(wakeups, counters.device(Thread.currentThread()));
        } finally {
            timer.deviceEnded();
        }
    }

    private void workLoop(DeferredWakeups wakeups, EngineCounters.Device stats) {
        for (;;) {
            OffloadCall<?> c = null;
            try {
                c = wakeups.pending() ? queue.poll() : null;
                if (c == null) {
                    wakeups.flush(); // about to wait for work: nothing may be held back now
                    c = queue.take();
                    if (c == null) {
                        return;
                    }
                }
                Thread.interrupted(); // a stale interrupt must not fail the next work
                long started = stats.begins(c);
                try {
                    c.run(wakeups);
                } finally {
                    stats.ends(c, started);
                }
                wakeups.afterCompletion(queue);
            } catch (Throwable t) {
                // only the engine's own code gets here (e.g. an OutOfMemoryError while waking):
                // the call must not hang, and the device thread carries on
                if (c != null && c.state == OffloadCall.RUNNING) {
                    c.complete(t, true);
                } else {
                    AsyncHooks.onError(t);
                }
            }
        }
    }

    /**
     * Stops taking work. Calls still queued fail with a {@link RejectedExecutionException} (the
     * jobs waiting on them are woken and get it), jobs waiting for room get it too, calls running
     * complete normally, and the device threads end after them. Later calls are rejected.
     * Idempotent; does not wait (see {@link #awaitTermination}).
     */
    @Override
    public void close() {
        closed = true;
        List<OffloadCall<?>> pending = queue.close();
        counters.drained(pending.size());
        for (OffloadCall<?> c : pending) {
            c.complete(closedError(), true);
        }
    }

    /**
     * Waits for the device threads to end after {@link #close()}.
     *
     * @param timeout how long to wait at most
     * @return {@code true} if every device thread has ended
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread t : threads) {
            long left = Math.max(1, deadline - System.nanoTime());
            if (!t.join(Duration.ofNanos(left))) {
                return false;
            }
        }
        Thread t = timer.thread(); // ends after the device threads; never started with a delay of 0
        return t.getState() == Thread.State.NEW
                || t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Whether a call outside a job throws instead of running inline ({@link Builder#strict(boolean)}).
     *
     * @return {@code true} for a strict engine
     */
    public boolean isStrict() {
        return strict;
    }

    /**
     * The thread name prefix.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The number of device threads ({@code N}).
     *
     * @return the thread count
     */
    public int threads() {
        return threads.length;
    }

    /**
     * The queue capacity ({@code Q}).
     *
     * @return the capacity
     */
    public int queueCapacity() {
        return queue.capacity();
    }

    /**
     * Calls queued and not yet taken by a device thread (a snapshot).
     *
     * @return the count, at most {@link #queueCapacity()}
     */
    public int queued() {
        return queue.size();
    }

    /**
     * A snapshot of the engine's counters: queue depth and capacity, device threads busy, calls
     * submitted, run, succeeded, failed, rejected and withdrawn, and the time calls waited and ran.
     * Cheap; any thread. See {@link OffloadEngineStats}.
     *
     * @return the snapshot
     */
    public OffloadEngineStats stats() {
        return counters.snapshot(this);
    }

    @Override
    public String toString() {
        return "OffloadEngine[" + name + ", threads=" + threads.length + ", queue=" + queue.capacity()
                + (closed ? ", closed]" : "]");
    }

    // ---------------------------------------------------------------- package-private (tests)

    Object key() {
        return key;
    }

    OffloadQueue queue() {
        return queue;
    }

    Thread[] deviceThreads() {
        return threads.clone();
    }

    Thread wakeupTimer() {
        return timer.thread();
    }

    private RejectedExecutionException closedError() {
        counters.rejected();
        return new RejectedExecutionException("the offload engine '" + name + "' is closed");
    }

    /** A device thread: a type of its own so work can tell where it runs ({@link #isDeviceThread()}). */
    private static final class DeviceThread extends Thread {
        final DeferredWakeups wakeups;

        DeviceThread(Runnable body, String name, DeferredWakeups wakeups) {
            super(body, name);
            this.wakeups = wakeups;
        }
    }

    /** Builds an {@link OffloadEngine}. */
    public static final class Builder {
        private int threads = Runtime.getRuntime().availableProcessors();
        private int queueCapacity = -1;
        private String name = "asyncjobs-engine";
        private boolean strict;
        private long wakeupDelayNanos = DeferredWakeups.DEFAULT_MAX_DELAY_NANOS;

        private Builder() {
        }

        /** How long a saturated device may hold back loop wake-ups ({@link DeferredWakeups}); 0: never. */
        Builder wakeupDelayNanos(long nanos) {
            if (nanos < 0) {
                throw new IllegalArgumentException("wakeupDelayNanos must be >= 0, was " + nanos);
            }
            this.wakeupDelayNanos = nanos;
            return this;
        }

        /**
         * Sets how long a saturated device may hold back the wake-ups it sends to sleeping job
         * loops, to send one for many completions (see "Wake-ups under saturation" above).
         * Default: {@code -Dasyncjobs.engine.wakeupDelayMicros}, else 1 ms; {@link Duration#ZERO}
         * never holds one back (and starts no timer thread).
         *
         * @param delay at least zero
         * @return this builder
         * @throws IllegalArgumentException if negative
         * @throws NullPointerException if {@code delay} is null
         */
        public Builder wakeupDelay(Duration delay) {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("wakeupDelay must be >= 0, was " + delay);
            }
            return wakeupDelayNanos(delay.toNanos());
        }

        /**
         * Sets the number of device threads ({@code N}).
         *
         * @param threads at least 1
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, was " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Sets the submission queue's capacity ({@code Q}): how many calls may wait for a device
         * thread before jobs yield. Default: {@value OffloadEngine#DEFAULT_QUEUE_PER_THREAD} per device
         * thread. Jobs beyond it each pay two more resumes (a yield, then a wait for room), so size
         * it to the calls expected in flight (e.g. a server's connections).
         *
         * @param queueCapacity at least 1
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder queueCapacity(int queueCapacity) {
            if (queueCapacity < 1) {
                throw new IllegalArgumentException("queueCapacity must be >= 1, was " + queueCapacity);
            }
            this.queueCapacity = queueCapacity;
            return this;
        }

        /**
         * Sets the thread name prefix; threads are named {@code name-N}.
         *
         * @param name the prefix
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Makes {@link #call} outside a job throw an {@link IllegalStateException} naming the fix
         * instead of running the work in the caller. Default {@code false}: OpenSSL's behaviour,
         * where an engine call outside a job simply runs synchronously. Turn it on where every
         * call is meant to be in a job (a web service's request path): a caller that forgot
         * {@code AsyncMono.fromJob} then fails at once rather than blocking an event loop. A job
         * that cannot pause ({@link AsyncJob#blockPause()}) is still a job: its calls are taken
         * as the class description says for it.
         *
         * @param strict {@code true} to refuse calls outside a job
         * @return this builder
         */
        public Builder strict(boolean strict) {
            this.strict = strict;
            return this;
        }

        /**
         * Starts the device threads.
         *
         * @return the running engine
         */
        public OffloadEngine build() {
            return new OffloadEngine(this);
        }
    }
}
