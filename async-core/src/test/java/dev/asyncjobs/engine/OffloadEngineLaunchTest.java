package dev.asyncjobs.engine;

import static dev.asyncjobs.engine.OffloadEngineTestKit.await;
import static dev.asyncjobs.engine.OffloadEngineTestKit.awaitFds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.WaitStatus;
import dev.asyncjobs.engine.OffloadEngineTestKit.FdPathRunner;
import dev.asyncjobs.engine.OffloadEngineTestKit.Outcome;
import dev.asyncjobs.engine.OffloadEngineTestKit.TestLoops;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine under {@link AsyncJobs#launch} (the adapters' path: the ctx carries the launch's
 * callback) and under jobs driven by hand on one thread with an {@link AsyncSelector} (the fd path).
 */
class OffloadEngineLaunchTest {
    @RegisterExtension
    final TestLoops loops = new TestLoops("offload-loop", 2);
    /** Work that blocks the device waits for {@code release}; it is opened before the engine closes, whatever the outcome. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch running = new CountDownLatch(1);
    private JobOptions options;
    private ExecutorService fdThread;
    private int fdBaseline;

    @BeforeEach
    void setUp() {
        options = loops.options();
        fdThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "offload-fd-driver"));
        AsyncSelector.shared(); // started before the fd baseline: it lives for the whole JVM
        Fds.warmUpNio();
        fdBaseline = Fds.count();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        fdThread.shutdown();
        assertThat(fdThread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    /** A test's body, given a fresh engine. */
    private interface WithEngine {
        void run(OffloadEngine engine) throws Exception;
    }

    /**
     * Runs {@code body} with a fresh engine; whatever its outcome, opens {@link #release} and closes
     * the engine (its device threads must end), then no fd may be left open.
     */
    private void withEngine(String name, int threads, int queue, WithEngine body) throws Exception {
        OffloadEngine engine = OffloadEngine.builder().name(name).threads(threads).queueCapacity(queue).build();
        try {
            body.run(engine);
        } finally {
            release.countDown();
            engine.close();
            // a failed termination check must not hide the test's own failure
            if (!engine.awaitTermination(Duration.ofSeconds(10))) {
                throw new AssertionError("the device threads of " + engine + " did not end");
            }
        }
        awaitFds(fdBaseline);
    }

    private <R> Outcome<R> launch(JobFunction<R> job) {
        Outcome<R> o = new Outcome<>();
        AsyncJobs.launch(job, options, o);
        return o;
    }

    /** Launches {@code jobs} jobs, job {@code n} being {@code job.apply(n)}. */
    private <R> List<Outcome<R>> launchEach(int jobs, IntFunction<JobFunction<R>> job) {
        List<Outcome<R>> outcomes = new ArrayList<>();
        for (int n = 0; n < jobs; n++) {
            outcomes.add(launch(job.apply(n)));
        }
        return outcomes;
    }

    /** Starts {@code jobs} jobs on the fd path (one thread, the shared selector), job {@code n} being {@code job.apply(n)}. */
    private <R> List<FdPathRunner<R>> startEachOnTheFdPath(int jobs, IntFunction<JobFunction<R>> job) {
        List<FdPathRunner<R>> runners = new ArrayList<>();
        for (int n = 0; n < jobs; n++) {
            FdPathRunner<R> r = new FdPathRunner<>(fdThread, AsyncSelector.shared(), job.apply(n));
            runners.add(r);
            r.start();
        }
        return runners;
    }

    /** A call on a device slower than the jobs: it takes 200 us, then returns {@code n}. */
    private static int slowCall(OffloadEngine engine, int n) throws Exception {
        return engine.call(() -> {
            LockSupport.parkNanos(200_000);
            return n;
        });
    }

    /** Launches a job whose call holds the engine's only device thread until {@link #release}. */
    private Outcome<Boolean> blockTheDevice(OffloadEngine engine) throws InterruptedException {
        Outcome<Boolean> blocker = launch(() -> engine.call(() -> {
            running.countDown();
            return release.await(30, TimeUnit.SECONDS);
        }));
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
        return blocker;
    }

    /** A new job's call still goes through and returns its value. */
    private void assertTheEngineStillServes(OffloadEngine engine) throws Exception {
        assertThat(launch(() -> engine.call(() -> "after")).future.get(30, TimeUnit.SECONDS)).isEqualTo("after");
    }

    @Test
    void manyJobsThroughLaunchTakeTheCallbackPath() throws Exception {
        withEngine("launch-engine", 2, 16, engine -> {
            int jobs = 2_000;
            AtomicInteger fdsSeen = new AtomicInteger();
            AtomicInteger notOk = new AtomicInteger();
            List<Outcome<Long>> outcomes = launchEach(jobs, n -> () -> {
                long sum = 0;
                for (int k = 0; k < 3; k++) {
                    long add = k;
                    sum += engine.call(() -> n * 10L + add);
                    AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                    if (ctx.getFd(engine.key()) != null || !ctx.getAllFds().isEmpty()) {
                        fdsSeen.incrementAndGet();
                    }
                    if (ctx.getStatus() != WaitStatus.OK) {
                        notOk.incrementAndGet();
                    }
                }
                return sum;
            });
            for (int i = 0; i < jobs; i++) {
                assertThat(outcomes.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(i * 30L + 3);
            }
            assertThat(fdsSeen.get()).as("the callback path makes no fd").isZero();
            assertThat(notOk.get()).as("status OK after each call").isZero();
            assertThat(engine.queue().peak()).isLessThanOrEqualTo(16);
            assertThat(Threads.named("launch-engine-").size()).isEqualTo(2);
        });
    }

    @Test
    void fdPathThroughAnAsyncSelectorOnOneThread() throws Exception {
        withEngine("fdpath-engine", 2, 16, engine -> {
            int jobs = 500;
            List<FdPathRunner<Integer>> runners = startEachOnTheFdPath(jobs, n -> () -> {
                int sum = 0;
                for (int k = 0; k < 3; k++) {
                    int add = k;
                    sum += engine.call(() -> n + add);
                    assertThat(AsyncJob.current().waitCtx().getAllFds()).as("one fd, reused").hasSize(1);
                }
                return sum;
            });
            for (int i = 0; i < jobs; i++) {
                assertThat(runners.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(3 * i + 3);
                assertThat(runners.get(i).ctx.isClosed()).isTrue();
            }
            assertThat(engine.queue().peak()).isLessThanOrEqualTo(16);
        });
    }

    @Test
    void spuriousCallbackThroughLaunchPausesAgainAndGetsTheRightValue() throws Exception {
        withEngine("spurious-engine", 1, 4, engine -> {
            AtomicReference<AsyncWaitCtx> ctxRef = new AtomicReference<>();
            Outcome<String> o = launch(() -> {
                ctxRef.set(AsyncJob.current().waitCtx());
                return engine.call(() -> {
                    running.countDown();
                    assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                    return "right";
                });
            });
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            AsyncWaitCtx ctx = ctxRef.get();
            // call the launch's callback early, three times: each resume finds no outcome
            for (int i = 0; i < 3; i++) {
                int before = o.segments.get();
                ctx.getCallback().onWake(ctx.getCallbackArg());
                await("the spurious resume", () -> o.segments.get() == before + 1);
            }
            assertThat(o.future).isNotDone();
            release.countDown();
            assertThat(o.future.get(30, TimeUnit.SECONDS)).isEqualTo("right");
            assertThat(o.segments.get()).as("start, 3 spurious resumes, the real one").isEqualTo(5);
        });
    }

    @Test
    void deviceFullBacksUpIntoTheJobsNotAQueueOrThreads() throws Exception {
        withEngine("full-engine", 1, 1, engine -> {
            int threadsBefore = Thread.activeCount();
            int jobs = 50;
            int calls = 3;
            List<AsyncWaitCtx> ctxs = new CopyOnWriteArrayList<>();
            AtomicBoolean sawEagain = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            Thread sampler = new Thread(() -> {
                while (!stop.get()) {
                    for (AsyncWaitCtx c : ctxs) {
                        if (c.getStatus() == WaitStatus.EAGAIN) {
                            sawEagain.set(true);
                        }
                    }
                    Thread.onSpinWait();
                }
            });
            sampler.start();
            List<Outcome<Integer>> outcomes = launchEach(jobs, n -> () -> {
                ctxs.add(AsyncJob.current().waitCtx());
                int sum = 0;
                for (int k = 0; k < calls; k++) {
                    sum += slowCall(engine, n);
                }
                return sum;
            });
            for (int i = 0; i < jobs; i++) {
                assertThat(outcomes.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(calls * i);
            }
            stop.set(true);
            sampler.join();
            assertThat(engine.queue().peak()).as("the queue never exceeds Q").isEqualTo(1);
            assertThat(engine.queue().roomWaiters()).isZero();
            assertThat(engine.queued()).isZero();
            assertThat(sawEagain.get()).as("jobs yielded with status EAGAIN").isTrue();
            assertThat(Threads.named("full-engine-").size()).isEqualTo(1);
            assertThat(Thread.activeCount()).as("no thread per call").isLessThanOrEqualTo(threadsBefore + 1);
            int segments = outcomes.stream().mapToInt(o -> o.segments.get()).sum();
            // each call: a yield, a wait for room, maybe one lost to a newcomer, the wait for its
            // outcome; a job that spun on the full device would resume thousands of times
            assertThat(segments).as("resumes of %d calls", jobs * calls).isLessThanOrEqualTo(jobs * calls * 5);
        });
    }

    @Test
    void deviceFullOnTheFdPath() throws Exception {
        withEngine("fullfd-engine", 1, 1, engine -> {
            int jobs = 50;
            List<FdPathRunner<Integer>> runners = startEachOnTheFdPath(jobs,
                    n -> () -> slowCall(engine, n) + slowCall(engine, n));
            int resumes = 0;
            for (int i = 0; i < jobs; i++) {
                assertThat(runners.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(2 * i);
                resumes += runners.get(i).resumes.get();
            }
            assertThat(engine.queue().peak()).isEqualTo(1);
            assertThat(engine.queue().roomWaiters()).isZero();
            assertThat(resumes).as("no spinning on a full device").isLessThanOrEqualTo(jobs * 2 * 6);
        });
    }

    @Test
    void cancelWhileQueuedThroughLaunchWithdrawsTheWork() throws Exception {
        withEngine("cq-launch-engine", 1, 4, engine -> {
            AtomicInteger ran = new AtomicInteger();
            Outcome<Boolean> blocker = blockTheDevice(engine);
            Outcome<Integer> queued = new Outcome<>();
            JobTicket ticket = AsyncJobs.launch(() -> engine.call(ran::incrementAndGet), options, queued);
            await("the call is queued", () -> engine.queued() == 1);
            ticket.cancel();
            assertThat(queued.future).failsWithin(Duration.ofSeconds(30)); // told once it ended
            // isDone() flips once the observer has returned, just after it completed the future
            await("the ticket is done", ticket::isDone);
            assertThat(queued.wasDropped).isTrue();
            assertThat(queued.dropped).isInstanceOf(CancellationException.class);
            assertThat(engine.queued()).isZero();
            release.countDown();
            assertThat(blocker.future.get(30, TimeUnit.SECONDS)).isTrue();
            assertTheEngineStillServes(engine);
            assertThat(ran.get()).as("the withdrawn work never ran").isZero();
        });
    }

    @Test
    void cancelWhileRunningThroughLaunchFinishesTheJobAndDiscardsTheResult() throws Exception {
        withEngine("cr-launch-engine", 1, 4, engine -> {
            AtomicBoolean workDone = new AtomicBoolean();
            Outcome<String> o = new Outcome<>();
            JobTicket ticket = AsyncJobs.launch(() -> engine.call(() -> {
                running.countDown();
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                workDone.set(true);
                return "discarded";
            }), options, o);
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            ticket.cancel();
            assertThat(o.future).as("the job ended while its work still runs").failsWithin(Duration.ofSeconds(30));
            // isDone() flips once the observer has returned, just after it completed the future
            await("the ticket is done", ticket::isDone);
            assertThat(workDone.get()).isFalse();
            assertThat(o.dropped).isInstanceOf(CancellationException.class);
            await("the job unlinked", () -> loops.group().liveJobs() == 0);
            release.countDown();
            await("the work ran to its end", workDone::get);
            assertTheEngineStillServes(engine);
        });
    }

    @Test
    void cancelWhileWaitingForRoomLeavesTheRoomList() throws Exception {
        withEngine("cw-engine", 1, 1, engine -> {
            blockTheDevice(engine);
            Outcome<Integer> queued = launch(() -> engine.call(() -> 1));
            await("one call queued", () -> engine.queued() == 1);
            List<JobTicket> waiting = new ArrayList<>();
            List<Outcome<Integer>> waitingOutcomes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Outcome<Integer> w = new Outcome<>();
                waitingOutcomes.add(w);
                waiting.add(AsyncJobs.launch(() -> engine.call(() -> 2), options, w));
            }
            await("four jobs wait for room", () -> engine.queue().roomWaiters() == 4);
            waiting.get(1).cancel();
            waiting.get(2).cancel();
            await("the cancelled ones left", () -> engine.queue().roomWaiters() == 2);
            release.countDown();
            assertThat(queued.future.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(waitingOutcomes.get(0).future.get(30, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(waitingOutcomes.get(3).future.get(30, TimeUnit.SECONDS)).isEqualTo(2);
            for (int i : new int[] {1, 2}) {
                assertThat(waitingOutcomes.get(i).future).failsWithin(Duration.ofSeconds(30));
                assertThat(waitingOutcomes.get(i).dropped).isInstanceOf(CancellationException.class);
            }
            assertThat(engine.queue().roomWaiters()).isZero();
        });
    }

    @Test
    void closingTheEngineFailsTheLaunchedJobsWaitingOnIt() throws Exception {
        OffloadEngine engine = OffloadEngine.builder().name("close-launch-engine").threads(1).queueCapacity(1).build();
        Outcome<Boolean> first = blockTheDevice(engine);
        List<Outcome<Integer>> rest = launchEach(5, n -> () -> engine.call(() -> 1));
        await("one queued, four waiting for room",
                () -> engine.queued() == 1 && engine.queue().roomWaiters() == 4);
        engine.close();
        for (Outcome<Integer> o : rest) {
            assertThat(o.future).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                    .havingRootCause().isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        }
        release.countDown();
        assertThat(first.future.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
    }
}
