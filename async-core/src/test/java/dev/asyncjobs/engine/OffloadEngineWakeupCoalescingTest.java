package dev.asyncjobs.engine;

import static dev.asyncjobs.engine.OffloadEngineTestKit.assertEachSucceededWithItsIndex;
import static dev.asyncjobs.engine.OffloadEngineTestKit.everyJobOfALoadEnds;
import static dev.asyncjobs.engine.OffloadEngineTestKit.launchEach;
import static dev.asyncjobs.engine.OffloadEngineTestKit.openOnceQueuedAndTheLoopSleeps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.RecordingObserver;
import dev.asyncjobs.engine.OffloadEngineTestKit.TestLoops;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A saturated engine holds back the loop wake-ups of its completions ({@link DeferredWakeups}):
 * held while the queue is deep, sent once it runs low, sent within the delay while it stays deep,
 * never lost (every job completes when the delay is far longer than the test), and never applied to
 * what the work itself sends.
 *
 * <p>Each scenario gates the first call so that every other call is queued before the device runs
 * anything, on one loop that is asleep (all its jobs paused), and has each work record how many jobs
 * had been resumed when it started.
 */
class OffloadEngineWakeupCoalescingTest {
    private static final long NEVER = TimeUnit.SECONDS.toNanos(600);

    @RegisterExtension
    final TestLoops loops = new TestLoops("coalesce-loop", 1);

    /** {@code n} gated jobs, each one call whose work sleeps {@code workMillis}. */
    private final class Scenario {
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger resumed = new AtomicInteger();
        final AtomicIntegerArray seenAtStart;
        final List<RecordingObserver<Integer>> observers;

        Scenario(OffloadEngine engine, int n, long workMillis) throws InterruptedException {
            seenAtStart = new AtomicIntegerArray(n);
            observers = launchEach(loops.options(), 0, n, id -> () -> {
                int v = engine.call(() -> {
                    if (id == 0) {
                        gate.await();
                    }
                    seenAtStart.set(id, resumed.get());
                    Thread.sleep(workMillis);
                    return id;
                });
                resumed.incrementAndGet();
                return v;
            });
            openOnceQueuedAndTheLoopSleeps(engine, n - 1, gate);
        }

        void awaitAll() {
            assertEachSucceededWithItsIndex(observers);
        }
    }

    @Test
    void aSaturatedDeviceHoldsTheWakeupsBackUntilTheQueueRunsLow() throws Exception {
        // capacity 16: low water 4; the call completing with 4 or fewer queued (call 7 of 0..11) flushes
        try (OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(16).name("coalesce-dev")
                .wakeupDelayNanos(NEVER).build()) {
            Scenario s = new Scenario(engine, 12, 20);
            s.awaitAll();
            // calls 1..7 start after 1..7 completions whose wake-ups were all held back: with the
            // loop woken per completion it would have had 20 ms per call to resume them
            for (int i = 1; i <= 7; i++) {
                assertThat(s.seenAtStart.get(i)).as("jobs resumed when call %d started", i).isZero();
            }
            assertThat(s.resumed.get()).isEqualTo(12);
        }
    }

    @Test
    void withHoldingBackOffEveryCompletionWakesTheLoop() throws Exception {
        // the control for the test above: same scenario, delay 0
        try (OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(16).name("coalesce-off")
                .wakeupDelayNanos(0).build()) {
            Scenario s = new Scenario(engine, 12, 20);
            s.awaitAll();
            // call 7 starts 6 x 20 ms after the first completion woke the loop
            assertThat(s.seenAtStart.get(7)).as("jobs resumed when call 7 started").isPositive();
        }
    }

    @Test
    void whileTheDeviceStaysSaturatedTheWakeupsGoOutWithinTheDelay() throws Exception {
        // capacity 64: low water 16, reached only after call 23; the 30 ms delay must flush long before
        try (OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(64).name("coalesce-delay")
                .wakeupDelayNanos(TimeUnit.MILLISECONDS.toNanos(30)).build()) {
            Scenario s = new Scenario(engine, 40, 10);
            s.awaitAll();
            // completion 0 at ~10 ms is held; the check after completion 2 (~30 ms) sends it; call 12
            // starts at ~120 ms
            assertThat(s.seenAtStart.get(12)).as("jobs resumed when call 12 started").isPositive();
            assertThat(s.seenAtStart.get(1)).as("jobs resumed when call 1 started").isZero();
        }
    }

    @Test
    void heldBackWakeupsAreNeverLostUnderLoad() throws Exception {
        // a delay far beyond the test's wait: every job that ends was woken by low water or idleness
        everyJobOfALoadEnds(OffloadEngine.builder().threads(2).queueCapacity(32).name("coalesce-load-dev")
                .wakeupDelayNanos(NEVER), "coalesce-load", 20_000, Duration.ofSeconds(30), id -> () -> id);
    }

    @Test
    void whatTheWorkItselfSendsToALoopIsNeverHeldBack() throws Exception {
        // the device is saturated and holds wake-ups back for ever, yet a task the work hands to the
        // sleeping loop runs at once: only the completion's own wake-up may be held
        try (OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(16).name("coalesce-work")
                .wakeupDelayNanos(NEVER).build()) {
            JobLoop loop = loops.group().loop(0);
            CountDownLatch gate = new CountDownLatch(1);
            AtomicInteger ranInTime = new AtomicInteger();
            int n = 12;
            List<RecordingObserver<Integer>> observers = launchEach(loops.options(), 0, n, id -> () -> engine.call(() -> {
                if (id == 0) {
                    gate.await();
                }
                CountDownLatch ran = new CountDownLatch(1);
                loop.execute(ran::countDown);
                if (ran.await(10, TimeUnit.SECONDS)) {
                    ranInTime.incrementAndGet();
                }
                return id;
            }));
            openOnceQueuedAndTheLoopSleeps(engine, n - 1, gate);
            assertEachSucceededWithItsIndex(observers);
            assertThat(ranInTime.get()).isEqualTo(n);
        }
    }
}
