package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Pipes;
import dev.asyncjobs.testsupport.Racer;
import dev.asyncjobs.testsupport.Threads;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link AsyncSelector}: fires exactly once per watch, never after cancel, wakes (not hangs) when
 * a watched fd is closed, keeps registrations across watches, and on close fires what is armed
 * and ends its thread.
 *
 * <p>"Never after cancel", precisely: {@code Registration.cancel()} returns nothing, so a caller
 * cannot tell "cancelled before firing" from "firing had already been claimed"; the javadoc says
 * that once {@code cancel()} returns, {@code onReady} will not start, though it may be running.
 * What is checked is the observable part: at most one fire per watch, none at all when the cancel
 * happened before the fd became ready, and no fire that starts after the selector has gone round
 * twice since the cancel (a late fire).
 */
@Timeout(60)
class AsyncSelectorTest {

    @AfterEach
    void resetHooks() {
        AsyncHooks.resetOnError();
    }

    /**
     * Waits until the selector has completed two full turns: a watch on an always-readable fd is
     * armed and fires, twice. After the second, every fire decided in the turn of the first is done.
     */
    private static final class Barrier implements AutoCloseable {
        private final AsyncSelector sel;
        private final AsyncWaitCtx ctx = new AsyncWaitCtx();
        private final WakeupFd fd = WakeupFd.open();

        Barrier(AsyncSelector sel) {
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

    private static AsyncSelector open(String what) {
        return AsyncSelector.open(CoreTestSupport.uniqueName("asel-" + what));
    }

    @Test
    void aWatchFiresOnceOnTheSelectorThreadAndNotAgainWhileTheFdStaysReadable() throws Exception {
        try (AsyncSelector sel = open("once"); Barrier barrier = new Barrier(sel);
                AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            AtomicInteger fires = new AtomicInteger();
            AtomicReference<Thread> on = new AtomicReference<>();
            CountDownLatch fired = new CountDownLatch(1);
            sel.watch(ctx, () -> {
                fires.incrementAndGet();
                on.set(Thread.currentThread());
                fired.countDown();
            });
            barrier.await();
            assertThat(fires).as("not readable yet").hasValue(0);
            fd.signal();
            CoreTestSupport.await(fired, "the watch to fire");
            assertThat(on.get()).isSameAs(sel.thread());
            // the fd stays readable (never drained): still one fire
            barrier.await();
            barrier.await();
            assertThat(fires).hasValue(1);
            // a new watch on the still-readable fd fires again, once
            CountDownLatch again = new CountDownLatch(1);
            sel.watch(ctx, () -> {
                fires.incrementAndGet();
                again.countDown();
            });
            CoreTestSupport.await(again, "the second watch");
            barrier.await();
            assertThat(fires).hasValue(2);
        }
    }

    @Test
    void aWatchCancelledBeforeTheFdIsReadyNeverFiresAndTheCtxCanBeWatchedAgain() {
        try (AsyncSelector sel = open("cancel"); Barrier barrier = new Barrier(sel);
                AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            AtomicInteger fires = new AtomicInteger();
            AsyncSelector.Registration reg = sel.watch(ctx, fires::incrementAndGet);
            reg.cancel();
            reg.cancel(); // idempotent
            fd.signal();
            barrier.await();
            barrier.await();
            assertThat(fires).hasValue(0);
            CountDownLatch fired = new CountDownLatch(1);
            sel.watch(ctx, fired::countDown);
            CoreTestSupport.await(fired, "a new watch after a cancelled one");
            AsyncSelector.Registration late = sel.watch(ctx, fires::incrementAndGet);
            barrier.await();
            assertThat(fires).as("ready fd: fired").hasValue(1);
            late.cancel(); // after firing: no effect, no error
            barrier.await();
            assertThat(fires).hasValue(1);
        }
    }

    @Test
    void watchRacingWithTheFdBecomingReadyAlwaysFiresExactlyOnce() {
        int rounds = 2_000;
        try (AsyncSelector sel = open("race-ready"); Barrier barrier = new Barrier(sel);
                AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open();
                Racer racer = new Racer(1, "watch-vs-ready")) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            for (int round = 0; round < rounds; round++) {
                AtomicInteger fires = new AtomicInteger();
                CountDownLatch fired = new CountDownLatch(1);
                racer.race(() -> sel.watch(ctx, () -> {
                    fires.incrementAndGet();
                    fired.countDown();
                }), fd::signal);
                CoreTestSupport.await(fired, "round " + round + ": the watch to fire (a lost wake-up hangs here)");
                if (round % 100 == 0) {
                    barrier.await();
                }
                assertThat(fires.get()).as("round %d", round).isEqualTo(1);
                assertThat(fd.drain()).isTrue();
            }
            barrier.await();
        }
    }

    @Test
    void watchRacingWithCancelAndTheFdBecomingReadyFiresAtMostOnceAndNeverLate() {
        int rounds = 2_000;
        try (AsyncSelector sel = open("race-cancel"); Barrier barrier = new Barrier(sel);
                AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open();
                Racer racer = new Racer(2, "watch-cancel-ready")) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            AtomicInteger[] fires = new AtomicInteger[rounds];
            int[] afterBarrier = new int[rounds];
            int fired = 0;
            for (int round = 0; round < rounds; round++) {
                AtomicInteger count = fires[round] = new AtomicInteger();
                AtomicReference<AsyncSelector.Registration> reg = new AtomicReference<>();
                racer.race(
                        () -> reg.set(sel.watch(ctx, count::incrementAndGet)),
                        () -> {
                            AsyncSelector.Registration r;
                            for (int spins = 0; (r = reg.get()) == null; spins++) {
                                Await.backOff(spins);
                            }
                            r.cancel();
                        },
                        fd::signal);
                barrier.await();
                afterBarrier[round] = count.get();
                assertThat(afterBarrier[round]).as("round %d fires", round).isBetween(0, 1);
                fired += afterBarrier[round];
                fd.drain();
            }
            barrier.await();
            barrier.await();
            for (int round = 0; round < rounds; round++) {
                assertThat(fires[round].get()).as("round %d: a fire after the cancel and two turns", round)
                        .isEqualTo(afterBarrier[round]);
            }
            System.out.printf("AsyncSelector watch/cancel/ready race: %d of %d watches fired%n", fired, rounds);
        }
    }

    @Test
    void closingTheWatchedChannelWakesTheWatch() throws Exception {
        try (AsyncSelector sel = open("closed-source"); AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            Pipe p = Pipes.open();
            ctx.setWaitFd("k", p.source(), null, null);
            CountDownLatch fired = new CountDownLatch(1);
            sel.watch(ctx, fired::countDown);
            CoreTestSupport.sleepMillis(20); // let it block in select with the key registered
            p.source().close();
            assertThat(fired.await(5, TimeUnit.SECONDS)).as("woken by the closed fd").isTrue();
            p.sink().close();
        }
    }

    @Test
    void closingTheOtherEndWakesTheWatch() throws Exception {
        try (AsyncSelector sel = open("closed-sink"); AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            Pipe p = Pipes.open();
            ctx.setWaitFd("k", p.source(), null, null);
            CountDownLatch fired = new CountDownLatch(1);
            sel.watch(ctx, fired::countDown);
            CoreTestSupport.sleepMillis(20);
            p.sink().close(); // EOF: readable
            assertThat(fired.await(5, TimeUnit.SECONDS)).as("woken by EOF").isTrue();
            p.source().close();
        }
    }

    @Test
    void aChannelClosedBeforeTheWatchFiresAtOnce() throws Exception {
        try (AsyncSelector sel = open("closed-before"); AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            Pipe p = Pipes.open();
            ctx.setWaitFd("k", p.source(), null, null);
            Pipes.close(p);
            CountDownLatch fired = new CountDownLatch(1);
            sel.watch(ctx, fired::countDown);
            assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void twoCtxsWatchingOneChannelBothFire() {
        try (AsyncSelector sel = open("shared-fd"); AsyncWaitCtx a = new AsyncWaitCtx();
                AsyncWaitCtx b = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            a.setWaitFd("k", fd.channel(), null, null);
            b.setWaitFd("k", fd.channel(), null, null);
            CountDownLatch both = new CountDownLatch(2);
            AtomicInteger fires = new AtomicInteger();
            sel.watch(a, () -> {
                fires.incrementAndGet();
                both.countDown();
            });
            sel.watch(b, () -> {
                fires.incrementAndGet();
                both.countDown();
            });
            fd.signal();
            CoreTestSupport.await(both, "both watches");
            try (Barrier barrier = new Barrier(sel)) {
                barrier.await();
            }
            assertThat(fires).hasValue(2);
        }
    }

    @Test
    void twoArmedWatchesOnOneCtxEachFireOnce() {
        // "fires exactly once per watch": a second watch on the same ctx must not swallow the first
        try (AsyncSelector sel = open("two-watches"); AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            List<String> fired = new CopyOnWriteArrayList<>();
            CountDownLatch second = new CountDownLatch(1);
            sel.watch(ctx, () -> fired.add("first"));
            sel.watch(ctx, () -> {
                fired.add("second");
                second.countDown();
            });
            fd.signal();
            CoreTestSupport.await(second, "the second watch");
            try (Barrier barrier = new Barrier(sel)) {
                barrier.await();
            }
            assertThat(fired).containsExactlyInAnyOrder("first", "second");
        }
    }

    @Test
    void fdsKeptAcrossPausesAreNotRegisteredAgain() {
        // a real job keeps one fd across pauses, adds a second, then clears the first; the
        // selector's keys follow the changed fds and a kept fd keeps its SelectionKey
        onNewThread(() -> {
            try (AsyncSelector sel = open("kept"); AsyncWaitCtx ctx = new AsyncWaitCtx();
                    WakeupFd first = WakeupFd.open(); WakeupFd second = WakeupFd.open()) {
                JobHandle<String> h = new JobHandle<>();
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    AsyncWaitCtx c = AsyncJob.current().waitCtx();
                    c.setWaitFd("first", first.channel(), null, null);
                    for (int i = 0; i < 3; i++) {   // three pauses with the fd unchanged
                        AsyncJob.pause();
                        first.drain();
                    }
                    c.setWaitFd("second", second.channel(), null, null);
                    AsyncJob.pause();
                    first.drain();
                    c.clearFd("first");
                    AsyncJob.pause();
                    second.drain();
                    return "done";
                });
                SelectionKey firstKey = null;
                for (int i = 0; i < 3; i++) {
                    assertThat(s).isEqualTo(StartStatus.PAUSE);
                    awaitFire(sel, ctx, first);
                    FdWatcher.CtxWatch cw = sel.viewOf(ctx);
                    assertThat(cw.keys).hasSize(1);
                    if (firstKey == null) {
                        firstKey = cw.keys.get(0);
                    }
                    assertThat(cw.keys.get(0)).as("pause %d: the same key", i).isSameAs(firstKey);
                    assertThat(first.channel().keyFor(cw.watcher.selector)).isSameAs(firstKey);
                    assertThat(firstKey.isValid()).isTrue();
                    s = AsyncJob.start(h, ctx, null);
                }
                // second fd added: both keys, the first one still the same
                assertThat(s).isEqualTo(StartStatus.PAUSE);
                awaitFire(sel, ctx, first);
                assertThat(sel.viewOf(ctx).keys).hasSize(2).contains(firstKey);
                s = AsyncJob.start(h, ctx, null);
                // first fd cleared: its key is cancelled, the second one still watched
                assertThat(s).isEqualTo(StartStatus.PAUSE);
                awaitFire(sel, ctx, second);
                assertThat(sel.viewOf(ctx).keys).hasSize(1).doesNotContain(firstKey);
                assertThat(firstKey.isValid()).isFalse();
                assertThat(sel.viewOf(ctx).keys.get(0).channel()).isSameAs(second.channel());
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("done");
            }
        });
    }

    /** Watches ctx, makes {@code fd} ready and waits for the fire. */
    private static void awaitFire(AsyncSelector sel, AsyncWaitCtx ctx, WakeupFd fd) {
        CountDownLatch fired = new CountDownLatch(1);
        sel.watch(ctx, fired::countDown);
        fd.signal();
        CoreTestSupport.await(fired, "the watch");
    }

    @Test
    void closeFiresArmedWatchesEndsTheThreadAndReleasesItsFds() throws Exception {
        int baseline = CoreTestSupport.fdBaseline();
        String name = CoreTestSupport.uniqueName("asel-close");
        AsyncSelector sel = AsyncSelector.open(name);
        List<String> fired = new CopyOnWriteArrayList<>();
        List<AsyncWaitCtx> ctxs = new ArrayList<>();
        List<WakeupFd> fds = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            WakeupFd fd = WakeupFd.open();
            ctx.setWaitFd("k", fd.channel(), null, null);
            int id = i;
            sel.watch(ctx, () -> fired.add("w" + id));
            ctxs.add(ctx);
            fds.add(fd);
        }
        AsyncWaitCtx other = new AsyncWaitCtx();
        WakeupFd otherFd = WakeupFd.open();
        other.setWaitFd("k", otherFd.channel(), null, null);
        ctxs.add(other);
        fds.add(otherFd);
        AsyncSelector.Registration cancelled = sel.watch(other, () -> fired.add("cancelled"));
        cancelled.cancel();
        assertThat(Threads.named(name)).hasSize(1);
        assertThat(sel.isClosed()).isFalse();
        sel.close();
        assertThat(sel.isClosed()).isTrue();
        assertThat(fired).as("armed watches fire once at close; a cancelled one never")
                .containsExactlyInAnyOrder("w0", "w1", "w2", "w3", "w4");
        CoreTestSupport.assertNoThreadsLeft(name);
        sel.close(); // idempotent
        assertThat(fired).hasSize(5);
        ctxs.forEach(AsyncWaitCtx::close);
        fds.forEach(WakeupFd::close);
        CoreTestSupport.assertFdsBackTo(baseline);
    }

    @Test
    void watchOnAClosedSelectorThrowsIllegalState() {
        AsyncSelector sel = open("closed");
        sel.close();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            // AsyncSelector.watch javadoc: "@throws IllegalStateException if this selector or the ctx is closed"
            assertThatThrownBy(() -> sel.watch(ctx, () -> { })).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void watchOnAClosedCtxThrowsIllegalState() {
        try (AsyncSelector sel = open("closed-ctx")) {
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            ctx.close();
            assertThatThrownBy(() -> sel.watch(ctx, () -> { })).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void anOnReadyThatThrowsGoesToTheHookAndTheSelectorGoesOn() {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AsyncHooks.setOnError(errors::add);
        IllegalStateException boom = new IllegalStateException("onReady fails");
        try (AsyncSelector sel = open("throws"); AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            fd.signal();
            CountDownLatch thrown = new CountDownLatch(1);
            sel.watch(ctx, () -> {
                thrown.countDown();
                throw boom;
            });
            CoreTestSupport.await(thrown, "the throwing onReady");
            CountDownLatch next = new CountDownLatch(1);
            sel.watch(ctx, next::countDown);
            CoreTestSupport.await(next, "the next watch on the same selector");
            assertThat(sel.isClosed()).isFalse();
            assertThat(sel.thread().isAlive()).isTrue();
        }
        assertThat(errors).containsExactly(boom);
    }

    @Test
    void theSharedSelectorIgnoresClose() {
        AsyncSelector shared = AsyncSelector.shared();
        assertThat(AsyncSelector.shared()).isSameAs(shared);
        shared.close();
        assertThat(shared.isClosed()).isFalse();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
            ctx.setWaitFd("k", fd.channel(), null, null);
            CountDownLatch fired = new CountDownLatch(1);
            shared.watch(ctx, fired::countDown);
            fd.signal();
            CoreTestSupport.await(fired, "the shared selector's watch");
        }
        assertThat(shared.thread().getName()).isEqualTo("asyncjobs-selector");
        assertThat(shared.thread().isDaemon()).isTrue();
    }

    @Test
    void closingAPrivateSelectorDoesNotStartTheSharedOne() throws Exception {
        // a fresh JVM, where nothing has touched AsyncSelector.shared() yet
        String cp = ChildJvm.locationOf(AsyncSelector.class) + java.io.File.pathSeparator
                + ChildJvm.locationOf(SelectorCloseProbe.class);
        List<String> args = List.of("-cp", cp, SelectorCloseProbe.class.getName());
        assertThat(ChildJvm.await(ChildJvm.start(args), args)).containsExactly("shared selector started: false");
    }

    @Test
    void openingAndClosingSelectorsLeavesNoThreadOrFd() {
        int baseline = CoreTestSupport.fdBaseline();
        String prefix = CoreTestSupport.uniqueName("asel-many");
        List<AsyncSelector> sels = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sels.add(AsyncSelector.open(prefix + "-" + i));
        }
        assertThat(Threads.named(prefix)).hasSize(20);
        sels.forEach(AsyncSelector::close);
        CoreTestSupport.assertNoThreadsLeft(prefix);
        CoreTestSupport.assertFdsBackTo(baseline);
    }
}
