package dev.asyncjobs.core;

import static dev.asyncjobs.core.FaultLeakCheckTest.launchEachPausedOnItsOwnFd;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Pipes;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A wait fd closed under a paused job: the JDK cancels a closed channel's selection keys without any
 * event, so a naive selector would never wake the job. Each test closes fds (the whole
 * {@link WakeupFd}, or only the channel the job waits on) while jobs are paused, and checks that
 * every job is woken and ends with exactly one terminal signal, its cleanups run once, its slot is
 * freed, and no fd or thread is left.
 */
@ExtendWith(NothingLeaked.class)
final class FaultClosedFdTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    @Test
    void closingTheWaitFdsOfJobsPausedOnALoopWakesEveryOne() {
        int n = 300;
        try (JobLoopGroup group = group(1, 0)) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            WakeupFd[] fds = new WakeupFd[n];
            List<Probe<String>> probes = launchEachPausedOnItsOwnFd(n, fds, (job, p) -> AsyncJobs.launch(job, opts, p));
            FaultLeakCheckTest.barrier(group.loop(0)); // every job has paused with its fd armed
            assertThat(group.liveJobs()).isEqualTo(n);
            assertThat(probes).allMatch(p -> p.terminals() == 0);
            closeEach(fds);
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            assertThat(probes).allMatch(p -> p.successes.get() == 1 && "resumed".equals(p.value));
            FaultLeakCheckTest.awaitNoLiveJobs(group);
        }
    }

    @Test
    void closingTheWaitFdOfAJobOnAConfinedExecutorWakesIt() throws InterruptedException {
        int n = 100;
        ExecutorService confined = Executors.newSingleThreadExecutor(r -> new Thread(r, uniqueName("fault-confined")));
        try (AsyncSelector selector = AsyncSelector.open(uniqueName("fault-selector"))) {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(selector, 0)).build();
            WakeupFd[] fds = new WakeupFd[n];
            List<Probe<String>> probes = launchEachPausedOnItsOwnFd(n, fds,
                    (job, p) -> AsyncJobs.launch(job, opts, confined, p));
            FaultLeakCheckTest.barrier(confined);
            closeEach(fds);
            Probe.assertAllDoneOnce(probes, 1, confined);
            assertThat(probes).allMatch(p -> p.successes.get() == 1);
        } finally {
            confined.execute(AsyncJob::cleanupThread); // frees the thread's pool (see FaultThreadEndsTest)
            confined.shutdown();
            assertThat(confined.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void anFdAlreadyClosedWhenTheJobPausesWakesItAtOnce() throws IOException {
        try (JobLoopGroup group = group(1, 0)) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<Integer>> probes = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Probe<Integer> p = new Probe<>();
                probes.add(p);
                AsyncJobs.launch(() -> {
                    WakeupFd fd = WakeupFd.open();
                    fd.close();
                    AsyncJob.current().waitCtx().setWaitFd(this, fd.channel(), fd, p.cleanup());
                    int pauses = 0;
                    // a closed fd keeps waking the job: it must notice and stop waiting on it
                    while (AsyncJob.pause() && ++pauses < 3) {
                        assertThat(fd.channel().isOpen()).isFalse();
                    }
                    return pauses;
                }, opts, p);
            }
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            assertThat(probes).allMatch(p -> p.successes.get() == 1 && Integer.valueOf(3).equals(p.value));
            FaultLeakCheckTest.awaitNoLiveJobs(group);
        }
    }

    @Test
    void aWatchFiresOnceWhenItsFdIsClosed() throws Exception {
        try (AsyncSelector selector = AsyncSelector.open(uniqueName("fault-selector"))) {
            for (int round = 0; round < 100; round++) {
                AtomicInteger fired = new AtomicInteger();
                AsyncWaitCtx ctx = new AsyncWaitCtx();
                Pipe pipe = Pipe.open();
                pipe.source().configureBlocking(false);
                ctx.setWaitFd(this, pipe.source(), null, null);
                selector.watch(ctx, fired::incrementAndGet);
                pipe.source().close();
                Await.until("the watch to fire", Duration.ofSeconds(10), () -> fired.get() > 0);
                pipe.sink().close();
                ctx.close();
                assertThat(fired).hasValue(1);
            }
            // and the selector still works: a readable fd fires a new watch
            try (WakeupFd fd = WakeupFd.open()) {
                AsyncWaitCtx ctx = new AsyncWaitCtx();
                ctx.setWaitFd(this, fd.channel(), null, null);
                AtomicInteger fired = new AtomicInteger();
                selector.watch(ctx, fired::incrementAndGet);
                fd.signal();
                Await.until("a readable fd to fire", Duration.ofSeconds(10), () -> fired.get() == 1);
                ctx.close();
            }
        }
    }

    /**
     * An engine that closes the job's ctx itself while the job is paused (a buggy engine, or one
     * that tears down on error): the ctx's cleanups run then, once; the job must still be woken and
     * finished, not left paused until its group closes. The fd stays open (its cleanup only counts),
     * so nothing but the ctx's close can wake the job.
     */
    @Test
    void closingTheCtxOfAPausedJobWakesIt() {
        try (JobLoopGroup group = group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            for (int round = 0; round < 20; round++) {
                Probe<Boolean> p = new Probe<>();
                AsyncWaitCtx[] ctx = new AsyncWaitCtx[1];
                try (WakeupFd fd = WakeupFd.open()) {
                    AsyncJobs.launch(() -> {
                        ctx[0] = AsyncJob.current().waitCtx();
                        ctx[0].setWaitFd(this, fd.channel(), null, p.cleanup());
                        return AsyncJob.pause();
                    }, opts, p);
                    FaultLeakCheckTest.barrier(group.loop(0));
                    ctx[0].close();
                    assertThat(p.cleanups).hasValue(1);
                    Probe.assertAllDoneOnce(List.of(p), 1, group.loop(0));
                }
            }
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertThat(hooks.errors).isEmpty();
        }
    }

    /** Closes the even fds whole (both ends, as an engine shutting down would), the odd ones only the end the job waits on. */
    private static void closeEach(WakeupFd[] fds) {
        for (int i = 0; i < fds.length; i++) {
            if (i % 2 == 0) {
                fds[i].close();
            } else {
                Pipes.closeQuietly(fds[i].channel());
            }
        }
    }

    static JobLoopGroup group(int threads, int maxJobs) {
        return JobLoopGroup.builder().threads(threads).maxJobsPerLoop(maxJobs).name(uniqueName("fault-loop")).build();
    }

    static String uniqueName(String prefix) {
        return prefix + "-" + IDS.incrementAndGet();
    }

}
