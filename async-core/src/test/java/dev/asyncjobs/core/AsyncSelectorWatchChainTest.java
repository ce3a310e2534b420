package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import dev.asyncjobs.testsupport.Racer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cancelled {@link AsyncSelector} watches (issue 11, item 2). Before the fix a cancel only flipped
 * the registration's own state; the watcher kept the target, and the next watch on the same ctx
 * wrapped old and new in a lambda. A job on a user's thread that keeps one quiet fd and is woken
 * through its ctx callback arms and cancels a watch at every pause, so the chain grew by one per
 * wake and overflowed the selector thread's stack when it finally fired. Now a cancel disarms its
 * target on the selector thread, and a ctx holds a flat list of its live targets.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NothingLeaked.class)
final class AsyncSelectorWatchChainTest {
    /**
     * The reproduction: one quiet fd, 30,000 wakes through the ctx callback (the engine's
     * cooperative yield, called before the pause as OpenSSL's dasync does), each pause arming a
     * watch that the resume cancels.
     */
    @Test
    void aJobWokenThirtyThousandTimesByItsCallbackKeepsItsWatchStateFlat() throws InterruptedException {
        int wakes = 30_000;
        ExecutorService own = Executors.newSingleThreadExecutor(
                r -> new Thread(r, FaultClosedFdTest.uniqueName("chain-owner")));
        try (HookRecorder hooks = new HookRecorder();
                AsyncSelector sel = AsyncSelector.open(FaultClosedFdTest.uniqueName("chain-selector"));
                WakeupFd quiet = WakeupFd.open()) {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(sel, 0)).build();
            Probe<Integer> p = new Probe<>();
            AtomicInteger mostTargets = new AtomicInteger(-1);
            AsyncJobs.launch(() -> {
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                ctx.setWaitFd(this, quiet.channel(), null, p.cleanup());
                int n = 0;
                for (int i = 0; i < wakes; i++) {
                    WaitCallback cb = ctx.getCallback();
                    cb.onWake(ctx.getCallbackArg()); // wake me: the resume is queued before I pause
                    if (!AsyncJob.pause()) {
                        break;
                    }
                    n++;
                    if (i % 1_000 == 999) {
                        // the previous pause's watch was cancelled by this resume; what the selector
                        // holds for this ctx once that cancel has been processed
                        mostTargets.accumulateAndGet(sel.watchesOn(ctx), Math::max);
                    }
                }
                return n;
            }, opts, own, p);
            assertThat(p.done.await(150, TimeUnit.SECONDS)).as("the job to finish").isTrue();
            FaultLeakCheckTest.barrier(own);
            assertThat(p.successes).as(p.describe()).hasValue(1);
            assertThat(p.value).isEqualTo(wakes);
            assertThat(p.cleanups).hasValue(1);
            turns(sel, 2); // the ctx's close reached the selector; anything it fired has run
            assertThat(hooks.errors).as("errors on the selector thread (StackOverflowError before the fix)").isEmpty();
            assertThat(mostTargets.get()).as("live targets on the ctx after a cancelled watch").isZero();
            assertThat(quiet.channel().isRegistered()).as("the closed ctx's key is gone").isFalse();
        } finally {
            own.execute(AsyncJob::cleanupThread);
            own.shutdown();
            assertThat(own.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void manyCancelledWatchesLeaveNothingAndTwoLiveOnesStillEachFireOnce() {
        try (HookRecorder hooks = new HookRecorder();
                AsyncSelector sel = AsyncSelector.open(FaultClosedFdTest.uniqueName("chain-two"));
                AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            AtomicInteger cancelledFires = new AtomicInteger();
            for (int i = 0; i < 20_000; i++) {
                sel.watch(ctx, cancelledFires::incrementAndGet).cancel();
                if (i % 5_000 == 4_999) {
                    assertThat(sel.watchesOn(ctx)).as("after %d cancelled watches", i + 1).isZero();
                }
            }
            List<String> fired = new CopyOnWriteArrayList<>();
            CountDownLatch both = new CountDownLatch(2);
            sel.watch(ctx, () -> {
                fired.add("first");
                both.countDown();
            });
            AsyncSelector.Registration gone = sel.watch(ctx, () -> fired.add("cancelled"));
            sel.watch(ctx, () -> {
                fired.add("second");
                both.countDown();
            });
            gone.cancel();
            assertThat(sel.watchesOn(ctx)).isEqualTo(2);
            fd.signal();
            CoreTestSupport.await(both, "both live watches");
            turns(sel, 2);
            assertThat(fired).containsExactlyInAnyOrder("first", "second");
            assertThat(cancelledFires).hasValue(0);
            assertThat(sel.watchesOn(ctx)).isZero();
            assertThat(hooks.errors).isEmpty();
        }
    }

    /**
     * Cancel against fire, on one ctx armed again and again: exactly one of them wins each round
     * (the cancel's own verdict is read through the package-private {@code tryCancel}), so
     * {@code onReady} runs once when the cancel lost and never when it won, not even late.
     */
    @Test
    void cancelRacingWithTheFdBecomingReadyExactlyOneWinsEveryRound() {
        int rounds = 4_000;
        try (HookRecorder hooks = new HookRecorder();
                AsyncSelector sel = AsyncSelector.open(FaultClosedFdTest.uniqueName("chain-race"));
                Turns turns = new Turns(sel);
                AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open();
                Racer racer = new Racer(1, "cancel-vs-ready")) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            int cancelWon = 0;
            RaceWindow window = new RaceWindow(2_000_000);
            for (int round = 0; round < rounds; round++) {
                AtomicInteger fires = new AtomicInteger();
                AsyncSelector.Registration reg = sel.watch(ctx, fires::incrementAndGet);
                boolean[] won = new boolean[1];
                // where the race is tight depends on the machine's load (the racer's helper tends to
                // start well before its caller, and a fire takes a write and a selector wake-up): the
                // cancel is held back by a delay that homes in on the point where either side wins
                long delay = window.next();
                racer.race(fd::signal, () -> {
                    busyWaitNanos(delay);
                    won[0] = ((AsyncSelector.Reg) reg).tryCancel();
                });
                window.moveTowardsTheOther(won[0]);
                turns.await();
                assertThat(fires.get()).as("round %d, cancel %s", round, won[0] ? "won" : "lost")
                        .isEqualTo(won[0] ? 0 : 1);
                assertThat(sel.watchesOn(ctx)).as("round %d: targets left", round).isZero();
                reg.cancel(); // after the verdict: no effect
                cancelWon += won[0] ? 1 : 0;
                assertThat(fd.drain()).isTrue();
            }
            turns.await();
            assertThat(hooks.errors).isEmpty();
            System.out.printf("AsyncSelector cancel/ready race: cancel won %d of %d rounds%n", cancelWon, rounds);
            assertThat(cancelWon).as("both outcomes came up").isBetween(1, rounds - 1);
        }
    }

    /**
     * Waits for the selector thread to go round: each turn arms a watch on an always-readable fd
     * and waits for it to fire, which takes a task pass and a select pass. After two turns every
     * task queued and every fd ready before the call has been handled.
     */
    static final class Turns implements AutoCloseable {
        private final AsyncSelector sel;
        private final AsyncWaitCtx ctx = new AsyncWaitCtx();
        private final WakeupFd fd = WakeupFd.open();

        Turns(AsyncSelector sel) {
            this.sel = sel;
            ctx.setWaitFd(this, fd.channel(), null, null);
            fd.signal();
        }

        void await() {
            for (int i = 0; i < 2; i++) {
                CountDownLatch turned = new CountDownLatch(1);
                sel.watch(ctx, turned::countDown);
                CoreTestSupport.await(turned, "a selector turn");
            }
        }

        @Override
        public void close() {
            ctx.close();
            fd.close();
        }
    }

    /**
     * A delay for one side of a race that homes in on the instant where the race is tight: after
     * each round it moves a step towards the side that lost, with some jitter around it.
     */
    static final class RaceWindow {
        private static final long STEP = 5_000;
        private static final long JITTER = 20_000;
        /**
         * On a loaded machine the racer's caller may start a millisecond after its helper (it
         * yields while it waits); past the cap the race is lost to scheduling noise anyway, and a
         * helper that busy-waits long keeps its caller off the CPU.
         */
        private final long max;
        private long center;

        RaceWindow(long maxNanos) {
            this.max = maxNanos;
        }

        long next() {
            return Math.max(0, center + ThreadLocalRandom.current().nextLong(-JITTER, JITTER + 1));
        }

        /** @param delayedSideWon whether the side held back won: then hold it back longer */
        void moveTowardsTheOther(boolean delayedSideWon) {
            center = delayedSideWon ? Math.min(max, center + STEP) : Math.max(0, center - STEP);
        }
    }

    /** Holds one side of a race back (a sleep would be far too coarse). */
    static void busyWaitNanos(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** {@link Turns#await()} with a throw-away ctx and fd. */
    static void turns(AsyncSelector sel, int times) {
        try (Turns t = new Turns(sel)) {
            for (int i = 0; i < times; i++) {
                t.await();
            }
        }
    }
}
