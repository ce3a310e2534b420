package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Hooks;

/** 10,000 paused Monos at once: all complete, and no fd, thread or job is left behind. */
class StressTest {
    private static final int JOBS = 10_000;

    @Test
    void tenThousandPausedMonosCompleteAndLeaveNothingBehind() throws Exception {
        // what the JDK opens once and keeps (the carrier threads of the virtual-thread backend, and an
        // fd the first Pipe.open() leaves open for good) must exist before the counting starts
        warmUp();
        List<Throwable> dropped = new CopyOnWriteArrayList<>();
        Hooks.onErrorDropped(dropped::add);
        try (TestSupport.HookErrors hook = new TestSupport.HookErrors()) {
            int fdsBefore = Fds.count();
            List<String> fdsBeforeList = Fds.targets();
            Set<Thread> threadsBefore = Threads.live();
            JobLoopGroup group = JobLoopGroup.builder().threads(2).name("stress").build();
            JobOptions options = JobOptions.builder().loops(group).build();
            Probe[] probes = new Probe[JOBS];
            CountDownLatch completed = new CountDownLatch(JOBS);
            AtomicLong sum = new AtomicLong();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                Probe p = probes[i] = new Probe();
                // even: waits on its own WakeupFd (a pipe, 2 fds); odd: woken through the ctx callback
                var job = i % 2 == 0 ? p.job((long) i) : p.callbackOnlyJob((long) i);
                AsyncMono.fromJob(job, options).subscribe(v -> {
                    sum.addAndGet(v);
                    completed.countDown();
                }, errors::add);
            }
            for (Probe p : probes) {
                p.awaitPaused();
            }
            TestSupport.await(() -> group.liveJobs() == JOBS, () -> "all paused: " + group.liveJobs());
            assertThat(Fds.count()).isGreaterThanOrEqualTo(fdsBefore + JOBS); // 5,000 pipes open
            assertThat(completed.getCount()).isEqualTo(JOBS);

            Thread fdSignaller = new Thread(() -> {
                for (int i = 0; i < JOBS; i += 2) {
                    probes[i].signalFd();
                }
            }, "fd-signaller");
            Thread caller = new Thread(() -> {
                for (int i = 1; i < JOBS; i += 2) {
                    probes[i].callBack();
                }
            }, "callback-caller");
            fdSignaller.start();
            caller.start();
            fdSignaller.join();
            caller.join();
            assertThat(completed.await(60, TimeUnit.SECONDS)).as("all Monos completed").isTrue();

            assertThat(errors).isEmpty();
            assertThat(sum.get()).isEqualTo((long) JOBS * (JOBS - 1) / 2);
            for (int i = 0; i < JOBS; i++) {
                assertThat(probes[i].resumes).as("resumes of job %d", i).hasValue(1);
                assertThat(probes[i].cleanups).as("cleanups of job %d", i).hasValue(i % 2 == 0 ? 1 : 0);
            }
            TestSupport.await(() -> group.liveJobs() == 0, () -> "no live jobs: " + group.liveJobs());
            group.close();
            Fds.awaitAtMost("stress; open before: " + fdsBeforeList, fdsBefore, Duration.ofSeconds(20));
            Threads.awaitNoneStartedSince("stress", threadsBefore, Threads.NONE, Duration.ofSeconds(20));
            assertThat(hook.errors).isEmpty();
            assertThat(dropped).isEmpty();
        } finally {
            Hooks.resetOnErrorDropped();
        }
    }

    private static void warmUp() throws Exception {
        try (JobLoopGroup g = JobLoopGroup.builder().threads(2).name("warm-up").build()) {
            JobOptions o = JobOptions.builder().loops(g).build();
            Probe[] ps = new Probe[200];
            CountDownLatch done = new CountDownLatch(ps.length);
            for (int i = 0; i < ps.length; i++) {
                ps[i] = new Probe();
                var job = i % 2 == 0 ? ps[i].job(i) : ps[i].callbackOnlyJob(i);
                AsyncMono.fromJob(job, o).subscribe(v -> done.countDown());
            }
            for (Probe p : ps) {
                p.awaitPaused();
                p.callBack();
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
