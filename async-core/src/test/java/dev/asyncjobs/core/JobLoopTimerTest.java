package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop's own timers on real loops ({@link JobLoop#schedule}, {@link JobLoop#scheduleAtFixedRate}):
 * they run on the loop thread and never early, an idle loop wakes for them, cancel races the run
 * with exactly one winner, a closed loop drops and refuses them, a throw goes to the hook. The
 * exact ordering and periodic rules are checked on a hand-driven clock in {@link TimerHeapTest}.
 */
@Timeout(120)
class JobLoopTimerTest {
    private final List<Throwable> hook = new CopyOnWriteArrayList<>();
    private JobLoopGroup group;
    private JobLoop loop;

    @BeforeEach
    void start() {
        group = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("timer")).build();
        loop = group.loop(0);
    }

    @AfterEach
    void stop() {
        group.close();
        AsyncHooks.resetOnError();
    }

    @Test
    void aDelayedTaskRunsOnTheIdleLoopNotBeforeItsDelay() {
        for (long delayMs : new long[] {1, 5, 20}) {
            AtomicReference<Thread> on = new AtomicReference<>();
            AtomicLong ranAt = new AtomicLong();
            long t0 = System.nanoTime();
            LoopTask t = loop.schedule(() -> {
                ranAt.set(System.nanoTime());
                on.set(Thread.currentThread());
            }, delayMs, TimeUnit.MILLISECONDS);
            CoreTestSupport.await("the timer ran", Duration.ofSeconds(20), t::isDone);
            assertThat(on.get()).isSameAs(loop.thread());
            assertThat(ranAt.get() - t0).as("never early").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(delayMs));
            assertThat(t.isCancelled()).isFalse();
        }
    }

    /**
     * Equal delays set one after the other, alternately from the loop itself and from outside: the
     * deadlines never decrease, so they must run in exactly the order they were set (real time
     * cannot reorder them; distinct delays are ordered on a hand-driven clock in TimerHeapTest).
     */
    @Test
    void timersSetFromTheLoopItselfAndFromOutsideRunInTheOrderSet() {
        List<Integer> order = new CopyOnWriteArrayList<>();
        int n = 200;
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int id = i;
            Runnable r = () -> {
                order.add(id);
                done.countDown();
            };
            if (i % 2 == 0) {
                loop.schedule(r, 3, TimeUnit.MILLISECONDS);
            } else {
                CoreTestSupport.onLoop(loop, () -> loop.schedule(r, 3, TimeUnit.MILLISECONDS));
            }
        }
        CoreTestSupport.await(done, "all timers");
        assertThat(order).isSorted().hasSize(n);
        assertThat(CoreTestSupport.onLoop(loop, () -> loop.loop.timers.size())).isZero();
    }

    @Test
    void manyTimersAllRunNoneEarlyAndCancelledOnesNever() {
        Random rnd = new Random(7);
        int n = 10_000;
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger early = new AtomicInteger();
        AtomicInteger ranCancelled = new AtomicInteger();
        List<LoopTask> tasks = new ArrayList<>();
        boolean[] cancelled = new boolean[n];
        boolean[] cancelTried = new boolean[n];
        for (int i = 0; i < n; i++) {
            long delay = rnd.nextInt(30_000); // up to 30 ms, in microseconds
            long notBefore = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(delay);
            int id = i;
            cancelTried[i] = i % 4 == 0;
            tasks.add(loop.schedule(() -> {
                if (System.nanoTime() < notBefore) {
                    early.incrementAndGet();
                }
                if (cancelled[id]) {
                    ranCancelled.incrementAndGet();
                }
                ran.incrementAndGet();
            }, delay, TimeUnit.MICROSECONDS));
        }
        int expected = 0;
        for (int i = 0; i < n; i++) {
            if (cancelTried[i]) {
                cancelled[i] = tasks.get(i).cancel();
            }
            expected += cancelled[i] ? 0 : 1;
        }
        int want = expected;
        CoreTestSupport.await("every timer not cancelled ran", Duration.ofSeconds(30), () -> ran.get() == want);
        CoreTestSupport.flush(loop);
        assertThat(ran).hasValue(expected);
        assertThat(early).hasValue(0);
        assertThat(ranCancelled).hasValue(0);
        assertThat(tasks).allMatch(LoopTask::isDone);
        assertThat(CoreTestSupport.onLoop(loop, () -> loop.loop.timers.size())).as("nothing left on the heap").isZero();
    }

    /** Cancel vs run, due now and after 1 ms: exactly one wins, every round. */
    @Test
    void cancelRacingTheRunHasExactlyOneWinner() {
        Random rnd = new Random(11);
        int cancelsWon = 0;
        int runsWon = 0;
        for (int round = 0; round < 4_000; round++) {
            AtomicInteger runs = new AtomicInteger();
            boolean timed = (round & 1) == 1;
            LoopTask t = timed ? loop.schedule(runs::incrementAndGet, 1, TimeUnit.MILLISECONDS)
                    : loop.schedule(runs::incrementAndGet);
            long spin = timed ? 700_000 + rnd.nextInt(600_000) : rnd.nextInt(20_000);
            long until = System.nanoTime() + spin;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            boolean cancelled = t.cancel();
            CoreTestSupport.spinUntil("round " + round + " done", t::isDone);
            if (cancelled) {
                cancelsWon++;
                CoreTestSupport.flush(loop);
                assertThat(runs).as("round %d: cancelled, yet it ran", round).hasValue(0);
                assertThat(t.isCancelled()).isTrue();
            } else {
                runsWon++;
                CoreTestSupport.spinUntil("round " + round + " run", () -> runs.get() == 1);
                assertThat(t.isCancelled()).isFalse();
            }
        }
        assertThat(cancelsWon + runsWon).isEqualTo(4_000);
        assertThat(CoreTestSupport.onLoop(loop, () -> loop.loop.timers.size())).isZero();
    }

    /** A periodic task cancelled from another thread: after {@code cancel()} returns no run starts. */
    @Test
    void cancelRacingAPeriodicRunStopsItForGood() {
        for (int round = 0; round < 1_000; round++) {
            AtomicInteger starts = new AtomicInteger();
            LoopTask t = loop.scheduleAtFixedRate(starts::incrementAndGet, 0, round % 3 == 0 ? 0 : 1, TimeUnit.MILLISECONDS);
            CoreTestSupport.spinUntil("a first run", () -> starts.get() > 0);
            assertThat(t.cancel()).isTrue();
            // a run that had started (CAS) before the cancel may still count itself just after
            int atCancel = starts.get();
            CoreTestSupport.flush(loop);
            int after = starts.get();
            assertThat(after).as("round %d: no run starts after cancel() returned", round).isLessThanOrEqualTo(atCancel + 1);
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancel()).isFalse();
            CoreTestSupport.flush(loop);
            assertThat(starts).hasValue(after);
        }
        assertThat(CoreTestSupport.onLoop(loop, () -> loop.loop.timers.size())).isZero();
    }

    @Test
    void aPeriodicTaskRunsOnItsLoopUntilCancelledAndNeverOverlaps() {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        LoopTask t = loop.scheduleAtFixedRate(() -> {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            threads.add(Thread.currentThread());
            CoreTestSupport.sleepMillis(2); // overruns its 1 ms period
            runs.incrementAndGet();
            inside.decrementAndGet();
        }, 1, 1, TimeUnit.MILLISECONDS);
        CoreTestSupport.await("ten runs", Duration.ofSeconds(20), () -> runs.get() >= 10);
        assertThat(t.cancel()).isTrue();
        CoreTestSupport.flush(loop);
        int n = runs.get();
        CoreTestSupport.flush(loop);
        assertThat(runs).hasValue(n);
        assertThat(overlaps).hasValue(0);
        assertThat(threads).allMatch(th -> th == loop.thread());
    }

    @Test
    void aTimerThatThrowsGoesToTheHookAndTheLoopGoesOn() {
        AsyncHooks.setOnError(hook::add);
        IllegalStateException once = new IllegalStateException("once");
        IllegalStateException periodic = new IllegalStateException("periodic");
        AtomicInteger periodicRuns = new AtomicInteger();
        LoopTask a = loop.schedule(() -> {
            throw once;
        }, 1, TimeUnit.MILLISECONDS);
        LoopTask p = loop.scheduleAtFixedRate(() -> {
            periodicRuns.incrementAndGet();
            throw periodic;
        }, 1, 1, TimeUnit.MILLISECONDS);
        CoreTestSupport.await("both threw", Duration.ofSeconds(20), () -> a.isDone() && p.isDone());
        AtomicInteger after = new AtomicInteger();
        LoopTask later = loop.schedule(after::incrementAndGet, 5, TimeUnit.MILLISECONDS);
        CoreTestSupport.await("a later timer ran", Duration.ofSeconds(20), later::isDone);
        assertThat(after).hasValue(1);
        assertThat(periodicRuns).as("a periodic task that threw stops").hasValue(1);
        assertThat(hook).containsExactlyInAnyOrder(once, periodic);
        assertThat(p.isCancelled()).isFalse();
    }

    @Test
    void closingTheLoopDropsPendingTimersAndLaterOnesAreRefused() {
        AtomicInteger ran = new AtomicInteger();
        LoopTask hour = loop.schedule(ran::incrementAndGet, 1, TimeUnit.HOURS);
        LoopTask periodic = loop.scheduleAtFixedRate(ran::incrementAndGet, 1, 1, TimeUnit.HOURS);
        group.close(); // does not wait for the timers
        assertThat(group.awaitTermination(Duration.ofSeconds(20))).isTrue();
        assertThat(hour.isCancelled()).isTrue();
        assertThat(periodic.isCancelled()).isTrue();
        assertThat(hour.cancel()).isFalse();
        assertThat(ran).hasValue(0);
        assertThatThrownBy(() -> loop.schedule(ran::incrementAndGet)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("is closed");
        assertThatThrownBy(() -> loop.schedule(ran::incrementAndGet, 1, TimeUnit.SECONDS))
                .isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> loop.scheduleAtFixedRate(ran::incrementAndGet, 1, 1, TimeUnit.SECONDS))
                .isInstanceOf(RejectedExecutionException.class);
        assertThat(ran).hasValue(0);
    }

    @Test
    void aTimerRacingTheLoopsCloseEitherRunsOrEndsCancelled() {
        for (int round = 0; round < 200; round++) {
            JobLoopGroup g = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("timer-close")).build();
            AtomicInteger ran = new AtomicInteger();
            List<LoopTask> tasks = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                try {
                    tasks.add(g.loop(0).schedule(ran::incrementAndGet, i % 3, TimeUnit.MILLISECONDS));
                } catch (RejectedExecutionException e) {
                    break;
                }
                if (i == 10) {
                    Thread closer = new Thread(g::close);
                    closer.start();
                }
            }
            assertThat(g.awaitTermination(Duration.ofSeconds(20))).isTrue();
            int cancelled = 0;
            for (LoopTask t : tasks) {
                assertThat(t.isDone()).as("round %d: %s", round, t).isTrue();
                cancelled += t.isCancelled() ? 1 : 0;
            }
            assertThat(ran.get() + cancelled).as("round %d: each ran or was dropped, once", round).isEqualTo(tasks.size());
        }
    }

    @Test
    void argumentsAreChecked() {
        CoreTestSupport.assertNpeNaming("task", () -> loop.schedule(null));
        CoreTestSupport.assertNpeNaming("task", () -> loop.schedule(null, 1, TimeUnit.SECONDS));
        CoreTestSupport.assertNpeNaming("unit", () -> loop.schedule(() -> { }, 1, null));
        CoreTestSupport.assertNpeNaming("task", () -> loop.scheduleAtFixedRate(null, 1, 1, TimeUnit.SECONDS));
        CoreTestSupport.assertNpeNaming("unit", () -> loop.scheduleAtFixedRate(() -> { }, 1, 1, null));
        assertThatThrownBy(() -> loop.scheduleAtFixedRate(() -> { }, 1, -1, TimeUnit.SECONDS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("period");
    }
}
