package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.testsupport.Racer;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link AsyncWaitCtx#close()} from another thread while the owner edits the fd list (issue 11,
 * item 8). The contract: every entry the owner added and did not clear has its cleanup run
 * exactly once; an entry that was cleared, or whose {@code setWaitFd} threw because the ctx was
 * already closed, has none; no {@code ConcurrentModificationException} or index error on either
 * side. Before the fix the fd list was a plain {@code ArrayList} that close walked while the owner
 * appended to it, and a {@code setWaitFd} that had passed its closed check could add to a list
 * close had already taken away: cleanups were lost or run twice.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NothingLeaked.class)
final class WaitCtxCloseRaceTest {
    private static final int OLD = 4;      // entries from an earlier run: clearFd only marks them
    private static final int NEW = 24;     // entries the owner adds during the race
    @Test
    void closeFromAnotherThreadRacingWithTheOwnerRunsEveryCleanupExactlyOnce() {
        int rounds = 10_000;
        try (WakeupFd fd = WakeupFd.open(); Racer racer = new Racer(1, "ctx-close-race");
                HookRecorder hooks = new HookRecorder()) {
            SelectableChannel ch = fd.channel();
            int closedMidway = 0;
            AsyncSelectorWatchChainTest.RaceWindow window = new AsyncSelectorWatchChainTest.RaceWindow(300_000);
            for (int round = 0; round < rounds; round++) {
                AsyncWaitCtx ctx = new AsyncWaitCtx();
                int total = OLD + NEW;
                Object[] keys = new Object[total];
                AtomicIntegerArray cleanups = new AtomicIntegerArray(total);
                WaitFdCleanup counting = (c, key, f, data) -> cleanups.incrementAndGet((Integer) data);
                boolean[] accepted = new boolean[total];
                boolean[] cleared = new boolean[total];
                for (int i = 0; i < OLD; i++) {
                    keys[i] = new Object();
                    accepted[i] = ctx.setWaitFd(keys[i], ch, i, counting);
                }
                ctx.resetCounts(); // the job was resumed: these are old entries now
                for (int i = OLD; i < total; i++) {
                    keys[i] = new Object();
                }
                AtomicReference<Throwable> ownerSaw = new AtomicReference<>();
                int round0 = round;
                // the caller closes; the owner's edits run on the racer's helper, held back by a
                // delay that homes in on the close (see RaceWindow), so that it lands before, amid
                // and after them
                long delay = window.next();
                racer.race(ctx::close, () -> {
                    AsyncSelectorWatchChainTest.busyWaitNanos(delay);
                    try {
                        for (int i = OLD; i < total; i++) {
                            accepted[i] = ctx.setWaitFd(keys[i], ch, i, counting);
                            if (i % 3 == 0) {
                                cleared[i] = ctx.clearFd(keys[i]);            // added in this run: removed
                            }
                            if (i % 4 == 0) {
                                int old = (i / 4) % OLD;
                                if (!cleared[old]) {
                                    cleared[old] = ctx.clearFd(keys[old]);    // older: marked deleted
                                }
                            }
                            ctx.getChangedFds();
                            ctx.getAllFds();
                            if (i == OLD + NEW / 2) {
                                ctx.resetCounts();                            // resumed mid-way
                            }
                        }
                    } catch (IllegalStateException closed) {
                        ownerSaw.set(closed);
                    } catch (Throwable t) {
                        ownerSaw.set(t);
                    }
                });
                Throwable seen = ownerSaw.get();
                if (seen == null) {
                    window.moveTowardsTheOther(true);  // the owner was done before the close
                } else if (!accepted[OLD]) {
                    window.moveTowardsTheOther(false); // closed before the owner began
                }
                if (seen != null) {
                    assertThat(seen).as("round %d: what the owner got", round0)
                            .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
                    if (accepted[OLD]) {
                        closedMidway++;
                    }
                }
                assertThat(ctx.isClosed()).isTrue();
                for (int i = 0; i < total; i++) {
                    int expected = accepted[i] && !cleared[i] ? 1 : 0;
                    assertThat(cleanups.get(i)).as("round %d, entry %d (accepted %s, cleared %s)", round0, i,
                            accepted[i], cleared[i]).isEqualTo(expected);
                }
                ctx.close(); // idempotent: nothing runs twice
                for (int i = 0; i < total; i++) {
                    assertThat(cleanups.get(i)).isLessThanOrEqualTo(1);
                }
            }
            assertThat(hooks.errors).isEmpty();
            System.out.printf("AsyncWaitCtx close race: the close landed amid the owner's edits in %d of %d rounds%n",
                    closedMidway, rounds);
        }
    }

    @Test
    void setWaitFdAfterCloseThrowsAndTakesNothing() {
        try (WakeupFd fd = WakeupFd.open()) {
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            AtomicInteger cleanups = new AtomicInteger();
            ctx.close();
            assertThatThrownBy(() -> ctx.setWaitFd("k", fd.channel(), null, (c, k, f, d) -> cleanups.incrementAndGet()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThatThrownBy(() -> ctx.clearFd("k")).isInstanceOf(IllegalStateException.class);
            ctx.close();
            assertThat(cleanups).as("the caller still owns what a refused setWaitFd was given").hasValue(0);
            assertThat(fd.channel().isOpen()).isTrue();
        }
    }

    /**
     * A watch armed while another thread closes the ctx: either the watch sees the closed ctx and
     * throws, or it is armed and then woken by the close; either way the selector lets go of the
     * fd (no registration outlives the ctx).
     */
    @Test
    void closeRacingWithAWatchNeverLeavesTheFdRegisteredOrTheWatchUnfired() {
        int rounds = 1_500;
        try (AsyncSelector sel = AsyncSelector.open(FaultClosedFdTest.uniqueName("ctx-close-watch"));
                AsyncSelectorWatchChainTest.Turns turns = new AsyncSelectorWatchChainTest.Turns(sel);
                Racer racer = new Racer(1, "ctx-close-watch-race"); HookRecorder hooks = new HookRecorder()) {
            List<WakeupFd> fds = new ArrayList<>();
            int armed = 0;
            AsyncSelectorWatchChainTest.RaceWindow window = new AsyncSelectorWatchChainTest.RaceWindow(2_000_000);
            for (int round = 0; round < rounds; round++) {
                WakeupFd fd = WakeupFd.open();
                fds.add(fd);
                AsyncWaitCtx ctx = new AsyncWaitCtx();
                ctx.setWaitFd("k", fd.channel(), null, null);
                AtomicInteger fires = new AtomicInteger();
                AtomicReference<Throwable> watchSaw = new AtomicReference<>();
                boolean[] watched = new boolean[1];
                // the caller closes, the helper watches after a delay that homes in on the close
                long delay = window.next();
                racer.race(ctx::close, () -> {
                    AsyncSelectorWatchChainTest.busyWaitNanos(delay);
                    try {
                        sel.watch(ctx, fires::incrementAndGet);
                        watched[0] = true;
                    } catch (Throwable t) {
                        watchSaw.set(t);
                    }
                });
                window.moveTowardsTheOther(watched[0]);
                if (watchSaw.get() != null) {
                    assertThat(watchSaw.get()).isInstanceOf(IllegalStateException.class);
                }
                turns.await();
                assertThat(fires.get()).as("round %d: fires of a watch %s", round, watched[0] ? "armed" : "refused")
                        .isEqualTo(watched[0] ? 1 : 0);
                assertThat(fd.channel().isRegistered()).as("round %d: the fd still registered", round).isFalse();
                armed += watched[0] ? 1 : 0;
                if (fds.size() == 100) {
                    fds.forEach(WakeupFd::close);
                    fds.clear();
                }
            }
            fds.forEach(WakeupFd::close);
            assertThat(hooks.errors).isEmpty();
            System.out.printf("AsyncWaitCtx close/watch race: the watch was armed in %d of %d rounds%n", armed, rounds);
        }
    }
}
