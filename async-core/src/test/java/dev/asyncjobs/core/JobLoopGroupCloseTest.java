package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link JobLoopGroup#close()}: paused jobs are resumed cancelled and run to their end (their
 * ctxs close once, their slots free), each observer is told once, and the loop threads end;
 * launches after close are rejected. Nothing is left behind: threads, fds.
 */
@Timeout(60)
class JobLoopGroupCloseTest {

    @Test
    void closeCancelsPausedJobsLetsEachFinishAndEndsTheThreads() {
        int baseline = CoreTestSupport.fdBaseline();
        String name = CoreTestSupport.uniqueName("jl-close");
        JobLoopGroup group = JobLoopGroup.builder().threads(2).name(name).build();
        assertThat(Threads.named(name)).hasSize(2);
        JobOptions opts = JobOptions.builder().loops(group).build();
        int jobs = 6;
        List<String> jobEnds = new CopyOnWriteArrayList<>();
        List<RecordingObserver<String>> obs = new ArrayList<>();
        List<AtomicInteger> cleanups = new ArrayList<>();
        CountDownLatch allPausing = new CountDownLatch(jobs);
        for (int i = 0; i < jobs; i++) {
            AtomicInteger cleanup = new AtomicInteger();
            cleanups.add(cleanup);
            RecordingObserver<String> o = new RecordingObserver<>(cleanup::get);
            obs.add(o);
            int id = i;
            AsyncJobs.launch(() -> {
                WakeupFd fd = WakeupFd.open(); // never signalled
                AsyncJob.current().waitCtx().setWaitFd("k", fd.channel(), fd, (c, k, ch, d) -> {
                    cleanup.incrementAndGet();
                    ((WakeupFd) d).close();
                });
                allPausing.countDown();
                boolean paused = AsyncJob.pause();
                boolean later = AsyncJob.pause();
                String end = "job " + id + " pause " + paused + " later " + later + " cancelled "
                        + AsyncJob.current().isCancelled();
                jobEnds.add(end);
                return end;
            }, opts, o);
        }
        CoreTestSupport.await(allPausing, "all jobs to pause");
        CoreTestSupport.await("all jobs live", Duration.ofSeconds(10), () -> group.liveJobs() == jobs);

        group.close();

        assertThat(group.isClosed()).isTrue();
        assertThat(group.awaitTermination(Duration.ZERO)).isTrue();
        assertThat(jobEnds).hasSize(jobs).allMatch(e -> e.endsWith("pause false later false cancelled true"));
        for (int i = 0; i < jobs; i++) {
            RecordingObserver.Call c = obs.get(i).only();
            assertThat(c.probe()).as("job %d: ctx closed before its observer", i).isEqualTo(1);
            assertThat(cleanups.get(i)).hasValue(1);
            assertThat(c.thread().getName()).startsWith(name);
        }
        assertThat(group.liveJobs()).isZero();
        CoreTestSupport.assertNoThreadsLeft(name);

        // launches after close are rejected, and the func never runs
        RecordingObserver<String> late = new RecordingObserver<>();
        AtomicInteger lateRuns = new AtomicInteger();
        JobTicket t = AsyncJobs.launch(() -> "late " + lateRuns.incrementAndGet(), opts, late);
        RecordingObserver.Call c = late.await();
        assertThat(c.kind()).isEqualTo("failure");
        assertThat(c.error()).isInstanceOf(RejectedExecutionException.class);
        assertThat(lateRuns).hasValue(0);
        assertThat(t.isDone()).isTrue();
        group.close(); // idempotent
        CoreTestSupport.assertFdsBackTo(baseline);
    }

    @Test
    void closeOfAnIdleGroupEndsItsThreadsAndReleasesItsFds() {
        int baseline = CoreTestSupport.fdBaseline();
        String name = CoreTestSupport.uniqueName("jl-idle-close");
        JobLoopGroup group = JobLoopGroup.builder().threads(3).name(name).daemon(false).build();
        assertThat(group.size()).isEqualTo(3);
        List<Thread> threads = Threads.named(name);
        assertThat(threads).hasSize(3).noneMatch(Thread::isDaemon);
        RecordingObserver<Integer> o = new RecordingObserver<>();
        AsyncJobs.launch(() -> 1, JobOptions.builder().loops(group).build(), o);
        assertThat(o.await().value()).isEqualTo(1);
        group.close();
        CoreTestSupport.assertNoThreadsLeft(name);
        CoreTestSupport.assertFdsBackTo(baseline);
    }

    @Test
    void theSharedGroupIgnoresClose() {
        JobLoopGroup shared = JobLoopGroup.shared();
        assertThat(JobLoopGroup.shared()).isSameAs(shared);
        shared.close();
        assertThat(shared.isClosed()).isFalse();
        assertThat(shared.size()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(shared.loop(0).name()).startsWith("asyncjobs-loop-");
        RecordingObserver<String> o = new RecordingObserver<>();
        AsyncJobs.launch(() -> "shared", JobOptions.defaults(), o);
        assertThat(o.await().value()).isEqualTo("shared");
        assertThat(o.await().thread().getName()).startsWith("asyncjobs-loop-");
    }
}
