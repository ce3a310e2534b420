package dev.asyncjobs.engine;

import static dev.asyncjobs.engine.OffloadEngineTestKit.await;
import static dev.asyncjobs.engine.OffloadEngineTestKit.awaitFds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.WaitStatus;
import dev.asyncjobs.engine.OffloadEngineTestKit.FdPathRunner;
import dev.asyncjobs.engine.OffloadEngineTestKit.Outcome;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine under {@link AsyncJobs#launch} (the adapters' path: the ctx carries the launch's
 * callback) and under jobs driven by hand on one thread with an {@link AsyncSelector} (the fd path).
 */
class OffloadEngineLaunchTest {
    private final List<Throwable> hookErrors = new CopyOnWriteArrayList<>();
    private JobLoopGroup loops;
    private JobOptions options;
    private ExecutorService fdThread;
    private int fdBaseline;

    @BeforeEach
    void setUp() {
        AsyncHooks.setOnError(hookErrors::add);
        loops = JobLoopGroup.builder().threads(2).name("offload-loop").build();
        options = JobOptions.builder().loops(loops).build();
        fdThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "offload-fd-driver"));
        AsyncSelector.shared(); // started before the fd baseline: it lives for the whole JVM
        Fds.warmUpNio();
        fdBaseline = Fds.count();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        fdThread.shutdown();
        assertThat(fdThread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        // a job counts live until just after its observer was told: let the last ones unlink
        OffloadEngineTestKit.await("no live jobs", () -> loops.liveJobs() == 0);
        loops.close();
        AsyncHooks.resetOnError();
        assertThat(hookErrors).isEmpty();
    }

    private static OffloadEngine engine(String name, int threads, int queue) {
        return OffloadEngine.builder().name(name).threads(threads).queueCapacity(queue).build();
    }

    /** In a finally block: a failed termination check must not hide the test's own failure. */
    private static void closeEngine(OffloadEngine e) throws InterruptedException {
        e.close();
        if (!e.awaitTermination(Duration.ofSeconds(10))) {
            throw new AssertionError("the device threads of " + e + " did not end");
        }
    }

    @Test
    void manyJobsThroughLaunchTakeTheCallbackPath() throws Exception {
        OffloadEngine engine = engine("launch-engine", 2, 16);
        try {
            int jobs = 2_000;
            List<Outcome<Long>> outcomes = new ArrayList<>();
            AtomicInteger fdsSeen = new AtomicInteger();
            AtomicInteger notOk = new AtomicInteger();
            for (int i = 0; i < jobs; i++) {
                long n = i;
                Outcome<Long> o = new Outcome<>();
                outcomes.add(o);
                AsyncJobs.launch(() -> {
                    long sum = 0;
                    for (int k = 0; k < 3; k++) {
                        long add = k;
                        sum += engine.call(() -> n * 10 + add);
                        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                        if (ctx.getFd(engine.key()) != null || !ctx.getAllFds().isEmpty()) {
                            fdsSeen.incrementAndGet();
                        }
                        if (ctx.getStatus() != WaitStatus.OK) {
                            notOk.incrementAndGet();
                        }
                    }
                    return sum;
                }, options, o);
            }
            for (int i = 0; i < jobs; i++) {
                assertThat(outcomes.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(i * 30L + 3);
            }
            assertThat(fdsSeen.get()).as("the callback path makes no fd").isZero();
            assertThat(notOk.get()).as("status OK after each call").isZero();
            assertThat(engine.queue().peak()).isLessThanOrEqualTo(16);
            assertThat(Threads.named("launch-engine-").size()).isEqualTo(2);
        } finally {
            closeEngine(engine);
        }
        awaitFds(fdBaseline);
    }

    @Test
    void fdPathThroughAnAsyncSelectorOnOneThread() throws Exception {
        OffloadEngine engine = engine("fdpath-engine", 2, 16);
        try {
            int jobs = 500;
            List<FdPathRunner<Integer>> runners = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                int n = i;
                FdPathRunner<Integer> r = new FdPathRunner<>(fdThread, AsyncSelector.shared(), () -> {
                    int sum = 0;
                    for (int k = 0; k < 3; k++) {
                        int add = k;
                        sum += engine.call(() -> n + add);
                        assertThat(AsyncJob.current().waitCtx().getAllFds()).as("one fd, reused").hasSize(1);
                    }
                    return sum;
                });
                runners.add(r);
                r.start();
            }
            for (int i = 0; i < jobs; i++) {
                assertThat(runners.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(3 * i + 3);
                assertThat(runners.get(i).ctx.isClosed()).isTrue();
            }
            assertThat(engine.queue().peak()).isLessThanOrEqualTo(16);
        } finally {
            closeEngine(engine);
        }
        awaitFds(fdBaseline);
    }

    @Test
    void spuriousCallbackThroughLaunchPausesAgainAndGetsTheRightValue() throws Exception {
        OffloadEngine engine = engine("spurious-engine", 1, 4);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        try {
            AtomicReference<AsyncWaitCtx> ctxRef = new AtomicReference<>();
            Outcome<String> o = new Outcome<>();
            AsyncJobs.launch(() -> {
                ctxRef.set(AsyncJob.current().waitCtx());
                return engine.call(() -> {
                    running.countDown();
                    assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                    return "right";
                });
            }, options, o);
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
        } finally {
            release.countDown();
            closeEngine(engine);
        }
    }

    @Test
    void deviceFullBacksUpIntoTheJobsNotAQueueOrThreads() throws Exception {
        OffloadEngine engine = engine("full-engine", 1, 1);
        int threadsBefore = Thread.activeCount();
        try {
            int jobs = 50;
            int calls = 3;
            List<Outcome<Integer>> outcomes = new ArrayList<>();
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
            for (int i = 0; i < jobs; i++) {
                int n = i;
                Outcome<Integer> o = new Outcome<>();
                outcomes.add(o);
                AsyncJobs.launch(() -> {
                    ctxs.add(AsyncJob.current().waitCtx());
                    int sum = 0;
                    for (int k = 0; k < calls; k++) {
                        sum += engine.call(() -> {
                            LockSupport.parkNanos(200_000); // the device is slower than the jobs
                            return n;
                        });
                    }
                    return sum;
                }, options, o);
            }
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
        } finally {
            closeEngine(engine);
        }
    }

    @Test
    void deviceFullOnTheFdPath() throws Exception {
        OffloadEngine engine = engine("fullfd-engine", 1, 1);
        try {
            int jobs = 50;
            List<FdPathRunner<Integer>> runners = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                int n = i;
                FdPathRunner<Integer> r = new FdPathRunner<>(fdThread, AsyncSelector.shared(), () -> {
                    int sum = 0;
                    for (int k = 0; k < 2; k++) {
                        sum += engine.call(() -> {
                            LockSupport.parkNanos(200_000);
                            return n;
                        });
                    }
                    return sum;
                });
                runners.add(r);
                r.start();
            }
            int resumes = 0;
            for (int i = 0; i < jobs; i++) {
                assertThat(runners.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(2 * i);
                resumes += runners.get(i).resumes.get();
            }
            assertThat(engine.queue().peak()).isEqualTo(1);
            assertThat(engine.queue().roomWaiters()).isZero();
            assertThat(resumes).as("no spinning on a full device").isLessThanOrEqualTo(jobs * 2 * 6);
        } finally {
            closeEngine(engine);
        }
        awaitFds(fdBaseline);
    }

    @Test
    void cancelWhileQueuedThroughLaunchWithdrawsTheWork() throws Exception {
        OffloadEngine engine = engine("cq-launch-engine", 1, 4);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            AtomicInteger ran = new AtomicInteger();
            Outcome<Boolean> blocker = new Outcome<>();
            AsyncJobs.launch(() -> engine.call(() -> {
                running.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }), options, blocker);
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
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
            Outcome<String> after = new Outcome<>();
            AsyncJobs.launch(() -> engine.call(() -> "after"), options, after);
            assertThat(after.future.get(30, TimeUnit.SECONDS)).isEqualTo("after");
            assertThat(ran.get()).as("the withdrawn work never ran").isZero();
        } finally {
            release.countDown();
            closeEngine(engine);
        }
    }

    @Test
    void cancelWhileRunningThroughLaunchFinishesTheJobAndDiscardsTheResult() throws Exception {
        OffloadEngine engine = engine("cr-launch-engine", 1, 4);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
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
            await("the job unlinked", () -> loops.liveJobs() == 0);
            release.countDown();
            await("the work ran to its end", workDone::get);
            Outcome<String> after = new Outcome<>();
            AsyncJobs.launch(() -> engine.call(() -> "after"), options, after);
            assertThat(after.future.get(30, TimeUnit.SECONDS)).isEqualTo("after");
        } finally {
            release.countDown();
            closeEngine(engine);
        }
    }

    @Test
    void cancelWhileWaitingForRoomLeavesTheRoomList() throws Exception {
        OffloadEngine engine = engine("cw-engine", 1, 1);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try {
            Outcome<Boolean> blocker = new Outcome<>();
            AsyncJobs.launch(() -> engine.call(() -> {
                running.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }), options, blocker);
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            Outcome<Integer> queued = new Outcome<>();
            AsyncJobs.launch(() -> engine.call(() -> 1), options, queued);
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
        } finally {
            release.countDown();
            closeEngine(engine);
        }
    }

    @Test
    void closingTheEngineFailsTheLaunchedJobsWaitingOnIt() throws Exception {
        OffloadEngine engine = engine("close-launch-engine", 1, 1);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Outcome<Boolean> first = new Outcome<>();
        AsyncJobs.launch(() -> engine.call(() -> {
            running.countDown();
            return release.await(30, TimeUnit.SECONDS);
        }), options, first);
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
        List<Outcome<Integer>> rest = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Outcome<Integer> o = new Outcome<>();
            rest.add(o);
            AsyncJobs.launch(() -> engine.call(() -> 1), options, o);
        }
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
