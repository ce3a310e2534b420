package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import dev.asyncjobs.core.FaultUserCodeThrowsTest.Fault;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An {@link OffloadEngine} whose device threads fail: work that throws (a real stack overflow
 * included), a job's wake-up callback that throws on the device thread, device threads that are
 * interrupted, and a device that hangs (every device thread stuck in work that never returns, the
 * nearest a Java thread comes to dying under a job) and is then closed. Each job gets exactly one
 * terminal signal, its cleanups run once, its slot is freed, the device threads keep serving (all
 * {@code N} of them at once) and end after {@link OffloadEngine#close()}, and no fd is left.
 */
@ExtendWith(NothingLeaked.class)
final class FaultEngineTest {
    @ParameterizedTest
    @EnumSource(Fault.class)
    void workThatThrowsFailsOnlyItsCallAndEveryDeviceThreadGoesOn(Fault fault) throws Exception {
        OffloadEngine engine = engine(2, 8);
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<String>> probes = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Probe<String> p = new Probe<>();
                probes.add(p);
                AsyncJobs.launch(() -> {
                    WakeupFd fd = WakeupFd.open();
                    AsyncJob.current().waitCtx().setWaitFd(p, fd.channel(), fd, p.cleanup());
                    return engine.call(() -> {
                        fault.fire();
                        return "unreachable";
                    });
                }, opts, p);
            }
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            for (Probe<String> p : probes) {
                assertThat(p.failures).as(p.describe()).hasValue(1);
                assertThat(fault.matches(p.error, p.error)).isTrue();
                if (fault != Fault.STACK_OVERFLOW) {
                    assertThat(p.error.getMessage()).startsWith("injected");
                }
            }
            assertAllDeviceThreadsServe(engine, opts);
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertThat(hooks.errors).isEmpty();
        } finally {
            closeAndAwait(engine);
        }
    }

    /**
     * A raw job whose own ctx callback throws when the device wakes it: the error goes to the hook,
     * the device thread goes on, and the owner still finds the job ready when it resumes it.
     */
    @ParameterizedTest
    @EnumSource(Fault.class)
    void aWakeCallbackThatThrowsOnTheDeviceThreadDoesNotStopTheDevice(Fault fault) throws Exception {
        OffloadEngine engine = engine(2, 8);
        try (HookRecorder hooks = new HookRecorder()) {
            FaultUserCodeThrowsTest.runOnNewThread(() -> {
                try {
                    for (int round = 0; round < 10; round++) {
                        JobHandle<Integer> h = new JobHandle<>();
                        AtomicInteger woken = new AtomicInteger();
                        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                            ctx.setCallback(arg -> {
                                woken.incrementAndGet();
                                fault.fire();
                                return true;
                            }, null);
                            int value = round;
                            StartStatus s = AsyncJob.start(h, ctx, () -> engine.call(() -> value * 2));
                            while (s == StartStatus.PAUSE) {
                                // the owner's own loop: the wake-up it was promised threw, so it polls
                                Await.until("the device to call back", Duration.ofSeconds(10),
                                        () -> woken.get() > 0);
                                woken.set(0);
                                s = AsyncJob.start(h, ctx, null);
                            }
                            assertThat(s).isEqualTo(StartStatus.FINISH);
                            assertThat(h.failure()).isNull();
                            assertThat(h.result()).isEqualTo(value * 2);
                        }
                    }
                } finally {
                    AsyncJob.cleanupThread();
                }
            });
            // the device thread hands the error to the hook just after the callback ran, which may be
            // after the owner already resumed and finished the job
            Await.until("each throwing callback to reach the hook", Duration.ofSeconds(10),
                    () -> hooks.errors.size() >= 10);
            assertThat(hooks.errors).hasSize(10).allMatch(e -> fault.matches(e, e));
            try (JobLoopGroup group = FaultClosedFdTest.group(1, 0)) {
                assertAllDeviceThreadsServe(engine, JobOptions.builder().loops(group).build());
            }
        } finally {
            closeAndAwait(engine);
        }
    }

    @Test
    void interruptingTheDeviceThreadsLosesNoCompletion() throws Exception {
        OffloadEngine engine = engine(2, 16);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> devices = Threads.named(engine.name() + "-");
        assertThat(devices).hasSize(engine.threads());
        Thread interrupter = new Thread(() -> {
            while (!stop.get()) {
                devices.forEach(Thread::interrupt);
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
        }, FaultClosedFdTest.uniqueName("fault-interrupter"));
        interrupter.start();
        try (JobLoopGroup group = FaultClosedFdTest.group(2, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<Integer>> probes = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                Probe<Integer> p = new Probe<>();
                probes.add(p);
                int v = i;
                AsyncJobs.launch(() -> {
                    WakeupFd fd = WakeupFd.open();
                    AsyncJob.current().waitCtx().setWaitFd(p, fd.channel(), fd, p.cleanup());
                    int a = engine.call(() -> v);
                    // work that sleeps: an interrupt fails it, and only it
                    int b;
                    try {
                        b = engine.call(() -> {
                            Thread.sleep(0, 50_000);
                            return 1;
                        });
                    } catch (InterruptedException e) {
                        b = 1;
                    }
                    return a + b;
                }, opts, p);
            }
            Probe.assertAllDoneOnce(probes, 1, group.loop(0), group.loop(1));
            for (int i = 0; i < probes.size(); i++) {
                assertThat(probes.get(i).value).as("job %d: %s", i, probes.get(i).describe()).isEqualTo(i + 1);
            }
            stop.set(true);
            interrupter.join();
            assertAllDeviceThreadsServe(engine, opts);
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertThat(hooks.errors).isEmpty();
        } finally {
            stop.set(true);
            interrupter.join();
            closeAndAwait(engine);
        }
    }

    /**
     * Every device thread stuck in work that never returns, jobs queued and waiting for room behind
     * them: a cancel still ends a job at once, close() fails the queued calls and the jobs waiting
     * for room, and once the stuck work returns, its jobs finish and the threads end.
     */
    @Test
    void aHungDeviceStillLetsJobsBeCancelledAndClosedAndEndsOnceReleased() throws Exception {
        OffloadEngine engine = engine(2, 4);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            int n = 30; // 2 stuck on the device, 4 queued, the rest waiting for room
            List<Probe<String>> probes = new ArrayList<>();
            List<JobTicket> tickets = new ArrayList<>();
            Set<Probe<String>> onDevice = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < n; i++) {
                Probe<String> p = new Probe<>();
                probes.add(p);
                tickets.add(AsyncJobs.launch(() -> {
                    WakeupFd fd = WakeupFd.open();
                    AsyncJob.current().waitCtx().setWaitFd(p, fd.channel(), fd, p.cleanup());
                    return engine.call(() -> {
                        onDevice.add(p);
                        running.incrementAndGet();
                        release.await();
                        return "released";
                    });
                }, opts, p));
            }
            Await.until("both device threads stuck", Duration.ofSeconds(10), () -> running.get() == 2);
            FaultLeakCheckTest.barrier(group.loop(0));
            assertThat(probes).allMatch(p -> p.terminals() == 0);

            // cancel every third job: it ends now, whether its call is stuck, queued or waiting for room
            List<Probe<String>> cancelled = new ArrayList<>();
            for (int i = 0; i < n; i += 3) {
                tickets.get(i).cancel();
                cancelled.add(probes.get(i));
            }
            Probe.assertAllDoneOnce(cancelled, 1, group.loop(0));
            assertThat(cancelled).allMatch(p -> p.drops.get() == 1);

            engine.close();
            List<Probe<String>> stuck = new ArrayList<>();
            List<Probe<String>> rest = new ArrayList<>();
            // exactly the calls on the device (a cancelled one among them has ended already) may still
            // wait: counting "at most 2 waiting" would let a rejection still on its way pass as stuck
            Await.until("the calls not stuck on the device to be failed", Duration.ofSeconds(10),
                    () -> probes.stream().allMatch(p -> p.terminals() > 0 || onDevice.contains(p)));
            for (Probe<String> p : probes) {
                (p.terminals() == 0 ? stuck : rest).add(p);
            }
            assertThat(stuck).as("only the calls stuck on the device are still waiting").hasSizeLessThanOrEqualTo(2);
            for (Probe<String> p : rest) {
                if (!cancelled.contains(p)) {
                    assertThat(p.failures).as(p.describe()).hasValue(1);
                    assertThat(p.error).isInstanceOf(RejectedExecutionException.class);
                }
            }
            assertThat(engine.awaitTermination(Duration.ofMillis(100))).as("stuck threads cannot end yet").isFalse();

            release.countDown();
            assertThat(engine.awaitTermination(Duration.ofSeconds(10))).as("device threads end once released").isTrue();
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            for (Probe<String> p : stuck) {
                assertThat(p.value).as(p.describe()).isEqualTo("released");
            }
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            // a cancelled job's stuck work completed later: its outcome was dropped, nothing else
            assertThat(hooks.errors).allMatch(e -> e instanceof CancellationException);
        } finally {
            release.countDown();
            closeAndAwait(engine);
        }
    }

    // ---------------------------------------------------------------- helpers

    static OffloadEngine engine(int threads, int queue) {
        return OffloadEngine.builder().threads(threads).queueCapacity(queue)
                .name(FaultClosedFdTest.uniqueName("fault-engine")).build();
    }

    /** N jobs whose work waits for all N to be running: only N live device threads can pass. */
    static void assertAllDeviceThreadsServe(OffloadEngine engine, JobOptions opts) {
        int n = engine.threads();
        CountDownLatch together = new CountDownLatch(n);
        List<Probe<Boolean>> probes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Probe<Boolean> p = new Probe<>();
            probes.add(p);
            AsyncJobs.launch(() -> engine.call(() -> {
                together.countDown();
                return together.await(10, TimeUnit.SECONDS);
            }), opts, p);
        }
        for (Probe<Boolean> p : probes) {
            p.await();
            assertThat(p.value).as("all %d device threads ran work at once: %s", n, p.describe()).isTrue();
        }
    }

    static void closeAndAwait(OffloadEngine engine) throws InterruptedException {
        engine.close();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).as("device threads ended").isTrue();
    }
}
