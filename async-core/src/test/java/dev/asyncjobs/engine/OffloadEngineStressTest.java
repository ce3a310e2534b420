package dev.asyncjobs.engine;

import static dev.asyncjobs.engine.OffloadEngineTestKit.await;
import static dev.asyncjobs.engine.OffloadEngineTestKit.awaitFds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.StartStatus;
import dev.asyncjobs.engine.OffloadEngineTestKit.FdPathRunner;
import dev.asyncjobs.engine.OffloadEngineTestKit.Outcome;
import dev.asyncjobs.testsupport.Fds;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Races in loops: completion vs cancel on both wake-up paths, and interrupts of device threads. */
class OffloadEngineStressTest {
    private final List<Throwable> hookErrors = new CopyOnWriteArrayList<>();
    private JobLoopGroup loops;
    private JobOptions options;
    private ExecutorService fdThread;
    private OffloadEngine engine;
    private int fdBaseline;

    @BeforeEach
    void setUp() {
        AsyncHooks.setOnError(hookErrors::add);
        loops = JobLoopGroup.builder().threads(2).name("stress-loop").build();
        options = JobOptions.builder().loops(loops).build();
        fdThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "stress-fd-driver"));
        AsyncSelector.shared();
        Fds.warmUpNio();
        engine = OffloadEngine.builder().name("stress-engine").threads(2).queueCapacity(4).build();
        fdBaseline = Fds.count();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        fdThread.shutdown();
        assertThat(fdThread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        // a job counts live until just after its observer was told: let the last ones unlink
        OffloadEngineTestKit.await("no live jobs", () -> loops.liveJobs() == 0);
        assertThat(engine.queued()).isZero();
        assertThat(engine.queue().roomWaiters()).isZero();
        engine.close();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
        loops.close();
        awaitFds(fdBaseline);
        AsyncHooks.resetOnError();
        assertThat(hookErrors).isEmpty();
    }

    private static void spin(int micros) {
        long end = System.nanoTime() + micros * 1_000L;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    @Test
    void completionRacesCancelThroughLaunch() throws Exception {
        int rounds = 4_000;
        int batch = 40;
        AtomicIntegerArray runs = new AtomicIntegerArray(rounds);
        int succeeded = 0;
        int dropped = 0;
        for (int base = 0; base < rounds; base += batch) {
            List<Outcome<Integer>> outcomes = new ArrayList<>();
            List<JobTicket> tickets = launchBatch(engine, base, batch, outcomes, n -> {
                runs.incrementAndGet(n);
                spin(ThreadLocalRandom.current().nextInt(30));
                return n;
            });
            for (JobTicket t : tickets) {
                spin(ThreadLocalRandom.current().nextInt(5));
                if (ThreadLocalRandom.current().nextBoolean()) {
                    t.cancel();
                }
            }
            for (int i = 0; i < batch; i++) {
                Outcome<Integer> o = outcomes.get(i);
                int n = base + i;
                try {
                    assertThat(o.future.get(30, TimeUnit.SECONDS)).isEqualTo(n);
                    assertThat(runs.get(n)).isEqualTo(1);
                    succeeded++;
                } catch (ExecutionException e) {
                    assertThat(o.wasDropped).isTrue();
                    if (o.droppedValue != null) {
                        // cancelled after the job returned, before it was reported: the value is whole
                        assertThat(o.droppedValue).isEqualTo(n);
                        assertThat(runs.get(n)).isEqualTo(1);
                    } else if (o.dropped == null) {
                        assertThat(runs.get(n)).as("cancelled before it started").isZero();
                    } else {
                        assertThat(o.dropped).isInstanceOf(CancellationException.class);
                        assertThat(runs.get(n)).isLessThanOrEqualTo(1);
                    }
                    dropped++;
                }
            }
        }
        assertThat(succeeded + dropped).isEqualTo(rounds);
        assertThat(succeeded).isPositive();
        assertThat(dropped).isPositive();
        assertThat(engine.queue().peak()).isLessThanOrEqualTo(4);
    }

    @Test
    void completionRacesCancelOnTheFdPath() throws Exception {
        int rounds = 3_000;
        int batch = 30;
        int succeeded = 0;
        int cancelled = 0;
        for (int base = 0; base < rounds; base += batch) {
            List<FdPathRunner<Integer>> runners = new ArrayList<>();
            for (int i = base; i < base + batch; i++) {
                int n = i;
                FdPathRunner<Integer> r = new FdPathRunner<>(fdThread, AsyncSelector.shared(),
                        () -> engine.call(() -> {
                            spin(ThreadLocalRandom.current().nextInt(30));
                            return n;
                        }) + engine.call(() -> 0));
                runners.add(r);
                r.start();
            }
            for (FdPathRunner<Integer> r : runners) {
                spin(ThreadLocalRandom.current().nextInt(5));
                if (ThreadLocalRandom.current().nextBoolean()) {
                    r.cancel();
                }
            }
            for (int i = 0; i < batch; i++) {
                try {
                    assertThat(runners.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(base + i);
                    succeeded++;
                } catch (CancellationException e) {
                    // the job threw the engine's CancellationException (the future rethrows it as is)
                    assertThat(e.getCause()).isInstanceOf(CancellationException.class)
                            .hasMessage("the job was cancelled");
                    cancelled++;
                }
                assertThat(runners.get(i).ctx.isClosed()).isTrue();
            }
        }
        assertThat(succeeded + cancelled).isEqualTo(rounds);
        assertThat(succeeded).isPositive();
        assertThat(cancelled).isPositive();
    }

    @Test
    void roomHandOffRacesCancelOnAOneSlotDevice() throws Exception {
        OffloadEngine tiny = OffloadEngine.builder().name("stress-tiny").threads(2).queueCapacity(1).build();
        try {
            int rounds = 3_000;
            int batch = 60;
            int ok = 0;
            for (int base = 0; base < rounds; base += batch) {
                List<Outcome<Integer>> outcomes = new ArrayList<>();
                List<JobTicket> tickets = launchBatch(tiny, base, batch, outcomes, n -> {
                    spin(ThreadLocalRandom.current().nextInt(10));
                    return n;
                });
                for (JobTicket t : tickets) {
                    if (ThreadLocalRandom.current().nextInt(3) == 0) {
                        spin(ThreadLocalRandom.current().nextInt(5));
                        t.cancel();
                    }
                }
                for (int i = 0; i < batch; i++) {
                    Outcome<Integer> o = outcomes.get(i);
                    try {
                        assertThat(o.future.get(30, TimeUnit.SECONDS)).isEqualTo(base + i);
                        ok++;
                    } catch (ExecutionException e) {
                        assertThat(o.wasDropped).as("only cancelled jobs fail").isTrue();
                    }
                }
                assertThat(tiny.queue().roomWaiters()).isZero();
                assertThat(tiny.queued()).isZero();
            }
            assertThat(ok).isPositive();
            assertThat(tiny.queue().peak()).isEqualTo(1);
        } finally {
            tiny.close();
            assertThat(tiny.awaitTermination(Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void closeRacesSubmissionsAndRoomWaitersWithoutStrandingAJob() throws Exception {
        for (int round = 0; round < 300; round++) {
            OffloadEngine e = OffloadEngine.builder().name("stress-close").threads(1).queueCapacity(1).build();
            List<Outcome<Integer>> outcomes = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int n = i;
                Outcome<Integer> o = new Outcome<>();
                outcomes.add(o);
                AsyncJobs.launch(() -> e.call(() -> {
                    spin(5);
                    return n;
                }), options, o);
            }
            spin(ThreadLocalRandom.current().nextInt(100));
            e.close();
            for (int i = 0; i < outcomes.size(); i++) {
                try {
                    assertThat(outcomes.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(i);
                } catch (ExecutionException ex) {
                    assertThat(ex.getCause()).isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
                }
            }
            assertThat(e.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThat(e.queue().roomWaiters()).isZero();
        }
    }

    @Test
    void lateCompletionsOnAReusedCtxNeverLeakIntoTheNextCall() throws Exception {
        // One ctx, one job after the other on this thread; each job is cancelled while its work
        // may be queued, running or done, and the next job's call must still get its own value.
        int rounds = 5_000;
        int cancelled = 0;
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            for (int i = 0; i < rounds; i++) {
                int n = i;
                JobHandle<Integer> h = new JobHandle<>();
                StartStatus st = AsyncJob.start(h, ctx, () -> engine.call(() -> {
                    spin(ThreadLocalRandom.current().nextInt(20));
                    return n;
                }));
                if (st == StartStatus.PAUSE) {
                    spin(ThreadLocalRandom.current().nextInt(20));
                    h.cancel();
                    st = AsyncJob.start(h, ctx, null);
                }
                assertThat(st).isEqualTo(StartStatus.FINISH);
                if (h.failure() != null) {
                    assertThat(h.failure()).isInstanceOf(CancellationException.class);
                    cancelled++;
                } else {
                    assertThat(h.result()).isEqualTo(n);
                }
                // a normal call on the same ctx right after: late signals are drained or ignored
                JobHandle<Integer> next = OffloadEngineTestKit.driveWithSelect(ctx,
                        () -> engine.call(() -> -n), null);
                assertThat(next.failure()).isNull();
                assertThat(next.result()).isEqualTo(-n);
                assertThat(ctx.getAllFds()).hasSize(1);
            }
        }
        assertThat(cancelled).isPositive();
    }

    @Test
    void interruptsOfDeviceThreadsLoseNoCompletion() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger interrupts = new AtomicInteger();
        Thread interrupter = new Thread(() -> {
            Thread[] device = engine.deviceThreads();
            while (!stop.get()) {
                for (Thread t : device) {
                    t.interrupt();
                    interrupts.incrementAndGet();
                }
                Thread.onSpinWait();
            }
        }, "stress-interrupter");
        interrupter.start();
        AtomicInteger fdChanged = new AtomicInteger();
        try {
            int jobs = 1_500;
            List<Outcome<Integer>> launched = new ArrayList<>();
            List<FdPathRunner<Integer>> fdJobs = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                int n = i;
                Outcome<Integer> o = new Outcome<>();
                launched.add(o);
                AsyncJobs.launch(() -> engine.call(() -> n) + engine.call(() -> n), options, o);
                FdPathRunner<Integer> r = new FdPathRunner<>(fdThread, AsyncSelector.shared(), () -> {
                    int sum = 0;
                    SelectableChannel first = null;
                    for (int k = 0; k < 3; k++) {
                        sum += engine.call(() -> n);
                        SelectableChannel now = AsyncJob.current().waitCtx().getAllFds().get(0);
                        if (first != null && (now != first || !now.isOpen())) {
                            fdChanged.incrementAndGet(); // an interrupt closed the pipe under a write
                        }
                        first = now;
                    }
                    return sum;
                });
                fdJobs.add(r);
                r.start();
            }
            for (int i = 0; i < jobs; i++) {
                assertThat(launched.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(2 * i);
                assertThat(fdJobs.get(i).future.get(30, TimeUnit.SECONDS)).isEqualTo(3 * i);
            }
        } finally {
            stop.set(true);
            interrupter.join();
        }
        assertThat(interrupts.get()).isPositive();
        // the device threads are the same ones, alive, and clear their interrupts before work
        assertThat(engine.deviceThreads()).allSatisfy(t -> assertThat(t.isAlive()).isTrue());
        await("the device is idle", () -> engine.queued() == 0);
        assertThat(fdChanged.get()).as("each job kept its one open wake-up fd").isZero();
    }

    /** Launches jobs {@code base .. base + batch - 1}, each one engine call of {@code work}; outcomes in order. */
    private List<JobTicket> launchBatch(OffloadEngine on, int base, int batch, List<Outcome<Integer>> outcomes,
            IntUnaryOperator work) {
        List<JobTicket> tickets = new ArrayList<>();
        for (int i = base; i < base + batch; i++) {
            int n = i;
            Outcome<Integer> o = new Outcome<>();
            outcomes.add(o);
            tickets.add(AsyncJobs.launch(() -> on.call(() -> work.applyAsInt(n)), options, o));
        }
        return tickets;
    }
}
