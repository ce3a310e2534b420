package dev.asyncjobs.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.RecordingObserver;
import dev.asyncjobs.core.StartStatus;
import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Fds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Drivers, resource counters, per-test loops and launch helpers shared by the offload engine tests. */
final class OffloadEngineTestKit {
    static final Duration WAIT = Duration.ofSeconds(30);

    private OffloadEngineTestKit() {
    }

    /** Waits up to {@link #WAIT} until {@code condition} holds. */
    static void await(String what, BooleanSupplier condition) {
        Await.until(what, WAIT, condition);
    }

    /** Waits up to {@link #WAIT} until the fd count is back to {@code baseline} (closing a registered fd is deferred). */
    static void awaitFds(int baseline) {
        Fds.awaitAtMost("fds released", baseline, WAIT);
    }

    /**
     * Drives one job on this thread, OpenSSL style: start, then select on the ctx's wait fds and
     * resume when one is readable, until FINISH. The ctx has no callback: the engine's fd path.
     *
     * @param resumes counts the resumes (spurious ones included)
     */
    static <R> JobHandle<R> driveWithSelect(AsyncWaitCtx ctx, JobFunction<R> func, @Nullable AtomicInteger resumes) {
        JobHandle<R> handle = new JobHandle<>();
        try (Selector selector = Selector.open()) {
            StartStatus st = AsyncJob.start(handle, ctx, func);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (st == StartStatus.PAUSE) {
                List<SelectableChannel> fds = ctx.getAllFds();
                assertThat(fds).as("a job paused on the fd path has a wait fd").isNotEmpty();
                for (SelectionKey k : new ArrayList<>(selector.keys())) {
                    if (!fds.contains(k.channel())) {
                        k.cancel();
                    }
                }
                for (SelectableChannel fd : fds) {
                    if (fd.keyFor(selector) == null) {
                        fd.register(selector, SelectionKey.OP_READ);
                    }
                }
                selector.selectedKeys().clear();
                while (selector.select(10) == 0) {
                    if (System.nanoTime() > deadline) {
                        fail("the job was never woken through its fd");
                    }
                }
                if (resumes != null) {
                    resumes.incrementAndGet();
                }
                st = AsyncJob.start(handle, ctx, null);
            }
            assertThat(st).isEqualTo(StartStatus.FINISH);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return handle;
    }

    /**
     * Drives one job on this thread with a callback on the ctx (the engine's callback path): the
     * callback releases a wait here, then the job is resumed on this thread.
     */
    static <R> JobHandle<R> driveWithCallback(AsyncWaitCtx ctx, JobFunction<R> func, AtomicInteger wakes) {
        return driveWithCallback(ctx, func, wakes, () -> { });
    }

    /** As above; {@code inCallback} runs inside each callback, on the waking thread. */
    static <R> JobHandle<R> driveWithCallback(AsyncWaitCtx ctx, JobFunction<R> func, AtomicInteger wakes,
            Runnable inCallback) {
        java.util.concurrent.Semaphore woken = new java.util.concurrent.Semaphore(0);
        ctx.setCallback(arg -> {
            inCallback.run();
            wakes.incrementAndGet();
            woken.release();
            return true;
        }, null);
        JobHandle<R> handle = new JobHandle<>();
        StartStatus st = AsyncJob.start(handle, ctx, func);
        while (st == StartStatus.PAUSE) {
            try {
                if (!woken.tryAcquire(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    fail("the callback never came");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            woken.drainPermits();
            st = AsyncJob.start(handle, ctx, null);
        }
        assertThat(st).isEqualTo(StartStatus.FINISH);
        assertThat(ctx.getAllFds()).as("the callback path sets no wait fd").isEmpty();
        return handle;
    }

    /**
     * Launches jobs {@code from} to {@code to - 1} on {@code options}, job {@code id} being {@code
     * jobs.apply(id)}, each told to its own recording observer (returned in id order).
     */
    static List<RecordingObserver<Integer>> launchEach(JobOptions options, int from, int to,
            IntFunction<JobFunction<Integer>> jobs) {
        List<RecordingObserver<Integer>> observers = new ArrayList<>();
        for (int id = from; id < to; id++) {
            RecordingObserver<Integer> obs = new RecordingObserver<>();
            observers.add(obs);
            AsyncJobs.launch(jobs.apply(id), options, obs);
        }
        return observers;
    }

    /** Waits for every observer's outcome: the one at index {@code i} succeeded with {@code i}. */
    static void assertEachSucceededWithItsIndex(List<RecordingObserver<Integer>> observers) {
        for (int i = 0; i < observers.size(); i++) {
            RecordingObserver.Call c = observers.get(i).await();
            assertThat(c.kind()).as("job %d", i).isEqualTo("success");
            assertThat(c.value()).as("job %d", i).isEqualTo(i);
        }
    }

    /**
     * Opens {@code gate} once {@code queued} calls wait in the engine's queue and the loop had time
     * to fall asleep: with nothing left to do it reaches {@code select()} before the device
     * completes anything, so every completion has to wake it (or have its wake-up held back).
     */
    static void openOnceQueuedAndTheLoopSleeps(OffloadEngine engine, int queued, CountDownLatch gate)
            throws InterruptedException {
        await(queued + " calls queued", () -> engine.queued() == queued);
        Thread.sleep(100);
        gate.countDown();
    }

    /**
     * Launches {@code rounds} jobs, at most 200 in flight, on two loops of their own named {@code
     * loopName}, through an engine built by {@code engineBuilder}; job {@code id} makes 1 to 3 calls
     * of {@code work.apply(id)} and returns their sum. Asserts that every job ended within {@code
     * wait} (a lost wake-up leaves its job paused for ever), each with its own sum. The engine is
     * closed before the loops are awaited empty, so a job stuck on it ends and the first failure is
     * the one reported.
     */
    static void everyJobOfALoadEnds(OffloadEngine.Builder engineBuilder, String loopName, int rounds,
            Duration wait, IntFunction<Callable<Integer>> work) throws InterruptedException {
        JobLoopGroup two = JobLoopGroup.builder().threads(2).name(loopName).build();
        try (OffloadEngine engine = engineBuilder.build()) {
            JobOptions opts = JobOptions.builder().loops(two).build();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger bad = new AtomicInteger();
            Semaphore inFlight = new Semaphore(200);
            for (int i = 0; i < rounds; i++) {
                inFlight.acquire();
                int id = i;
                int calls = 1 + (i % 3);
                Callable<Integer> call = work.apply(id);
                AsyncJobs.launch(() -> {
                    int sum = 0;
                    for (int c = 0; c < calls; c++) {
                        sum += engine.call(call);
                    }
                    return sum;
                }, opts, new JobObserver<Integer>() {
                    @Override
                    public void onSuccess(Integer value) {
                        (value == id * calls ? ok : bad).incrementAndGet();
                        inFlight.release();
                    }

                    @Override
                    public void onFailure(Throwable error) {
                        bad.incrementAndGet();
                        inFlight.release();
                    }
                });
            }
            assertThat(inFlight.tryAcquire(200, wait.toMillis(), TimeUnit.MILLISECONDS)).as("every job ended").isTrue();
            assertThat(bad.get()).isZero();
            assertThat(ok.get()).isEqualTo(rounds);
        } finally {
            await("no live jobs", () -> two.liveJobs() == 0);
            two.close();
        }
    }

    /**
     * A test's own job loops and the options on them, registered as an instance field with
     * {@code @RegisterExtension}: before each test, {@link AsyncHooks} errors are captured and the
     * loops started; after it (after the test's own {@code @AfterEach}), the last jobs are let
     * unlink (a job counts live until just after its observer was told), the loops are closed and
     * no error may have reached the hook.
     */
    static final class TestLoops implements BeforeEachCallback, AfterEachCallback {
        private final String name;
        private final int threads;
        private final List<Throwable> hookErrors = new CopyOnWriteArrayList<>();
        private @Nullable JobLoopGroup group;
        private @Nullable JobOptions options;

        TestLoops(String name, int threads) {
            this.name = name;
            this.threads = threads;
        }

        @Override
        public void beforeEach(ExtensionContext context) {
            hookErrors.clear();
            AsyncHooks.setOnError(hookErrors::add);
            group = JobLoopGroup.builder().threads(threads).name(name).build();
            options = JobOptions.builder().loops(group).build();
        }

        @Override
        public void afterEach(ExtensionContext context) {
            JobLoopGroup g = group();
            try {
                await("no live jobs", () -> g.liveJobs() == 0);
            } finally {
                g.close();
                AsyncHooks.resetOnError();
            }
            assertThat(hookErrors).isEmpty();
        }

        /** The loops of the running test. */
        JobLoopGroup group() {
            JobLoopGroup g = group;
            if (g == null) {
                throw new IllegalStateException("no test is running");
            }
            return g;
        }

        /** Options that place jobs on {@link #group()}. */
        JobOptions options() {
            JobOptions o = options;
            if (o == null) {
                throw new IllegalStateException("no test is running");
            }
            return o;
        }
    }

    /** A JobObserver that completes a future (dropped: completes exceptionally with a marker). */
    static final class Outcome<R> implements JobObserver<R> {
        final CompletableFuture<R> future = new CompletableFuture<>();
        volatile @Nullable Throwable dropped;
        volatile @Nullable R droppedValue;
        volatile boolean wasDropped;
        final AtomicInteger segments = new AtomicInteger();

        @Override
        public void onSuccess(@Nullable R value) {
            future.complete(value);
        }

        @Override
        public void onFailure(Throwable error) {
            future.completeExceptionally(error);
        }

        @Override
        public void onDropped(@Nullable R value, @Nullable Throwable error) {
            dropped = error;
            droppedValue = value;
            wasDropped = true;
            future.completeExceptionally(new DroppedMarker(error));
        }

        @Override
        public @Nullable AutoCloseable onSegmentStart() {
            segments.incrementAndGet();
            return null;
        }
    }

    /** Completes {@link Outcome#future} when the job was dropped after a cancel. */
    static final class DroppedMarker extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DroppedMarker(@Nullable Throwable cause) {
            super("dropped", cause);
        }
    }

    /**
     * Runs jobs by hand on a thread-confined executor with the ctx's fds watched by an
     * {@link AsyncSelector}: the fd path (no callback on the ctx) through the core's own selector.
     */
    static final class FdPathRunner<R> implements Runnable {
        private final Executor thread;
        private final AsyncSelector selector;
        private final JobFunction<R> func;
        private final JobHandle<R> handle = new JobHandle<>();
        final AsyncWaitCtx ctx = new AsyncWaitCtx();
        final CompletableFuture<R> future = new CompletableFuture<>();
        final AtomicInteger resumes = new AtomicInteger();
        private boolean started;

        FdPathRunner(Executor thread, AsyncSelector selector, JobFunction<R> func) {
            this.thread = thread;
            this.selector = selector;
            this.func = func;
        }

        void start() {
            thread.execute(this);
        }

        /** Marks the job cancelled and resumes it (on its thread). */
        void cancel() {
            thread.execute(() -> {
                if (handle.cancel()) {
                    run();
                }
            });
        }

        @Override
        public void run() {
            if (handle.job() == null && started) {
                return; // finished already
            }
            if (started) {
                resumes.incrementAndGet();
            }
            started = true;
            StartStatus st = AsyncJob.start(handle, ctx, func);
            switch (st) {
                case PAUSE -> selector.watch(ctx, () -> thread.execute(this));
                case FINISH -> {
                    ctx.close();
                    if (handle.failure() != null) {
                        future.completeExceptionally(handle.failure());
                    } else {
                        future.complete(handle.result());
                    }
                }
                default -> {
                    ctx.close();
                    future.completeExceptionally(new IllegalStateException("start returned " + st));
                }
            }
        }
    }
}
