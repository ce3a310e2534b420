package dev.asyncjobs.engine;

import static dev.asyncjobs.engine.OffloadEngineTestKit.assertEachSucceededWithItsIndex;
import static dev.asyncjobs.engine.OffloadEngineTestKit.await;
import static dev.asyncjobs.engine.OffloadEngineTestKit.everyJobOfALoadEnds;
import static dev.asyncjobs.engine.OffloadEngineTestKit.launchEach;
import static dev.asyncjobs.engine.OffloadEngineTestKit.openOnceQueuedAndTheLoopSleeps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.RecordingObserver;
import dev.asyncjobs.engine.OffloadEngineTestKit.TestLoops;
import dev.asyncjobs.testsupport.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bound on a held-back loop wake-up ({@link DeferredWakeups}) holds whatever the device thread
 * that holds it does next: a held-back wake-up is sent by its deadline even while that device
 * thread is inside a long call, so a completed call's job is never resumed only after an unrelated
 * call ends.
 *
 * <p>No timing threshold: the long call blocks until the earlier job has been resumed (bounded
 * by a generous wait); with the wake-up stuck behind the long call, that never happens.
 */
class OffloadEngineWakeupBoundTest {
    @RegisterExtension
    final TestLoops loops = new TestLoops("bound-loop", 1);

    /**
     * {@code devices} device threads; the first {@code devices} calls are gated so every other call
     * is queued (the device is saturated) and the loop is asleep; each of them completes at once
     * (its wake-up is held back: the queue is deep). The next {@code devices} calls, one per device
     * thread, then block until every gated job has been resumed, and record whether that happened.
     */
    private void aLongCallDoesNotHoldBackAnEarlierResume(int devices, long delayNanos) throws Exception {
        String name = "bound-dev-" + devices + "-" + delayNanos;
        try (OffloadEngine engine = OffloadEngine.builder().threads(devices).queueCapacity(16).name(name)
                .wakeupDelayNanos(delayNanos).build()) {
            int n = 12;
            CountDownLatch gate = new CountDownLatch(1);
            CountDownLatch gatedStarted = new CountDownLatch(devices);
            CountDownLatch gatedResumed = new CountDownLatch(devices);
            AtomicInteger longCallsThatSawTheResume = new AtomicInteger();
            AtomicInteger longCalls = new AtomicInteger();
            IntFunction<JobFunction<Integer>> jobs = id -> () -> {
                int v = engine.call(() -> {
                    if (id < devices) {
                        gatedStarted.countDown();
                        gate.await(); // every device thread holds a gated call: all others queued
                    } else if (id < 2 * devices) {
                        // the long call: it ends only once the gated jobs were resumed
                        longCalls.incrementAndGet();
                        if (gatedResumed.await(10, TimeUnit.SECONDS)) {
                            longCallsThatSawTheResume.incrementAndGet();
                        }
                    }
                    return id;
                });
                if (id < devices) {
                    gatedResumed.countDown();
                }
                return v;
            };
            List<RecordingObserver<Integer>> observers = new ArrayList<>(launchEach(loops.options(), 0, devices, jobs));
            // each device thread takes one gated call before the rest is queued
            assertThat(gatedStarted.await(30, TimeUnit.SECONDS)).as("gated calls running").isTrue();
            observers.addAll(launchEach(loops.options(), devices, n, jobs));
            openOnceQueuedAndTheLoopSleeps(engine, n - devices, gate);
            assertEachSucceededWithItsIndex(observers);
            assertThat(longCalls.get()).isEqualTo(devices);
            assertThat(longCallsThatSawTheResume.get())
                    .as("long calls during which the earlier completions' jobs were resumed").isEqualTo(devices);
        }
    }

    @Test
    @Timeout(60)
    void aHeldBackWakeupIsSentWhileItsDeviceThreadRunsALongCall() throws Exception {
        aLongCallDoesNotHoldBackAnEarlierResume(1, DeferredWakeups.DEFAULT_MAX_DELAY_NANOS);
    }

    @Test
    @Timeout(60)
    void heldBackWakeupsAreSentWhileEveryDeviceThreadRunsALongCall() throws Exception {
        aLongCallDoesNotHoldBackAnEarlierResume(2, DeferredWakeups.DEFAULT_MAX_DELAY_NANOS);
    }

    @Test
    @Timeout(60)
    void aLongerDelayIsAlsoBounded() throws Exception {
        aLongCallDoesNotHoldBackAnEarlierResume(1, TimeUnit.MILLISECONDS.toNanos(20));
    }

    /**
     * The device threads and the engine's wake-up timer race to send the same held-back wake-ups
     * (a delay of 20 us expires during almost every call): none may be lost, whichever side sends
     * it, over thousands of jobs on two loops.
     */
    @Test
    @Timeout(120)
    void wakeupsSentByTheTimerOrTheDeviceThreadAreNeverLost() throws Exception {
        everyJobOfALoadEnds(OffloadEngine.builder().threads(2).queueCapacity(32).name("bound-load-dev")
                .wakeupDelayNanos(TimeUnit.MICROSECONDS.toNanos(20)), "bound-load", 20_000, Duration.ofSeconds(60),
                id -> () -> {
                    if (id % 97 == 0) {
                        Thread.sleep(0, 100_000); // now and then a call longer than the delay
                    }
                    return id;
                });
    }

    /**
     * The timer costs nothing while nothing is held back: after a saturated burst that made it send
     * (a 20 us delay), it parks without a timeout, and it is never started when holding back is off.
     */
    @Test
    @Timeout(60)
    void theTimerWaitsWithoutATimeoutWhileNothingIsHeldBack() throws Exception {
        try (OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(16).name("bound-idle")
                .wakeupDelayNanos(TimeUnit.MICROSECONDS.toNanos(20)).build();
                OffloadEngine off = OffloadEngine.builder().threads(1).name("bound-off").wakeupDelayNanos(0).build()) {
            List<RecordingObserver<Integer>> observers = launchEach(loops.options(), 0, 200, id -> () -> engine.call(() -> {
                Thread.sleep(0, 50_000);
                return id;
            }));
            assertEachSucceededWithItsIndex(observers);
            Thread timer = engine.wakeupTimer();
            await("the timer parked", () -> {
                Thread.State s = timer.getState();
                return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
            });
            // a deadline still pending when the burst ended lets it park timed once more, then for good
            await("the timer parked without a timeout", () -> timer.getState() == Thread.State.WAITING);
            assertThat(off.wakeupTimer().getState()).isEqualTo(Thread.State.NEW);
        }
    }

    /** The engine's threads, its wake-up timer included, all end after close. */
    @Test
    @Timeout(60)
    void closeEndsEveryThreadOfTheEngine() throws Exception {
        String name = "bound-close";
        OffloadEngine engine = OffloadEngine.builder().threads(2).queueCapacity(8).name(name).build();
        RecordingObserver<Integer> obs = new RecordingObserver<>();
        AsyncJobs.launch(() -> engine.call(() -> 7), loops.options(), obs);
        assertThat(obs.await().value()).isEqualTo(7);
        engine.close();
        assertThat(engine.awaitTermination(Duration.ofSeconds(30))).isTrue();
        assertThat(Threads.named(name).size()).isZero();
    }
}
