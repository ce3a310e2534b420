package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import dev.asyncjobs.testsupport.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Thread interrupts at every stage: the loop thread (idle, and while jobs are paused on it), the
 * job's own thread (the job interrupts itself, or is interrupted while paused), the
 * {@link AsyncSelector}'s thread, the caller of {@link AsyncJob#start} (before, and while the job
 * runs), and the callers of {@link AsyncJobs#launch} and {@link JobLoopGroup#close()}. No job is
 * lost or resumed twice, the caller's interrupt flag is kept, and a stray interrupt does not turn
 * an idle loop or selector into a busy one.
 */
@ExtendWith(NothingLeaked.class)
final class FaultInterruptTest {
    @AfterEach
    void clearTheInterruptFlag() {
        Thread.interrupted(); // a test that failed half-way must not leave the flag to the next (nor to the leak check)
    }

    @Test
    void interruptingTheLoopThreadLosesNoJobAndDoesNotMakeItSpin() {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            Thread loopThread = loopThread(group.loop(0));
            List<Probe<Boolean>> probes = new ArrayList<>();
            List<WakeupFd> fds = new ArrayList<>();
            launchPaused(opts, 50, probes, fds);
            FaultLeakCheckTest.barrier(group.loop(0));

            loopThread.interrupt(); // while 50 jobs are paused on it
            assertIdle(loopThread, "the loop thread, jobs paused");
            for (WakeupFd fd : fds) {
                fd.signal();
            }
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            assertThat(probes).allMatch(p -> Boolean.TRUE.equals(p.value));

            loopThread.interrupt(); // idle, nothing paused
            assertIdle(loopThread, "the loop thread, idle");
            FaultUserCodeThrowsTest.assertLoopStillRuns(opts);
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertThat(hooks.errors).isEmpty();
        }
    }

    /**
     * A job interrupts the thread it runs on (the loop thread with the continuation backend, its own
     * virtual thread otherwise) and pauses: it is resumed normally, the loop does not spin, and the
     * other jobs of the loop keep running.
     */
    @Test
    void aJobThatInterruptsItsOwnThreadDoesNotBreakItsLoop() {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            Probe<Boolean> self = new Probe<>();
            WakeupFd[] fd = new WakeupFd[1];
            AsyncJobs.launch(() -> {
                fd[0] = WakeupFd.open();
                AsyncJob.current().waitCtx().setWaitFd(self, fd[0].channel(), fd[0], self.cleanup());
                Thread.currentThread().interrupt();
                boolean resumed = AsyncJob.pause();
                Thread.interrupted(); // the job clears what it set
                return resumed;
            }, opts, self);
            FaultLeakCheckTest.barrier(group.loop(0));
            assertIdle(loopThread(group.loop(0)), "a loop whose job interrupted itself");
            List<Probe<Boolean>> others = new ArrayList<>();
            List<WakeupFd> fds = new ArrayList<>();
            launchPaused(opts, 20, others, fds);
            FaultLeakCheckTest.barrier(group.loop(0));
            fds.forEach(WakeupFd::signal);
            fd[0].signal();
            Probe.assertAllDoneOnce(others, 1, group.loop(0));
            Probe.assertAllDoneOnce(List.of(self), 1, group.loop(0));
            assertThat(self.value).isTrue();
            assertThat(others).allMatch(p -> Boolean.TRUE.equals(p.value));
            assertThat(hooks.errors).isEmpty();
        }
    }

    /** The thread a paused job belongs to is interrupted while the job waits: it resumes once, normally. */
    @Test
    void interruptingThePausedJobsThreadResumesItOnlyWhenItsFdIsReady() {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0)) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            for (int round = 0; round < 100; round++) {
                Probe<Boolean> p = new Probe<>();
                AtomicReference<Thread> jobThread = new AtomicReference<>();
                AtomicInteger segments = new AtomicInteger();
                WakeupFd[] fd = new WakeupFd[1];
                AsyncJobs.launch(() -> {
                    fd[0] = WakeupFd.open();
                    AsyncJob.current().waitCtx().setWaitFd(p, fd[0].channel(), fd[0], p.cleanup());
                    jobThread.set(Thread.currentThread());
                    segments.incrementAndGet();
                    boolean resumed = AsyncJob.pause();
                    segments.incrementAndGet();
                    Thread.interrupted();
                    return resumed;
                }, opts, p);
                FaultLeakCheckTest.barrier(group.loop(0));
                jobThread.get().interrupt();
                FaultLeakCheckTest.barrier(group.loop(0));
                assertThat(p.terminals()).as("an interrupt is not a wake-up").isZero();
                assertThat(segments).hasValue(1);
                fd[0].signal();
                Probe.assertAllDoneOnce(List.of(p), 1, group.loop(0));
                assertThat(p.value).isTrue();
                assertThat(segments).hasValue(2);
            }
            FaultLeakCheckTest.awaitNoLiveJobs(group);
        }
    }

    @Test
    void interruptingTheSelectorThreadLosesNoWatchAndDoesNotMakeItSpin() throws Exception {
        try (AsyncSelector selector = AsyncSelector.open(FaultClosedFdTest.uniqueName("fault-selector"));
                HookRecorder hooks = new HookRecorder()) {
            Thread t = selector.thread();
            try (WakeupFd fd = WakeupFd.open(); AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                ctx.setWaitFd(this, fd.channel(), null, null);
                CountDownLatch fired = new CountDownLatch(1);
                selector.watch(ctx, fired::countDown);
                t.interrupt();
                assertIdle(t, "the selector thread, a watch armed");
                assertThat(fired.getCount()).isEqualTo(1);
                fd.signal();
                assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
            }
            t.interrupt();
            assertIdle(t, "the selector thread, idle");
            assertThat(hooks.errors).isEmpty();
        }
    }

    @Test
    void anInterruptedCallerOfStartKeepsItsFlagAndTheJobRunsNormally() throws Exception {
        FaultUserCodeThrowsTest.runOnNewThread(() -> {
            try {
                for (int round = 0; round < 200; round++) {
                    JobHandle<String> h = new JobHandle<>();
                    try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                        Thread.currentThread().interrupt();
                        StartStatus s = AsyncJob.start(h, ctx, () -> {
                            boolean first = AsyncJob.pause();
                            return first + "/" + AsyncJob.pause();
                        });
                        assertThat(s).isEqualTo(StartStatus.PAUSE);
                        assertThat(Thread.currentThread().isInterrupted()).as("flag kept after PAUSE").isTrue();
                        assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                        assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                        assertThat(h.result()).isEqualTo("true/true");
                        assertThat(Thread.interrupted()).as("flag kept after FINISH").isTrue();
                    }
                }
            } finally {
                AsyncJob.cleanupThread();
            }
        });
    }

    /** The caller is interrupted from outside while the job's segment runs (a hand-off in progress). */
    @Test
    void interruptingTheCallerWhileTheJobRunsDoesNotCutTheSegmentShort() throws Exception {
        AtomicReference<Thread> caller = new AtomicReference<>();
        AtomicBoolean inSegment = new AtomicBoolean();
        Thread interrupter = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                Thread c = caller.get();
                if (c != null && inSegment.get()) {
                    c.interrupt();
                }
                Thread.onSpinWait();
            }
        }, FaultClosedFdTest.uniqueName("fault-interrupter"));
        interrupter.start();
        try {
            FaultUserCodeThrowsTest.runOnNewThread(() -> {
                caller.set(Thread.currentThread());
                try {
                    for (int round = 0; round < 200; round++) {
                        JobHandle<Integer> h = new JobHandle<>();
                        AtomicInteger done = new AtomicInteger();
                        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                            StartStatus s = AsyncJob.start(h, ctx, () -> {
                                for (int seg = 0; seg < 3; seg++) {
                                    inSegment.set(true);
                                    long until = System.nanoTime() + 200_000; // 0.2 ms of work
                                    while (System.nanoTime() < until) {
                                        Thread.onSpinWait();
                                    }
                                    inSegment.set(false);
                                    done.incrementAndGet();
                                    AsyncJob.pause();
                                }
                                return done.get();
                            });
                            int pauses = 0;
                            while (s == StartStatus.PAUSE) {
                                assertThat(done.get()).as("start returned only after the segment ran").isEqualTo(++pauses);
                                s = AsyncJob.start(h, ctx, null);
                            }
                            assertThat(s).isEqualTo(StartStatus.FINISH);
                            assertThat(h.result()).isEqualTo(3);
                            Thread.interrupted();
                        }
                    }
                } finally {
                    caller.set(null);
                    Thread.interrupted();
                    AsyncJob.cleanupThread();
                }
            });
        } finally {
            interrupter.interrupt();
            interrupter.join();
        }
    }

    @Test
    void anInterruptedCallerOfLaunchAndCloseKeepsItsFlagAndNothingIsLost() throws InterruptedException {
        JobLoopGroup group = FaultClosedFdTest.group(2, 0);
        List<Probe<Boolean>> probes = new ArrayList<>();
        List<WakeupFd> fds = new ArrayList<>();
        try {
            JobOptions opts = JobOptions.builder().loops(group).build();
            Thread.currentThread().interrupt();
            launchPaused(opts, 100, probes, fds);
            assertThat(Thread.interrupted()).as("launch kept the flag").isTrue();
            for (int i = 0; i < group.size(); i++) {
                FaultLeakCheckTest.barrier(group.loop(i)); // all 100 paused
            }
            Thread.currentThread().interrupt();
            group.close(); // cannot wait while interrupted: returns at once, flag kept
            assertThat(Thread.interrupted()).as("close() kept the flag").isTrue();
            assertThat(group.awaitTermination(Duration.ofSeconds(20))).isTrue();
            Probe.assertAllDoneOnce(probes, 1);
            FaultLeakCheckTest.awaitNoLiveJobs(group);
        } finally {
            Thread.interrupted();
            group.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Launches {@code n} jobs that pause on their own fd and return what the pause returned. */
    static void launchPaused(JobOptions opts, int n, List<Probe<Boolean>> probes, List<WakeupFd> fds) {
        for (int i = 0; i < n; i++) {
            Probe<Boolean> p = new Probe<>();
            WakeupFd fd = WakeupFd.open();
            probes.add(p);
            fds.add(fd);
            AsyncJobs.launch(() -> {
                AsyncJob.current().waitCtx().setWaitFd(p, fd.channel(), fd, p.cleanup());
                return AsyncJob.pause();
            }, opts, p);
        }
    }

    static Thread loopThread(JobLoop loop) {
        AtomicReference<Thread> t = new AtomicReference<>();
        CountDownLatch l = new CountDownLatch(1);
        loop.execute(() -> {
            t.set(Thread.currentThread());
            l.countDown();
        });
        try {
            assertThat(l.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return t.get();
    }

    /**
     * An idle event thread blocks in its selector: over a 300 ms window it must use well under a
     * fifth of a core (it uses none when blocked; a thread whose select returns at once because its
     * interrupt flag is set uses most of one, measured here at 40-100%).
     */
    static void assertIdle(Thread t, String what) {
        // While its interrupt flag is set, every Selector.select of the thread returns at once (JDK
        // behaviour): an event thread must consume a stray interrupt or it spins forever. That is
        // checked first because it is deterministic; the CPU window then catches any other spin.
        Await.until(what + " to clear a stray interrupt (else its select returns at once"
                + " and it spins)", Duration.ofSeconds(2), () -> !t.isInterrupted());
        long cpu0 = cpuNanos(t);
        long wall0 = System.nanoTime();
        FaultLeakCheckTest.sleepMillis(300);
        long cpu = cpuNanos(t) - cpu0;
        long wall = System.nanoTime() - wall0;
        assertThat(cpu).as("%s used %d ms of CPU in %d ms idle", what, cpu / 1_000_000, wall / 1_000_000)
                .isLessThan(wall / 5);
    }

    /** The thread's CPU time, through the ThreadMXBean (reflectively: the test module does not read java.management). */
    static long cpuNanos(Thread t) {
        try {
            Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
            Object mx = factory.getMethod("getThreadMXBean").invoke(null);
            Class<?> type = Class.forName("java.lang.management.ThreadMXBean");
            return (long) type.getMethod("getThreadCpuTime", long.class).invoke(mx, t.threadId());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
