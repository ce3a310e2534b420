package dev.asyncjobs.soak;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.SignatureScheme;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.reactor.AsyncFlux;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.rxjava.AsyncFlowable;
import dev.asyncjobs.rxjava.AsyncSingle;
import dev.asyncjobs.soak.Ledger.Expect;
import dev.asyncjobs.soak.Ledger.Outcome;
import dev.asyncjobs.soak.Ledger.Rec;
import dev.asyncjobs.soak.Ledger.Route;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.disposables.Disposable;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Everything one soak phase runs on, and the jobs themselves. Created after the baseline is taken
 * and closed before the leaks are counted, so every thread and fd it makes must be gone by then.
 *
 * <p>A job pauses 0 to 5 times, each time on one of: its own {@link WakeupFd} signalled by a
 * "device" thread after a random delay (closed instead, for ~1% of jobs: the job must be woken by
 * the closed fd and fails with an {@link IOException}); the ctx callback called by a device thread
 * (an engine that uses callbacks); the {@link OffloadEngine}, directly or through {@link
 * AsyncCrypto}; a cooperative yield (the callback before the pause). ~5% of jobs then throw (a
 * checked exception, a runtime exception or an {@link Error}); the others return their own id,
 * which the subscriber checks. ~10% of jobs are cancelled at a random moment.
 *
 * <p>Besides, a few units carry one fault each, with one right outcome the ledger checks
 * ({@link Expect}): a job that offers a pipe's sink (never readable) as its wait fd, on a loop or a
 * confined executor, must fail with {@code setWaitFd}'s {@link IllegalArgumentException}; on an
 * inline executor ({@code Runnable::run}), a job whose body wakes another paused job of the same
 * thread through its ctx callback: both must end with their own values; AsyncSingles on
 * {@code Schedulers.from(executor)} whose executor is shut down while they are paused: each ends
 * once (an error, unless it finished first), nothing hangs. And one pause kind calls an engine that
 * mixes fast work with a few slow calls (1 in 50 blocks its device thread 20-50 ms): every job
 * behind a slow call still ends with its value.
 */
final class Workload implements AutoCloseable {
    static final int MAX_IN_FLIGHT = 2_000;
    static final int MAX_BURST_IN_FLIGHT = 800;
    private static final Object FD_KEY = new Object();
    private static final Object SINK_KEY = new Object();
    /** Mixed into the mixed engine's results, so a value handed to the wrong job shows. */
    private static final long MIXED_SALT = 0x5A17_ED00_0000_0000L;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private final Ledger ledger;
    private final String tag = "soak" + NAMES.incrementAndGet();
    final JobLoopGroup loops;
    final JobLoopGroup smallLoops;
    final AsyncSelector selector;
    final List<ExecutorService> confined = new ArrayList<>();
    final ScheduledExecutorService devices;
    final ScheduledExecutorService cancellers;
    final OffloadEngine engine;
    final AsyncCrypto crypto;
    final Scheduler reactorSingle;
    final io.reactivex.rxjava3.core.Scheduler rxSingle;
    final ExecutorService rxSingleExecutor;
    final Semaphore permits = new Semaphore(MAX_IN_FLIGHT);
    /** Bursts have their own budget, so they always overrun the small group's 64 slots. */
    final Semaphore burstPermits = new Semaphore(MAX_BURST_IN_FLIGHT);
    /** The thread the inline pairs run on: the inline executor runs every task on its caller. */
    final ExecutorService inlineHost;
    /** Fast calls with a few slow ones among them, on one engine. */
    final OffloadEngine mixedEngine;
    /** The executors of RX_SHUTDOWN batches not yet seen terminated (close() stops what is left). */
    final Queue<ExecutorService> rxShutdownExecutors = new ConcurrentLinkedQueue<>();
    private final AtomicInteger rxShutdownNames = new AtomicInteger();
    private final KeyPair ecKey;
    private final byte[] data = new byte[256];
    private final JobOptions loopOpts;
    private final JobOptions smallOpts;
    private final JobOptions smallFailOpts;
    private final JobOptions selectorOpts;
    private final JobOptions inlineOpts;

    /** The fault routes and pause kinds this run includes ({@code --faults}). */
    private final Route[] faultRoutes;
    private final Wait[] waitKinds;

    Workload(Ledger ledger, Set<Soak.Fault> faults) {
        this.ledger = ledger;
        List<Route> routes = new ArrayList<>();
        for (Soak.Fault f : faults) {
            if (f != Soak.Fault.MIXED_ENGINE) {
                routes.add(Route.valueOf(f.name()));
            }
        }
        faultRoutes = routes.toArray(Route[]::new);
        waitKinds = faults.contains(Soak.Fault.MIXED_ENGINE) ? Wait.values()
                : java.util.Arrays.stream(Wait.values()).filter(w -> w != Wait.MIXED_ENGINE).toArray(Wait[]::new);
        loops = JobLoopGroup.builder().threads(2).name(tag + "-loop").build();
        // bursts go here: 2 x 32 slots, so a burst of hundreds waits for slots (or fails fast)
        smallLoops = JobLoopGroup.builder().threads(2).maxJobsPerLoop(32).name(tag + "-small").build();
        selector = AsyncSelector.open(tag + "-selector");
        for (int i = 0; i < 2; i++) {
            String name = tag + "-confined-" + i;
            confined.add(Executors.newSingleThreadExecutor(r -> daemon(r, name)));
        }
        AtomicInteger dn = new AtomicInteger();
        devices = Executors.newScheduledThreadPool(2, r -> daemon(r, tag + "-device-" + dn.getAndIncrement()));
        AtomicInteger cn = new AtomicInteger();
        cancellers = Executors.newScheduledThreadPool(1, r -> daemon(r, tag + "-cancel-" + cn.getAndIncrement()));
        engine = OffloadEngine.builder().threads(2).queueCapacity(16).name(tag + "-engine").build();
        crypto = new AsyncCrypto(engine);
        mixedEngine = OffloadEngine.builder().threads(2).queueCapacity(16).name(tag + "-mixed").build();
        inlineHost = Executors.newSingleThreadExecutor(r -> daemon(r, tag + "-inline"));
        reactorSingle = Schedulers.newSingle(tag + "-reactor", true);
        rxSingleExecutor = Executors.newSingleThreadExecutor(r -> daemon(r, tag + "-rx"));
        rxSingle = io.reactivex.rxjava3.schedulers.Schedulers.from(rxSingleExecutor);
        try {
            ecKey = SignatureScheme.ECDSA_P256_SHA256.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        ThreadLocalRandom.current().nextBytes(data);
        loopOpts = JobOptions.builder().loops(loops).build();
        smallOpts = JobOptions.builder().loops(smallLoops).build();
        smallFailOpts = JobOptions.builder().loops(smallLoops).onNoJobs(NoJobsPolicy.FAIL).build();
        selectorOpts = JobOptions.builder().placement(JobPlacement.confined(selector, 64)).build();
        inlineOpts = JobOptions.builder().placement(JobPlacement.confined(selector, 8)).build();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ---------------------------------------------------------------- launching

    /** Launches one unit (one job, or one stream of a few jobs) on a random route. */
    void launchRandom() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int pick = rnd.nextInt(100 + 2 * faultRoutes.length);
        Route route = pick >= 100 ? faultRoutes[(pick - 100) / 2]
                : pick < 22 ? Route.LOOP
                : pick < 36 ? Route.CONFINED
                : pick < 52 ? Route.MONO
                : pick < 57 ? Route.MONO_SCHEDULER
                : pick < 67 ? Route.FLUX
                : pick < 87 ? Route.SINGLE
                : Route.FLOWABLE;
        launch(route, rnd.nextInt(6));
    }

    /** A burst above the small group's pool limits: most wait for a slot, a quarter fail fast. */
    void burst(int size) {
        ledger.bursts.increment();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int i = 0; i < size && burstPermits.tryAcquire(); i++) {
            launchDirect(rnd.nextInt(4) == 0 ? Route.LOOP_FAIL : Route.LOOP, 1 + rnd.nextInt(3), burstPermits);
        }
    }

    private void launch(Route route, int pauses) {
        switch (route) {
            case LOOP, CONFINED, NOT_READABLE -> launchDirect(route, pauses, null);
            case INLINE_WAKE -> launchInlinePair();
            case RX_SHUTDOWN -> launchRxShutdown();
            case MONO, MONO_SCHEDULER -> launchMono(route, pauses);
            case FLUX -> launchFlux();
            case SINGLE -> launchSingle(pauses);
            case FLOWABLE -> launchFlowable();
            default -> throw new IllegalArgumentException(route.toString());
        }
    }

    /** One job through the core's launch; {@code burst}: on the small group, holding a burst permit. */
    private void launchDirect(Route route, int pauses, Semaphore burst) {
        Semaphore permits = burst != null ? burst : this.permits;
        Rec rec = ledger.open(route);
        if (route == Route.NOT_READABLE) {
            rec.expect = Expect.NOT_READABLE_REFUSED;
        }
        JobObserver<Long> observer = new JobObserver<>() {
            @Override
            public void onSuccess(Long value) {
                if (ledger.success(rec, value)) {
                    permits.release();
                }
            }

            @Override
            public void onFailure(Throwable error) {
                if (error instanceof RejectedExecutionException) {
                    ledger.rejected.increment();
                }
                if (ledger.failure(rec, error)) {
                    permits.release();
                }
            }

            @Override
            public void onDropped(Long value, Throwable error) {
                if (ledger.signal(rec, Outcome.CANCELLED)) {
                    permits.release();
                }
            }
        };
        JobFunction<Long> job = job(rec, pauses);
        JobTicket ticket;
        if (route == Route.CONFINED || (route == Route.NOT_READABLE && ThreadLocalRandom.current().nextBoolean())) {
            ExecutorService ex = confined.get(ThreadLocalRandom.current().nextInt(confined.size()));
            ticket = AsyncJobs.launch(job, selectorOpts, ex, observer);
        } else if (burst != null) {
            ticket = AsyncJobs.launch(job, route == Route.LOOP_FAIL ? smallFailOpts : smallOpts, observer);
        } else {
            ticket = AsyncJobs.launch(job, loopOpts, observer);
        }
        maybeCancel(ticket::cancel);
    }

    private void launchMono(Route route, int pauses) {
        Rec rec = ledger.open(route);
        var mono = route == Route.MONO
                ? AsyncMono.fromJob(job(rec, pauses), loopOpts)
                : AsyncMono.fromJob(job(rec, pauses), selectorOpts, reactorSingle);
        reactor.core.Disposable d = mono.subscribe(v -> succeeded(rec, v), e -> failed(rec), () -> {
            // a Mono of a job that returned a value completes after onNext: nothing to book
        });
        maybeDispose(rec, d::dispose);
    }

    private void launchSingle(int pauses) {
        Rec rec = ledger.open(Route.SINGLE);
        boolean onScheduler = ThreadLocalRandom.current().nextInt(4) == 0;
        var single = onScheduler
                ? AsyncSingle.<Long>fromJob(job(rec, pauses), selectorOpts, rxSingle)
                : AsyncSingle.<Long>fromJob(job(rec, pauses), loopOpts);
        Disposable d = single.subscribe(v -> succeeded(rec, v), e -> failed(rec));
        maybeDispose(rec, d::dispose);
    }

    /** Books the value of a job seen by a subscriber; the permit is freed if that resolved the job. */
    private void succeeded(Rec rec, Object value) {
        if (ledger.success(rec, value)) {
            permits.release();
        }
    }

    /** Books the error a subscriber got for a job; the permit is freed if that resolved the job. */
    private void failed(Rec rec) {
        if (ledger.signal(rec, Outcome.FAILED)) {
            permits.release();
        }
    }

    /** Now and then ({@link #maybeCancel}) disposes a job's subscription and books it cancelled by the soak. */
    private void maybeDispose(Rec rec, Runnable dispose) {
        maybeCancel(() -> {
            dispose.run();
            if (ledger.cancelledByUs(rec)) {
                permits.release();
            }
        });
    }

    /**
     * Two jobs on an inline executor ({@code Runnable::run}), both on {@link #inlineHost}: A pauses
     * until woken through its ctx callback; B's body fires that callback, so the resume of A is asked
     * for from inside B, on A's own thread. A must not be failed or closed while paused: both end
     * with their own values. No cancels here: a cancel from another thread would run the resume
     * there, which an inline executor cannot confine.
     */
    private void launchInlinePair() {
        Rec a = ledger.open(Route.INLINE_WAKE);
        Rec b = ledger.open(Route.INLINE_WAKE);
        a.expect = Expect.VALUE;
        b.expect = Expect.VALUE;
        Unit unit = new Unit(2);
        AtomicBoolean woken = new AtomicBoolean();
        AtomicReference<AsyncWaitCtx> ctxA = new AtomicReference<>();
        Runnable pair = () -> {
            AsyncJobs.launch(() -> {
                ledger.started.increment();
                try {
                    ctxA.set(AsyncJob.current().waitCtx());
                    while (!woken.get()) {
                        if (!AsyncJob.pause()) {
                            break; // cancelled (only when the executors close): just end
                        }
                    }
                    return a.id;
                } finally {
                    ledger.ended.increment();
                }
            }, inlineOpts, Runnable::run, unit.observer(a));
            AsyncJobs.launch(() -> {
                ledger.started.increment();
                try {
                    AsyncWaitCtx c = ctxA.get();
                    woken.set(true);
                    if (c != null) {
                        // A paused (it may also have ended already, if its launch failed): its
                        // callback, called from inside this job on A's thread
                        ledger.inlineWakes.increment();
                        c.getCallback().onWake(c.getCallbackArg());
                    }
                    return b.id;
                } finally {
                    ledger.ended.increment();
                }
            }, inlineOpts, Runnable::run, unit.observer(b));
        };
        try {
            inlineHost.execute(pair);
        } catch (RejectedExecutionException e) {
            ledger.rejected.increment();
            unit.observer(a).onFailure(e);
            unit.observer(b).onFailure(e);
        }
    }

    /**
     * A few AsyncSingles on a fresh {@code Schedulers.from(executor)}, whose executor is shut down a
     * moment later, while most of them are paused: a resume it rejects (RxJava's worker then hands
     * back a disposed Disposable) must still end the job, once, with an error or its value.
     */
    private void launchRxShutdown() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        int n = 2 + rnd.nextInt(4);
        String name = tag + "-rxshutdown-" + rxShutdownNames.incrementAndGet();
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> daemon(r, name));
        rxShutdownExecutors.add(ex);
        io.reactivex.rxjava3.core.Scheduler scheduler = io.reactivex.rxjava3.schedulers.Schedulers.from(ex);
        Unit unit = new Unit(n);
        for (int i = 0; i < n; i++) {
            Rec rec = ledger.open(Route.RX_SHUTDOWN);
            JobObserver<Long> obs = unit.observer(rec);
            Disposable d = AsyncSingle.<Long>fromJob(job(rec, 1 + rnd.nextInt(4)), selectorOpts, scheduler)
                    .subscribe(obs::onSuccess, e -> {
                        ledger.rxShutdownErrors.increment();
                        obs.onFailure(e);
                    });
            maybeCancel(() -> {
                d.dispose();
                if (ledger.cancelledByUs(rec)) {
                    unit.release();
                }
            });
        }
        devices.schedule(() -> {
            ledger.rxShutdowns.increment();
            try {
                ex.execute(AsyncJob::cleanupThread); // the last task: frees the thread's idle jobs
            } catch (RejectedExecutionException e) {
                // already stopped by close()
            }
            ex.shutdown();
        }, rnd.nextInt(3_000), TimeUnit.MICROSECONDS);
        rxShutdownExecutors.removeIf(ExecutorService::isTerminated);
    }

    /**
     * One launch unit of several jobs: holds one permit, released when every job of it is booked.
     * Its observer books each job through the ledger (values, failures against their {@link Expect}).
     */
    private final class Unit {
        private final AtomicInteger left;

        Unit(int jobs) {
            left = new AtomicInteger(jobs);
        }

        void release() {
            if (left.decrementAndGet() == 0) {
                permits.release();
            }
        }

        JobObserver<Long> observer(Rec rec) {
            return new JobObserver<>() {
                @Override
                public void onSuccess(Long value) {
                    if (ledger.success(rec, value)) {
                        release();
                    }
                }

                @Override
                public void onFailure(Throwable error) {
                    if (ledger.failure(rec, error)) {
                        release();
                    }
                }

                @Override
                public void onDropped(Long value, Throwable error) {
                    if (ledger.signal(rec, Outcome.CANCELLED)) {
                        release();
                    }
                }
            };
        }
    }

    /** A few jobs through mapJobs; the stream's end settles the jobs that did not emit. */
    private void launchFlux() {
        int n = 2 + ThreadLocalRandom.current().nextInt(5);
        Stream stream = new Stream();
        reactor.core.Disposable d = AsyncFlux.mapJobs(Flux.range(0, n), i -> stream.job(Route.FLUX), 3, loopOpts)
                .subscribe(stream::onNext, stream::onError, stream::onComplete);
        maybeCancel(() -> {
            d.dispose();
            stream.cancelled();
        });
    }

    private void launchFlowable() {
        int n = 2 + ThreadLocalRandom.current().nextInt(5);
        Stream stream = new Stream();
        Disposable d = AsyncFlowable.mapJobs(Flowable.range(0, n), i -> stream.job(Route.FLOWABLE), 3, loopOpts)
                .subscribe(stream::onNext, stream::onError, stream::onComplete);
        maybeCancel(() -> {
            d.dispose();
            stream.cancelled();
        });
    }

    /**
     * The jobs of one mapJobs stream. It holds one permit for its whole life. The operator may still
     * call the mapper (on a loop thread) while the soak's own dispose settles the stream on another,
     * so making a job and settling are one critical section: a job made after the settle is booked
     * cancelled at once (it will never run, or run cancelled).
     */
    private final class Stream {
        private final Map<Long, Rec> open = new ConcurrentHashMap<>();
        /** Every job this stream made: a late value must be one of them. */
        private final Map<Long, Rec> made = new ConcurrentHashMap<>();
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile String state = "running";
        private volatile boolean disposed;
        private boolean settled;

        JobFunction<Long> job(Route route) {
            Rec rec = ledger.open(route);
            rec.stream = this::describe;
            made.put(rec.id, rec);
            synchronized (this) {
                if (settled) {
                    ledger.cancelledByUs(rec);
                } else {
                    open.put(rec.id, rec);
                }
            }
            return Workload.this.job(rec, ThreadLocalRandom.current().nextInt(4));
        }

        String describe() {
            return "stream " + state + ", " + open.size() + " open";
        }

        void onNext(Object v) {
            Rec rec = v instanceof Long id ? open.remove(id) : null;
            if (rec != null) {
                ledger.success(rec, v);
                return;
            }
            Rec mine = v instanceof Long id ? made.get(id) : null;
            if (mine != null && disposed) {
                // the operator was past its cancelled check when the soak's dispose settled the
                // stream: its value may still arrive; the ledger books it late (or a duplicate)
                ledger.success(mine, v);
            } else {
                ledger.wrongValue("stream value " + v + " (" + (mine != null ? mine : "not a job of this stream")
                        + ", " + describe() + ")");
            }
        }

        void onError(Throwable e) {
            state = "errored (" + e + ")";
            Rec tagged = JobTag.of(e);
            Rec failedRec = tagged != null ? open.remove(tagged.id) : null;
            if (failedRec != null) {
                ledger.signal(failedRec, Outcome.FAILED);
            }
            // the operator cancelled every other job in flight: the stream's error is their end
            settle();
        }

        void onComplete() {
            // every job emitted before completion; one left open would be a lost value, so it
            // stays in the ledger's live set and is counted lost at the end
            state = "completed";
            end();
        }

        void cancelled() {
            disposed = true;
            state = "disposed";
            settle();
        }

        private synchronized void settle() {
            settled = true;
            for (Rec r : open.values()) {
                // after a dispose or an error the operator has cancelled these jobs: the stream's
                // end is theirs, and any signal still in flight for them is not a duplicate
                ledger.cancelledByUs(r);
            }
            open.clear();
            end();
        }

        private void end() {
            if (ended.compareAndSet(false, true)) {
                permits.release();
            }
        }
    }

    private void maybeCancel(Runnable cancel) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (rnd.nextInt(10) != 0) {
            return;
        }
        int when = rnd.nextInt(4);
        if (when == 0) {
            cancel.run(); // before or during the first segment
        } else {
            cancellers.schedule(cancel, rnd.nextInt(3_000), TimeUnit.MICROSECONDS);
        }
    }

    // ---------------------------------------------------------------- the jobs

    /**
     * The cause of every exception a job throws on purpose: it names the job's record, so the
     * stream that gets the exception can book that job's failure. Stackless: it only carries the
     * record (and shows the job in a printed trace).
     */
    static final class JobTag extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final transient Rec rec;

        JobTag(Rec rec) {
            super(String.valueOf(rec), null, false, false);
            this.rec = rec;
        }

        /** The record of the job that threw {@code e} on purpose, or null if it was not such an exception. */
        static Rec of(Throwable e) {
            return e.getCause() instanceof JobTag t ? t.rec : null;
        }
    }

    /** A job's checked failure (stackless: the soak throws many). */
    static final class InjectedException extends Exception {
        private static final long serialVersionUID = 1L;

        InjectedException(Rec rec, String msg) {
            super(msg, new JobTag(rec), false, false);
        }
    }

    /** A job's unchecked failure. */
    static final class InjectedRuntimeException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        InjectedRuntimeException(Rec rec) {
            super("injected runtime failure", new JobTag(rec));
        }
    }

    /** A job's {@link Error} (stackless). */
    static final class InjectedError extends Error {
        private static final long serialVersionUID = 1L;

        InjectedError(Rec rec) {
            super("injected error", new JobTag(rec), false, false);
        }
    }

    /** The failure of a job whose wait fd was closed under it. */
    static final class ClosedFdException extends IOException {
        private static final long serialVersionUID = 1L;

        ClosedFdException(Rec rec) {
            super("the wait fd was closed under the job", new JobTag(rec));
        }
    }

    private enum Wait { FD, CALLBACK, ENGINE, CRYPTO, YIELD, MIXED_ENGINE }

    JobFunction<Long> job(Rec rec, int pauses) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        Wait[] waits = new Wait[pauses];
        for (int i = 0; i < pauses; i++) {
            waits[i] = waitKinds[rnd.nextInt(waitKinds.length)];
        }
        boolean notReadable = rec.expect == Expect.NOT_READABLE_REFUSED;
        boolean closeFd = !notReadable && rnd.nextInt(100) == 0;
        int fail = !notReadable && rnd.nextInt(20) == 0 ? 1 + rnd.nextInt(3) : 0;
        return () -> body(rec, waits, closeFd, fail, notReadable);
    }

    private Long body(Rec rec, Wait[] waits, boolean closeFd, int fail, boolean notReadable) throws Exception {
        ledger.started.increment();
        try {
            AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
            WakeupFd fd = null;
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            boolean closedOne = false;
            for (Wait w : waits) {
                if (AsyncJob.current().isCancelled()) {
                    break;
                }
                switch (w) {
                    case FD -> {
                        if (fd == null) {
                            fd = WakeupFd.open();
                            ctx.setWaitFd(FD_KEY, fd.channel(), fd, (c, k, ch, d) -> {
                                ledger.cleanups.increment();
                                ((WakeupFd) d).close();
                            });
                            ledger.fdsSet.increment();
                        }
                        WakeupFd f = fd;
                        boolean close = closeFd && !closedOne;
                        closedOne |= close;
                        devices.schedule(close ? f::close : f::signal, rnd.nextInt(2_000), TimeUnit.MICROSECONDS);
                        if (!waitFd(f, rec)) {
                            return rec.id;
                        }
                    }
                    case CALLBACK -> {
                        AtomicBoolean done = new AtomicBoolean();
                        WaitCallback cb = ctx.getCallback();
                        Object arg = ctx.getCallbackArg();
                        devices.schedule(() -> {
                            done.set(true);
                            cb.onWake(arg);
                        }, rnd.nextInt(2_000), TimeUnit.MICROSECONDS);
                        while (!done.get()) {
                            if (!AsyncJob.pause()) {
                                return rec.id;
                            }
                        }
                    }
                    case ENGINE -> {
                        int n = engine.call(() -> data.length + 1);
                        if (n != data.length + 1) {
                            throw new IllegalStateException("the engine returned " + n);
                        }
                    }
                    case CRYPTO -> {
                        if (rnd.nextInt(4) == 0) {
                            byte[] sig = crypto.sign(SignatureScheme.ECDSA_P256_SHA256, ecKey.getPrivate(), data);
                            if (sig.length == 0) {
                                throw new IllegalStateException("empty signature");
                            }
                        } else {
                            crypto.sha256(data);
                        }
                    }
                    case YIELD -> {
                        ctx.getCallback().onWake(ctx.getCallbackArg()); // wake-before-pause: a yield
                        if (!AsyncJob.pause()) {
                            return rec.id;
                        }
                    }
                    case MIXED_ENGINE -> mixedCall(rec, rnd.nextInt(50) == 0 ? 20 + rnd.nextInt(31) : 0);
                }
            }
            if (notReadable && !AsyncJob.current().isCancelled()) {
                offerNonReadableFd(ctx);
                return rec.id; // the channel was accepted and the job woken: booked a wrong outcome
            }
            if (fail != 0 && !AsyncJob.current().isCancelled()) {
                ledger.injectedFailures.increment();
                switch (fail) {
                    case 1 -> throw new InjectedException(rec, "injected checked failure");
                    case 2 -> throw new InjectedRuntimeException(rec);
                    default -> throw new InjectedError(rec);
                }
            }
            return rec.id;
        } catch (CancellationException e) {
            return rec.id; // the engine call of a cancelled job: the job just ends
        } finally {
            ledger.ended.increment();
        }
    }

    /**
     * One call on the mixed engine: a few microseconds of work, or {@code slowMillis} of blocking
     * (a device that stalls); the result carries the job's id, so a result given to the wrong job
     * is a wrong value.
     */
    private void mixedCall(Rec rec, int slowMillis) throws Exception {
        ledger.mixedEngineCalls.increment();
        if (slowMillis > 0) {
            ledger.slowEngineCalls.increment();
        }
        long got = mixedEngine.call(() -> {
            if (slowMillis > 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(slowMillis));
            }
            return rec.id ^ MIXED_SALT;
        });
        if (got != (rec.id ^ MIXED_SALT)) {
            ledger.wrongValue(rec + " got the mixed engine's result for job#" + (got ^ MIXED_SALT));
        }
    }

    /**
     * Offers a pipe's sink (writable, never readable) as the job's wait fd. The core refuses it
     * with an {@link IllegalArgumentException}, which becomes the job's failure. Were it accepted,
     * the job pauses on it as any engine would, and whatever wakes it (or nothing: then the job is
     * lost) shows in the books.
     */
    private void offerNonReadableFd(AsyncWaitCtx ctx) throws IOException {
        ledger.notReadableOffered.increment();
        Pipe p = Pipe.open();
        boolean accepted = false;
        try {
            p.sink().configureBlocking(false);
            p.source().configureBlocking(false);
            accepted = ctx.setWaitFd(SINK_KEY, p.sink(), p, (c, k, ch, d) -> {
                ledger.cleanups.increment();
                closePipe((Pipe) d);
            });
        } finally {
            if (!accepted) {
                closePipe(p);
            }
        }
        if (accepted) {
            ledger.fdsSet.increment();
            AsyncJob.pause();
        }
    }

    private static void closePipe(Pipe p) {
        try {
            p.sink().close();
        } catch (IOException e) {
            // closing: nothing to do
        }
        try {
            p.source().close();
        } catch (IOException e) {
            // closing: nothing to do
        }
    }

    /** Pauses until the fd is signalled; false if cancelled; a closed fd fails the job. */
    private boolean waitFd(WakeupFd fd, Rec rec) throws IOException {
        for (;;) {
            if (!AsyncJob.pause()) {
                return false;
            }
            if (fd.drain()) {
                return true;
            }
            if (!fd.channel().isOpen()) {
                ledger.closedFds.increment();
                throw new ClosedFdException(rec);
            }
            // a spurious wake (the ctx callback of a yield, say): pause again
        }
    }

    // ---------------------------------------------------------------- closing

    /**
     * Closes everything, jobs' threads first. The confined executors and the Reactor/RxJava single
     * threads free their job pools with {@code AsyncJob.cleanupThread()} (API rule 7) before they
     * end. Without it, with the virtual-thread backend, each pooled job of a thread that ends stays
     * a parked virtual thread: a core issue reported on its own by
     * {@code FaultThreadEndsTest.aThreadThatRanJobsEndsWithoutCleanupAndLeavesNoJobThreadBehind}, so
     * the soak measures everything else.
     */
    @Override
    public void close() {
        loops.close();
        smallLoops.close();
        for (ExecutorService ex : confined) {
            cleanupAndStop(ex);
        }
        cleanupAndStop(rxSingleExecutor);
        cleanupAndStop(inlineHost);
        for (ExecutorService ex; (ex = rxShutdownExecutors.poll()) != null;) {
            cleanupAndStop(ex);
        }
        try {
            reactorSingle.schedule(AsyncJob::cleanupThread);
        } catch (RuntimeException e) {
            // already disposed
        }
        reactorSingle.disposeGracefully().block(Duration.ofSeconds(10));
        selector.close();
        devices.shutdownNow();
        cancellers.shutdownNow();
        engine.close();
        mixedEngine.close();
        try {
            devices.awaitTermination(10, TimeUnit.SECONDS);
            cancellers.awaitTermination(10, TimeUnit.SECONDS);
            engine.awaitTermination(Duration.ofSeconds(10));
            mixedEngine.awaitTermination(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void cleanupAndStop(ExecutorService ex) {
        try {
            ex.execute(AsyncJob::cleanupThread);
        } catch (RejectedExecutionException e) {
            // already stopped
        }
        ex.shutdown();
        try {
            ex.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
