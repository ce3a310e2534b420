package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The user's thread goes away under its jobs: a thread-confined executor that ran jobs is shut down
 * (a Reactor or RxJava scheduler disposed, an application's own executor stopped), after its jobs
 * finished, or while one is paused on it. Nothing may be left behind and no job may be left without
 * its terminal signal.
 */
@ExtendWith(NothingLeaked.class)
final class FaultThreadEndsTest {
    /**
     * A thread that ran jobs ends without calling {@link AsyncJob#cleanupThread()} (nobody calls it
     * on a scheduler's threads). Its pool's idle jobs must not outlive it: with the virtual-thread
     * backend each idle job is a parked virtual thread, which the leak check counts. (OpenSSL 3
     * frees a thread's async state when the thread stops.)
     */
    @Test
    void aThreadThatRanJobsEndsWithoutCleanupAndLeavesNoJobThreadBehind() throws InterruptedException {
        ExecutorService confined = Executors.newSingleThreadExecutor(
                r -> new Thread(r, FaultClosedFdTest.uniqueName("fault-confined")));
        try (AsyncSelector selector = AsyncSelector.open(FaultClosedFdTest.uniqueName("fault-selector"))) {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(selector, 0)).build();
            List<Probe<Boolean>> probes = new ArrayList<>();
            List<WakeupFd> fds = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                Probe<Boolean> p = new Probe<>();
                WakeupFd fd = WakeupFd.open();
                probes.add(p);
                fds.add(fd);
                AsyncJobs.launch(() -> {
                    AsyncJob.current().waitCtx().setWaitFd(p, fd.channel(), fd, p.cleanup());
                    return AsyncJob.pause();
                }, opts, confined, p);
            }
            FaultLeakCheckTest.barrier(confined); // 50 paused: the thread's pool made 50 jobs
            fds.forEach(WakeupFd::signal);
            Probe.assertAllDoneOnce(probes, 1, confined);
        } finally {
            confined.shutdown();
            assertThat(confined.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The user's executor is shut down while a job is paused on it: the resume cannot run on the
     * job's thread any more. Nothing can finish the job there, but its observer must still hear
     * once that it failed, rather than wait forever.
     */
    @Test
    void anExecutorThatRejectsTheResumeStillEndsTheJobWithOneTerminalSignal() throws InterruptedException {
        try (AsyncSelector selector = AsyncSelector.open(FaultClosedFdTest.uniqueName("fault-selector"));
                HookRecorder hooks = new HookRecorder()) {
            ExecutorService confined = Executors.newSingleThreadExecutor(
                    r -> new Thread(r, FaultClosedFdTest.uniqueName("fault-confined")));
            Probe<String> p = new Probe<>();
            WakeupFd[] fd = new WakeupFd[1];
            AsyncJobs.launch(() -> {
                fd[0] = WakeupFd.open();
                AsyncJob.current().waitCtx().setWaitFd(this, fd[0].channel(), fd[0], p.cleanup());
                AsyncJob.pause();
                return "v";
            }, JobOptions.builder().placement(JobPlacement.confined(selector, 0)).build(), confined, p);
            FaultLeakCheckTest.barrier(confined);
            confined.shutdown();
            assertThat(confined.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            fd[0].signal();
            p.await();
            assertThat(p.terminals()).isEqualTo(1);
            assertThat(p.failures).as(p.describe()).hasValue(1);
            assertThat(p.error).isInstanceOf(RejectedExecutionException.class);
            assertThat(p.cleanups).hasValue(1);
            assertThat(hooks.errors).as("the failure went to the observer, not to the hook").doesNotContain(p.error);
        }
    }
}
