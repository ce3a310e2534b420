package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Code on a job loop may hold a monitor when it launches or wakes a job there (a framework that
 * subscribes or completes a future under a lock). On the continuation backend a job that pauses
 * in a segment run inside that code would take the running thread's monitors with it (JDK 25), so
 * the loop never runs a job inside such code: the start and the resume are tasks of the loop, run
 * with nothing held. These rounds launch and wake paused jobs from inside {@code synchronized}
 * blocks on the loop thread; every monitor must be released by the code that took it and every job
 * must finish.
 */
@Timeout(120)
class LaunchUnderMonitorTest {
    private static final int ROUNDS = 5_000;

    private String name;
    private JobLoopGroup group;
    private JobOptions options;
    private final List<Throwable> hooked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startLoops() {
        name = CoreTestSupport.uniqueName("jl-monitor");
        group = JobLoopGroup.builder().threads(1).name(name).build();
        options = JobOptions.builder().loops(group).build();
        AsyncHooks.setOnError(hooked::add);
    }

    @AfterEach
    void stopLoops() {
        AsyncHooks.resetOnError();
        group.close();
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    @Test
    void aJobLaunchedAndWokenUnderAMonitorOnItsLoopPausesAndFinishesWithTheMonitorsKeptByTheirOwner()
            throws Exception {
        JobLoop loop = group.next();
        Object launchLock = new Object();
        Object wakeLock = new Object();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger finished = new AtomicInteger();
        for (int round = 0; round < ROUNDS; round++) {
            CompletableFuture<String> gate = new CompletableFuture<>();
            CountDownLatch done = new CountDownLatch(1);
            List<String> got = new ArrayList<>(1);
            loop.execute(() -> {
                try {
                    synchronized (launchLock) {
                        AsyncJobs.launch(() -> AsyncJob.await(gate), options, new JobObserver<String>() {
                            @Override
                            public void onSuccess(String value) {
                                got.add(value);
                                finished.incrementAndGet();
                                done.countDown();
                            }

                            @Override
                            public void onFailure(Throwable error) {
                                errors.add(error);
                                done.countDown();
                            }
                        });
                        // the launching code still owns its monitor, whatever the job did
                        assertThat(Thread.holdsLock(launchLock)).isTrue();
                    }
                    assertThat(Thread.holdsLock(launchLock)).isFalse();
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            // wake it from the loop thread too, under another monitor
            loop.execute(() -> {
                try {
                    synchronized (wakeLock) {
                        gate.complete("v");
                        assertThat(Thread.holdsLock(wakeLock)).isTrue();
                    }
                    assertThat(Thread.holdsLock(wakeLock)).isFalse();
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            assertThat(done.await(10, TimeUnit.SECONDS)).as("round %d finished", round).isTrue();
            assertThat(errors).as("round %d", round).isEmpty();
            assertThat(got).containsExactly("v");
        }
        assertThat(finished).hasValue(ROUNDS);
        assertThat(hooked).isEmpty();
    }
}
