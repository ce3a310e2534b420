package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop's deadline heap on a hand-driven clock: ordering, ties, cancel, many timers, the
 * periodic grid (drift and overrun), a stopped loop, a timer that throws. No real time passes, so
 * the periodic rules are checked exactly; {@link JobLoopTimerTest} runs the same heap on real loops.
 */
@Timeout(60)
class TimerHeapTest {
    /** A host with a hand-driven clock whose posted tasks run when {@link #drain()} is called. */
    static final class FakeLoop implements TimerHeap.Host {
        long now = 1_000_000_000L;
        boolean inLoop = true;
        boolean stopped;
        final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        final TimerHeap heap = new TimerHeap(() -> now, this);

        @Override
        public boolean inLoop() {
            return inLoop;
        }

        @Override
        public void post(Runnable task) {
            if (!tryPost(task)) {
                throw new RejectedExecutionException("stopped");
            }
        }

        @Override
        public boolean tryPost(Runnable task) {
            if (stopped) {
                return false;
            }
            queue.add(task);
            return true;
        }

        @Override
        public void checkOpen() {
            if (stopped) {
                throw new RejectedExecutionException("stopped");
            }
        }

        /** One loop turn at the current time: due timers, then queued tasks. */
        void turn() {
            heap.runDue(now);
            drain();
        }

        void drain() {
            for (Runnable r; (r = queue.poll()) != null; ) {
                r.run();
            }
        }

        void advance(long nanos) {
            now += nanos;
            turn();
        }
    }

    private final List<Throwable> hook = new ArrayList<>();

    @AfterEach
    void resetHooks() {
        AsyncHooks.resetOnError();
    }

    @Test
    void timersRunInDeadlineOrderAndTiesInSchedulingOrder() {
        FakeLoop loop = new FakeLoop();
        List<String> ran = new ArrayList<>();
        loop.heap.schedule(() -> ran.add("c30"), 30, LoopTask.ONE_SHOT);
        loop.heap.schedule(() -> ran.add("a10"), 10, LoopTask.ONE_SHOT);
        loop.heap.schedule(() -> ran.add("b10"), 10, LoopTask.ONE_SHOT);
        loop.heap.schedule(() -> ran.add("d20"), 20, LoopTask.ONE_SHOT);
        loop.heap.schedule(() -> ran.add("now"), 0, LoopTask.ONE_SHOT);
        assertThat(loop.heap.nanosToNext(loop.now)).isEqualTo(10);
        loop.advance(9);
        assertThat(ran).containsExactly("now");
        assertThat(loop.heap.nanosToNext(loop.now)).isEqualTo(1);
        loop.advance(1);
        assertThat(ran).containsExactly("now", "a10", "b10");
        loop.advance(100);
        assertThat(ran).containsExactly("now", "a10", "b10", "d20", "c30");
        assertThat(loop.heap.size()).isZero();
        assertThat(loop.heap.nanosToNext(loop.now)).isEqualTo(-1);
    }

    @Test
    void aCancelledTimerLeavesTheHeapAndNeverRuns() {
        FakeLoop loop = new FakeLoop();
        AtomicInteger ran = new AtomicInteger();
        LoopTask a = loop.heap.schedule(ran::incrementAndGet, 10, LoopTask.ONE_SHOT);
        LoopTask b = loop.heap.schedule(ran::incrementAndGet, 20, LoopTask.ONE_SHOT);
        assertThat(a.cancel()).isTrue();
        assertThat(a.cancel()).as("a second cancel stops nothing").isFalse();
        assertThat(a.isCancelled()).isTrue();
        assertThat(a.isDone()).isTrue();
        assertThat(loop.heap.size()).as("removed at once on the loop thread").isEqualTo(1);
        // off the loop: removed at the loop's next turn
        loop.inLoop = false;
        assertThat(b.cancel()).isTrue();
        assertThat(loop.heap.size()).isEqualTo(1);
        loop.inLoop = true;
        loop.drain();
        assertThat(loop.heap.size()).isZero();
        loop.advance(100);
        assertThat(ran).hasValue(0);
    }

    @Test
    void aOneShotTimerThatRanCannotBeCancelledAndADueTaskCancelledFirstNeverRuns() {
        FakeLoop loop = new FakeLoop();
        AtomicInteger ran = new AtomicInteger();
        LoopTask t = loop.heap.schedule(ran::incrementAndGet, 5, LoopTask.ONE_SHOT);
        loop.advance(5);
        assertThat(ran).hasValue(1);
        assertThat(t.isDone()).isTrue();
        assertThat(t.isCancelled()).isFalse();
        assertThat(t.cancel()).isFalse();

        LoopTask now = loop.heap.schedule(ran::incrementAndGet, 0, LoopTask.ONE_SHOT);
        assertThat(now.cancel()).isTrue();
        loop.turn();
        assertThat(ran).hasValue(1);

        // cancelled while it runs: a one-shot run is not stopped, and cancel says so
        AtomicInteger cancelResult = new AtomicInteger(-1);
        LoopTask[] self = new LoopTask[1];
        self[0] = loop.heap.schedule(() -> cancelResult.set(self[0].cancel() ? 1 : 0), 1, LoopTask.ONE_SHOT);
        loop.advance(1);
        assertThat(cancelResult).hasValue(0);
        assertThat(self[0].isDone()).isTrue();
        assertThat(self[0].isCancelled()).isFalse();
    }

    @Test
    void manyRandomTimersRunInDeadlineOrderWithRandomCancels() {
        FakeLoop loop = new FakeLoop();
        Random rnd = new Random(42);
        int n = 20_000;
        List<long[]> ran = new ArrayList<>(); // {deadline, seq}
        List<LoopTask> tasks = new ArrayList<>();
        long[] deadlines = new long[n];
        boolean[] cancelled = new boolean[n];
        for (int i = 0; i < n; i++) {
            long delay = 1 + rnd.nextInt(1_000);
            deadlines[i] = loop.now + delay;
            int id = i;
            tasks.add(loop.heap.schedule(() -> ran.add(new long[] {deadlines[id], id}), delay, LoopTask.ONE_SHOT));
        }
        for (int i = 0; i < n; i += 3) {
            cancelled[i] = tasks.get(i).cancel();
        }
        for (int step = 0; step < 1_100; step += 7) {
            loop.advance(7);
        }
        int expected = 0;
        for (boolean c : cancelled) {
            expected += c ? 0 : 1;
        }
        assertThat(ran).hasSize(expected);
        for (int i = 1; i < ran.size(); i++) {
            long[] a = ran.get(i - 1);
            long[] b = ran.get(i);
            assertThat(a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])).as("order at %d", i).isTrue();
        }
        assertThat(loop.heap.size()).isZero();
    }

    @Test
    void aPeriodicTimerKeepsItsGridWithoutDrift() {
        FakeLoop loop = new FakeLoop();
        long start = loop.now;
        List<Long> runs = new ArrayList<>();
        loop.heap.schedule(() -> runs.add(loop.now - start), 10, 10);
        // the loop turns a little late each time (3 ns): the grid does not drift
        for (int i = 0; i < 10; i++) {
            loop.now = start + (i + 1) * 10L + 3;
            loop.turn();
        }
        assertThat(runs).containsExactly(13L, 23L, 33L, 43L, 53L, 63L, 73L, 83L, 93L, 103L);
    }

    @Test
    void anOverrunSkipsTheMissedGridPointsInsteadOfBursting() {
        FakeLoop loop = new FakeLoop();
        long start = loop.now;
        List<Long> runs = new ArrayList<>();
        AtomicInteger n = new AtomicInteger();
        loop.heap.schedule(() -> {
            runs.add(loop.now - start);
            if (n.incrementAndGet() == 2) {
                loop.now += 35; // the second run (at 20) takes 35 ns: it ends at 55
            }
        }, 10, 10);
        loop.now = start + 10;
        loop.turn();
        loop.now = start + 20;
        loop.turn();
        assertThat(loop.heap.nanosToNext(loop.now)).as("next at 60, the first grid point after 55").isEqualTo(5);
        loop.turn(); // nothing due: no catch-up runs for 30, 40, 50
        assertThat(runs).containsExactly(10L, 20L);
        loop.now = start + 60;
        loop.turn();
        // a loop that was stalled for a long time runs once, then stays on the grid
        loop.now = start + 1_000_005;
        loop.turn();
        assertThat(runs).containsExactly(10L, 20L, 60L, 1_000_005L);
        assertThat(loop.heap.nanosToNext(loop.now)).isEqualTo(5);
    }

    @Test
    void aPeriodicTimerCancelledInsideItsRunStopsAndZeroPeriodRunsBehindQueuedTasks() {
        FakeLoop loop = new FakeLoop();
        AtomicInteger runs = new AtomicInteger();
        LoopTask[] self = new LoopTask[1];
        AtomicInteger cancelResult = new AtomicInteger(-1);
        self[0] = loop.heap.schedule(() -> {
            if (runs.incrementAndGet() == 3) {
                cancelResult.set(self[0].cancel() ? 1 : 0);
            }
        }, 1, 1);
        for (int i = 0; i < 10; i++) {
            loop.advance(1);
        }
        assertThat(runs).hasValue(3);
        assertThat(cancelResult).as("a periodic task cancelled during a run stops").hasValue(1);
        assertThat(self[0].isCancelled()).isTrue();
        assertThat(loop.heap.size()).isZero();

        List<String> order = new ArrayList<>();
        AtomicInteger zero = new AtomicInteger();
        LoopTask z = loop.heap.schedule(() -> order.add("z" + zero.incrementAndGet()), 0, 0);
        loop.post(() -> order.add("other"));
        Runnable first = loop.queue.poll();
        first.run(); // z1, which queues z2 behind "other"
        loop.queue.poll().run();
        loop.queue.poll().run();
        assertThat(order).containsExactly("z1", "other", "z2");
        assertThat(z.cancel()).isTrue();
        loop.drain();
        assertThat(order).containsExactly("z1", "other", "z2");
    }

    @Test
    void aTimerThatThrowsGoesToTheHookOnceAndAPeriodicOneStops() {
        AsyncHooks.setOnError(hook::add);
        FakeLoop loop = new FakeLoop();
        RuntimeException boom = new RuntimeException("boom");
        AtomicInteger runs = new AtomicInteger();
        LoopTask p = loop.heap.schedule(() -> {
            runs.incrementAndGet();
            throw boom;
        }, 1, 1);
        LoopTask o = loop.heap.schedule(() -> {
            throw boom;
        }, 1, LoopTask.ONE_SHOT);
        AtomicInteger after = new AtomicInteger();
        loop.heap.schedule(after::incrementAndGet, 1, LoopTask.ONE_SHOT);
        for (int i = 0; i < 5; i++) {
            loop.advance(1);
        }
        assertThat(runs).hasValue(1);
        assertThat(after).as("the other timers go on").hasValue(1);
        assertThat(hook).containsExactly(boom, boom);
        assertThat(p.isDone()).isTrue();
        assertThat(p.isCancelled()).isFalse();
        assertThat(p.cancel()).isFalse();
        assertThat(o.isDone()).isTrue();
    }

    @Test
    void aStoppedLoopCancelsItsTimersAndRefusesNewOnes() {
        FakeLoop loop = new FakeLoop();
        AtomicInteger ran = new AtomicInteger();
        LoopTask once = loop.heap.schedule(ran::incrementAndGet, 10, LoopTask.ONE_SHOT);
        LoopTask periodic = loop.heap.schedule(ran::incrementAndGet, 10, 10);
        loop.stopped = true;
        loop.heap.cancelAll();
        assertThat(once.isCancelled()).isTrue();
        assertThat(periodic.isCancelled()).isTrue();
        assertThat(loop.heap.size()).isZero();
        assertThatThrownBy(() -> loop.heap.schedule(ran::incrementAndGet, 10, LoopTask.ONE_SHOT))
                .isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> loop.heap.schedule(ran::incrementAndGet, 0, LoopTask.ONE_SHOT))
                .isInstanceOf(RejectedExecutionException.class);
        loop.advance(100);
        assertThat(ran).hasValue(0);
    }

    @Test
    void hugeDelaysDoNotOverflow() {
        FakeLoop loop = new FakeLoop();
        loop.now = Long.MAX_VALUE - 10; // the clock may be anywhere, even near overflow
        AtomicInteger ran = new AtomicInteger();
        loop.heap.schedule(ran::incrementAndGet, Long.MAX_VALUE, LoopTask.ONE_SHOT);
        loop.heap.schedule(ran::incrementAndGet, 20, LoopTask.ONE_SHOT);
        assertThat(loop.heap.nanosToNext(loop.now)).isEqualTo(20);
        loop.advance(20);
        assertThat(ran).hasValue(1);
        assertThat(loop.heap.nanosToNext(loop.now)).isEqualTo(TimerHeap.MAX_NANOS - 20);
    }
}
