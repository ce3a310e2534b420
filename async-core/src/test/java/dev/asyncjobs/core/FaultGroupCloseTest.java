package dev.asyncjobs.core;

import static dev.asyncjobs.core.FaultLeakCheckTest.barrierOnEveryLoop;
import static dev.asyncjobs.core.FaultLeakCheckTest.launchEachPausedOnItsOwnFd;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A job loop group closed under load: 10,000 paused jobs, jobs waiting for a slot, launches racing
 * the close, a close from inside a job, two closes at once. Every job ends with exactly one terminal
 * signal (a started job finishes cancelled: its pause returns false), every ctx's cleanups run once,
 * no job is left live, the loop threads end and the fds return to their count before.
 */
@ExtendWith(NothingLeaked.class)
final class FaultGroupCloseTest {
    @Test
    void closingAGroupWith10000PausedJobsFinishesEachCancelledOnce() throws IOException {
        int n = 10_000;
        int ownFds = 1_000; // 2 fds each; the others share one pipe (a process may open 20,000 fds)
        Pipe shared = Pipe.open();
        shared.source().configureBlocking(false);
        JobLoopGroup group = FaultClosedFdTest.group(2, 0);
        try (HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<Integer>> probes = new ArrayList<>(n);
            byte[] sawCancel = new byte[n];
            for (int i = 0; i < n; i++) {
                Probe<Integer> p = new Probe<>();
                probes.add(p);
                int idx = i;
                AsyncJobs.launch(() -> {
                    AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                    if (idx < ownFds) {
                        WakeupFd fd = WakeupFd.open();
                        ctx.setWaitFd(p, fd.channel(), fd, p.cleanup());
                    } else {
                        ctx.setWaitFd(p, shared.source(), null, p.cleanup());
                    }
                    boolean resumed = AsyncJob.pause();
                    sawCancel[idx] = (byte) (!resumed && AsyncJob.current().isCancelled() ? 1 : 2);
                    return idx;
                }, opts, p);
            }
            barrierOnEveryLoop(group);
            assertThat(group.liveJobs()).isEqualTo(n);
            assertThat(probes).noneMatch(p -> p.terminals() > 0);

            group.close();

            assertThat(group.awaitTermination(Duration.ZERO)).as("close() waited for the threads").isTrue();
            Probe.assertAllDoneOnce(probes, 1);
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Probe<Integer> p = probes.get(i);
                if (sawCancel[i] != 1) {
                    bad.add("job " + i + " did not finish cancelled (" + sawCancel[i] + ")");
                } else if (p.successes.get() == 1 && !Integer.valueOf(i).equals(p.value)) {
                    bad.add("job " + i + " reported " + p.value);
                } else if (p.successes.get() == 0 && p.drops.get() == 0) {
                    bad.add("job " + i + ": " + p.describe());
                }
            }
            assertThat(bad).as("jobs resumed cancelled and reported their own outcome").isEmpty();
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertThat(hooks.errors).isEmpty();
        } finally {
            group.close();
            shared.source().close();
            shared.sink().close();
        }
    }

    @Test
    void closingAGroupFailsTheJobsWaitingForASlotAndLaterLaunches() {
        int max = 10;
        int n = 30;
        JobLoopGroup group = FaultClosedFdTest.group(1, max);
        try (HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            WakeupFd[] ran = new WakeupFd[n];
            List<Probe<String>> probes = launchEachPausedOnItsOwnFd(n, ran, (job, p) -> AsyncJobs.launch(job, opts, p));
            FaultLeakCheckTest.barrier(group.loop(0));
            assertThat(group.liveJobs()).as("running or waiting for a slot").isEqualTo(n);
            group.close();
            for (int i = 0; i < n; i++) {
                Probe<String> p = probes.get(i).await();
                if (i < max) {
                    assertThat(ran[i]).as("job %d ran", i).isNotNull();
                    assertThat(p.value).as("job %d: %s", i, p.describe()).isEqualTo("cancelled");
                    assertThat(p.cleanups).hasValue(1);
                } else {
                    assertThat(p.failures).as("waiter %d: %s", i, p.describe()).hasValue(1);
                    assertThat(p.error).isInstanceOf(RejectedExecutionException.class);
                    assertThat(p.cleanups).hasValue(0);
                }
            }
            Probe<String> late = new Probe<>();
            AsyncJobs.launch(() -> "never", opts, late);
            late.await();
            assertThat(late.failures).hasValue(1);
            assertThat(late.error).isInstanceOf(RejectedExecutionException.class);
            assertThat(Probe.problems(probes)).isEmpty();
            assertThat(late.terminals()).isEqualTo(1);
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertThat(hooks.errors).isEmpty();
        } finally {
            group.close();
        }
    }

    /**
     * Launches racing the close: whichever way each launch falls (started and cancelled, queued and
     * rejected, rejected at once), it gets exactly one terminal signal. Rounds of a fresh group, so
     * the close lands at many points of the launch stream.
     */
    @Test
    void launchesRacingTheCloseAreNeverLost() throws InterruptedException {
        for (int round = 0; round < 1_000; round++) {
            JobLoopGroup group = FaultClosedFdTest.group(1, round % 3 == 0 ? 4 : 0);
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<String>> probes = new CopyOnWriteArrayList<>();
            CountDownLatch started = new CountDownLatch(1);
            AtomicBoolean stop = new AtomicBoolean();
            Thread launcher = new Thread(() -> {
                for (int i = 0; i < 2_000 && !stop.get(); i++) {
                    Probe<String> p = new Probe<>();
                    probes.add(p);
                    boolean pause = (i & 1) == 0;
                    AsyncJobs.launch(() -> {
                        if (pause) {
                            WakeupFd fd = WakeupFd.open();
                            AsyncJob.current().waitCtx().setWaitFd(p, fd.channel(), fd, p.cleanup());
                            fd.signal();
                            AsyncJob.pause();
                        }
                        return "v";
                    }, opts, p);
                    started.countDown();
                }
            }, FaultClosedFdTest.uniqueName("fault-launcher"));
            launcher.start();
            started.await();
            for (int spin = ThreadLocalRandom.current().nextInt(2_000); spin > 0; spin--) {
                Thread.onSpinWait();
            }
            group.close();
            stop.set(true);
            launcher.join();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (Probe<String> p : probes) {
                if (!p.done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    throw new AssertionError("round " + round + ": a job launched while the group closed got no"
                            + " terminal signal (" + p.describe() + "), " + probes.size() + " launched");
                }
            }
            assertThat(Probe.problems(probes)).as("round %d", round).isEmpty();
            for (Probe<String> p : probes) {
                assertThat(p.cleanups.get()).as("round %d", round).isLessThanOrEqualTo(1);
            }
            FaultLeakCheckTest.awaitNoLiveJobs(group);
        }
    }

    /**
     * A job closes its own group: close() must not wait for the loop it runs on (with either
     * backend: with the virtual-thread backend the job does not run on the loop thread itself).
     */
    @Test
    void closingTheGroupFromInsideOneOfItsJobs() throws InterruptedException {
        JobLoopGroup group = FaultClosedFdTest.group(2, 0);
        JobOptions opts = JobOptions.builder().loops(group).build();
        List<Probe<String>> paused = launchEachPausedOnItsOwnFd(20, null, (job, p) -> AsyncJobs.launch(job, opts, p));
        barrierOnEveryLoop(group); // all 20 paused, each with a cleanup to run
        Probe<String> closer = new Probe<>();
        AsyncJobs.launch(() -> {
            group.close(); // must not wait for its own thread
            return "closed";
        }, opts, closer);
        boolean closed = closer.done.await(20, TimeUnit.SECONDS);
        assertThat(closed).as("close() from inside a job returned (a loop waiting for itself never ends)").isTrue();
        assertThat(closer.value).isEqualTo("closed");
        assertThat(group.awaitTermination(Duration.ofSeconds(20))).isTrue();
        Probe.assertAllDoneOnce(paused, 1);
        assertThat(paused).allMatch(p -> "cancelled".equals(p.value));
        FaultLeakCheckTest.awaitNoLiveJobs(group);
    }

    @Test
    void twoThreadsClosingAtOnce() throws InterruptedException {
        for (int round = 0; round < 50; round++) {
            JobLoopGroup group = FaultClosedFdTest.group(2, 0);
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<String>> probes = launchEachPausedOnItsOwnFd(50, null, (job, p) -> AsyncJobs.launch(job, opts, p));
            barrierOnEveryLoop(group); // all paused, so each has a cleanup to run
            CountDownLatch go = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                group.close();
            }, FaultClosedFdTest.uniqueName("fault-closer"));
            other.start();
            go.countDown();
            group.close();
            other.join();
            assertThat(group.awaitTermination(Duration.ZERO)).isTrue();
            Probe.assertAllDoneOnce(probes, 1);
            FaultLeakCheckTest.awaitNoLiveJobs(group);
        }
    }
}
