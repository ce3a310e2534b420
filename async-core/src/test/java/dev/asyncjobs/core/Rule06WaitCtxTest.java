package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.testsupport.Pipes;
import dev.asyncjobs.testsupport.Racer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 6: keys compare by identity; {@code getFd}/{@code getAllFds} skip cleared entries;
 * {@code getChangedFds} lists fds added and deleted since the job was last resumed (an fd set and
 * cleared within one run appears in neither); {@code clearFd} never runs the cleanup; {@code
 * close()} runs the cleanup of every entry not cleared, exactly once, and is idempotent; unknown
 * key: {@code getFd} null, {@code clearFd} false. Issue 2: a closed ctx throws
 * {@link IllegalStateException}; a cleanup that throws does not stop the others.
 */
@Timeout(60)
class Rule06WaitCtxTest {
    private final List<Pipe> pipes = new ArrayList<>();
    private SelectableChannel fd1;
    private SelectableChannel fd2;
    private SelectableChannel fd3;

    @BeforeEach
    void openFds() {
        fd1 = newFd();
        fd2 = newFd();
        fd3 = newFd();
    }

    @AfterEach
    void closeFds() {
        pipes.forEach(Pipes::close);
    }

    private SelectableChannel newFd() {
        Pipe p = Pipes.open();
        pipes.add(p);
        return p.source();
    }

    /** A cleanup that logs its arguments. */
    private static WaitFdCleanup logging(List<String> log) {
        return (ctx, key, fd, custom) -> log.add(key + "/" + custom);
    }

    @Test
    void keysCompareByIdentityNotEquality() {
        String key = new String("key");
        String equalKey = new String("key");
        assertThat(equalKey).isEqualTo(key).isNotSameAs(key);
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            assertThat(ctx.setWaitFd(key, fd1, "one", null)).isTrue();
            assertThat(ctx.getFd(equalKey)).as("an equal but different key finds nothing").isNull();
            assertThat(ctx.clearFd(equalKey)).isFalse();
            assertThat(ctx.setWaitFd(equalKey, fd2, "two", null)).isTrue();
            assertThat(ctx.getFd(key)).isEqualTo(new WaitFd(key, fd1, "one"));
            assertThat(ctx.getFd(key).key()).isSameAs(key);
            assertThat(ctx.getFd(equalKey)).isEqualTo(new WaitFd(equalKey, fd2, "two"));
            assertThat(ctx.getFd(equalKey).key()).isSameAs(equalKey);
            assertThat(ctx.clearFd(key)).isTrue();
            assertThat(ctx.getFd(key)).isNull();
            assertThat(ctx.getFd(equalKey)).as("clearing one key leaves the equal one").isNotNull();
            assertThat(ctx.getAllFds()).containsExactly(fd2);
        }
    }

    @Test
    void duplicateKeysFindTheNewestLiveEntry() {
        Object key = new Object();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            ctx.setWaitFd(key, fd1, "old", null);
            ctx.setWaitFd(key, fd2, "new", null);
            assertThat(ctx.getFd(key)).isEqualTo(new WaitFd(key, fd2, "new"));
            assertThat(ctx.getAllFds()).as("newest first").containsExactly(fd2, fd1);
            assertThat(ctx.clearFd(key)).isTrue();
            assertThat(ctx.getFd(key)).as("the clear took the newest").isEqualTo(new WaitFd(key, fd1, "old"));
            assertThat(ctx.getAllFds()).containsExactly(fd1);
            assertThat(ctx.clearFd(key)).isTrue();
            assertThat(ctx.getFd(key)).isNull();
            assertThat(ctx.clearFd(key)).isFalse();
            assertThat(ctx.getAllFds()).isEmpty();
        }
    }

    @Test
    void unknownKeysFindNothingAndClearNothing() {
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            assertThat(ctx.getFd("nothing set")).isNull();
            assertThat(ctx.clearFd("nothing set")).isFalse();
            ctx.setWaitFd("a", fd1, null, null);
            assertThat(ctx.getFd(new Object())).isNull();
            assertThat(ctx.clearFd(new Object())).isFalse();
            assertThat(ctx.getAllFds()).containsExactly(fd1);
            assertThat(ctx.getFd("a")).isEqualTo(new WaitFd("a", fd1, null));
        }
    }

    @Test
    void changedFdsTrackOneRunAndAreResetOnlyWhenThePausedJobIsResumed() {
        onNewThread(() -> {
            Object k1 = new Object();
            Object k2 = new Object();
            Object k3 = new Object();
            List<String> cleanups = new ArrayList<>();
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            JobHandle<Void> h = new JobHandle<>();
            // run 1: add k1, k2
            assertThat(AsyncJob.start(h, ctx, () -> {
                AsyncWaitCtx c = AsyncJob.current().waitCtx();
                c.setWaitFd(k1, fd1, "1", logging(cleanups));
                c.setWaitFd(k2, fd2, "2", logging(cleanups));
                AsyncJob.pause();
                // run 2: clear k1 (old -> deleted), add k3 and clear it (neither list)
                c.clearFd(k1);
                c.setWaitFd(k3, fd3, "3", logging(cleanups));
                c.clearFd(k3);
                AsyncJob.pause();
                // run 3: nothing changes
                AsyncJob.pause();
                // run 4: add k3 again, then finish
                c.setWaitFd(k3, fd3, "3", logging(cleanups));
                return null;
            })).isEqualTo(StartStatus.PAUSE);
            assertThat(ctx.getAllFds()).containsExactly(fd2, fd1);
            assertThat(ctx.getChangedFds()).isEqualTo(new ChangedFds(List.of(fd2, fd1), List.of()));
            assertThat(ctx.getChangedFds().added()).as("asking twice changes nothing").containsExactly(fd2, fd1);

            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
            assertThat(ctx.getAllFds()).as("a deleted entry is skipped").containsExactly(fd2);
            assertThat(ctx.getFd(k1)).isNull();
            assertThat(ctx.getFd(k3)).isNull();
            assertThat(ctx.getChangedFds()).isEqualTo(new ChangedFds(List.of(), List.of(fd1)));

            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
            assertThat(ctx.getChangedFds().isEmpty()).as("the resume purged the deleted entry").isTrue();
            assertThat(ctx.getAllFds()).containsExactly(fd2);

            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            // not reset at FINISH
            assertThat(ctx.getChangedFds()).isEqualTo(new ChangedFds(List.of(fd3), List.of()));
            // nor when a new job starts on the same ctx (and pauses without changes)
            JobHandle<Void> next = new JobHandle<>();
            assertThat(AsyncJob.start(next, ctx, Rule03PoolTest.pauseOnce())).isEqualTo(StartStatus.PAUSE);
            assertThat(ctx.getChangedFds()).isEqualTo(new ChangedFds(List.of(fd3), List.of()));
            // its resume does reset
            assertThat(AsyncJob.start(next, ctx, null)).isEqualTo(StartStatus.FINISH);
            assertThat(ctx.getChangedFds().isEmpty()).isTrue();
            assertThat(ctx.getAllFds()).containsExactly(fd3, fd2);

            ctx.close();
            // cleared entries (k1, the first k3) never get their cleanup; live ones do, newest first
            assertThat(cleanups).containsExactly(k3 + "/3", k2 + "/2");
        });
    }

    @Test
    void changedFdListsAreUnmodifiableCopies() {
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            ctx.setWaitFd("k", fd1, null, null);
            ChangedFds ch = ctx.getChangedFds();
            List<SelectableChannel> all = ctx.getAllFds();
            assertThatThrownBy(() -> ch.added().add(fd2)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> all.add(fd2)).isInstanceOf(UnsupportedOperationException.class);
            ctx.setWaitFd("k2", fd2, null, null);
            assertThat(ch.added()).as("a snapshot").containsExactly(fd1);
            assertThat(all).containsExactly(fd1);
        }
    }

    @Test
    void clearFdNeverRunsTheCleanup() {
        onNewThread(() -> {
            AtomicInteger cleanups = new AtomicInteger();
            WaitFdCleanup counting = (c, k, fd, d) -> cleanups.incrementAndGet();
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            // cleared in the run that set it
            ctx.setWaitFd("a", fd1, null, counting);
            assertThat(ctx.clearFd("a")).isTrue();
            // cleared in a later run (marked deleted, then purged at a resume)
            JobHandle<Void> h = new JobHandle<>();
            assertThat(AsyncJob.start(h, ctx, () -> {
                AsyncWaitCtx c = AsyncJob.current().waitCtx();
                c.setWaitFd("b", fd2, null, counting);
                AsyncJob.pause();
                c.clearFd("b");
                AsyncJob.pause();
                return null;
            })).isEqualTo(StartStatus.PAUSE);
            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
            assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            assertThat(cleanups).hasValue(0);
            ctx.close();
            assertThat(cleanups).as("and close does not run them either").hasValue(0);
            assertThat(fd1.isOpen()).isTrue();
            assertThat(fd2.isOpen()).isTrue();
        });
    }

    @Test
    void closeRunsEachLiveCleanupExactlyOnceWithItsArgumentsAndIsIdempotent() {
        AsyncWaitCtx ctx = new AsyncWaitCtx();
        List<String> calls = new ArrayList<>();
        Object k1 = "k1";
        Object k2 = "k2";
        WaitFdCleanup cleanup = (c, k, fd, custom) -> {
            assertThat(c).isSameAs(ctx);
            calls.add(k + ":" + (fd == fd1 ? "fd1" : fd == fd2 ? "fd2" : "?") + ":" + custom);
        };
        ctx.setWaitFd(k1, fd1, "d1", cleanup);
        ctx.setWaitFd(k2, fd2, null, cleanup);
        ctx.setWaitFd("no cleanup", fd3, "d3", null);
        assertThat(ctx.isClosed()).isFalse();
        ctx.close();
        assertThat(ctx.isClosed()).isTrue();
        assertThat(calls).containsExactly("k2:fd2:null", "k1:fd1:d1");
        ctx.close();
        ctx.close();
        assertThat(calls).as("idempotent").hasSize(2);
    }

    @Test
    void concurrentClosesRunEachCleanupExactlyOnce() throws Exception {
        try (Racer racer = new Racer(1, "ctx-close-race")) {
            for (int round = 0; round < 3_000; round++) {
                AsyncWaitCtx ctx = new AsyncWaitCtx();
                AtomicInteger a = new AtomicInteger();
                AtomicInteger b = new AtomicInteger();
                ctx.setWaitFd("a", fd1, null, (c, k, fd, d) -> a.incrementAndGet());
                ctx.setWaitFd("b", fd2, null, (c, k, fd, d) -> b.incrementAndGet());
                racer.race(ctx::close, ctx::close);
                assertThat(a.get()).as("round %d", round).isEqualTo(1);
                assertThat(b.get()).as("round %d", round).isEqualTo(1);
            }
        }
    }

    @Test
    void aThrowingCleanupDoesNotStopTheOthersAndCloseRethrowsTheFirst() {
        AsyncWaitCtx ctx = new AsyncWaitCtx();
        List<String> ran = Collections.synchronizedList(new ArrayList<>());
        IllegalStateException oldest = new IllegalStateException("oldest fails");
        IllegalArgumentException newest = new IllegalArgumentException("newest fails");
        ctx.setWaitFd("oldest", fd1, null, (c, k, fd, d) -> {
            ran.add("oldest");
            throw oldest;
        });
        ctx.setWaitFd("middle", fd2, null, (c, k, fd, d) -> ran.add("middle"));
        ctx.setWaitFd("newest", fd3, null, (c, k, fd, d) -> {
            ran.add("newest");
            throw newest;
        });
        // cleanups run newest first, so the first to throw is "newest"
        assertThatThrownBy(ctx::close).isSameAs(newest);
        assertThat(newest.getSuppressed()).containsExactly(oldest);
        assertThat(ran).containsExactly("newest", "middle", "oldest");
        assertThat(ctx.isClosed()).isTrue();
        ctx.close(); // idempotent, and does not throw again
        assertThat(ran).hasSize(3);
    }

    @Test
    void aCleanupThrowingAnErrorStillLetsTheOthersRunAndTheErrorIsRethrown() {
        AsyncWaitCtx ctx = new AsyncWaitCtx();
        AtomicInteger others = new AtomicInteger();
        Rule02JobFailureTest.CustomError error = new Rule02JobFailureTest.CustomError("cleanup error");
        ctx.setWaitFd("a", fd1, null, (c, k, fd, d) -> others.incrementAndGet());
        ctx.setWaitFd("b", fd2, null, (c, k, fd, d) -> {
            throw error;
        });
        ctx.setWaitFd("c", fd3, null, (c, k, fd, d) -> others.incrementAndGet());
        assertThatThrownBy(ctx::close).isSameAs(error);
        assertThat(others).hasValue(2);
    }

    @Test
    void aClosedCtxRefusesUse() {
        AsyncWaitCtx ctx = new AsyncWaitCtx();
        ctx.setWaitFd("k", fd1, null, null);
        ctx.close();
        assertClosed(() -> ctx.setWaitFd("k2", fd2, null, null));
        assertClosed(() -> ctx.getFd("k"));
        assertClosed(ctx::getAllFds);
        assertClosed(ctx::getChangedFds);
        assertClosed(() -> ctx.clearFd("k"));
        assertClosed(() -> ctx.setCallback(arg -> true, null));
    }

    private static void assertClosed(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void aNewJobCannotStartOnAClosedCtx() {
        onNewThread(() -> {
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            ctx.close();
            AtomicInteger ran = new AtomicInteger();
            JobHandle<Void> h = new JobHandle<>();
            assertThat(AsyncJob.start(h, ctx, () -> {
                ran.incrementAndGet();
                return null;
            })).isEqualTo(StartStatus.ERR);
            assertThat(ran).hasValue(0);
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }

    @Test
    void aSharedCtxIsResetByTheResumeOfAnyOfItsJobs() {
        // OpenSSL's asynctest init_thread test runs three jobs on one ctx; the counts are the ctx's
        onNewThread(() -> {
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            JobHandle<Void> a = new JobHandle<>();
            JobHandle<Void> b = new JobHandle<>();
            assertThat(AsyncJob.start(a, ctx, () -> {
                AsyncJob.current().waitCtx().setWaitFd("a", fd1, null, null);
                AsyncJob.pause();
                return null;
            })).isEqualTo(StartStatus.PAUSE);
            assertThat(AsyncJob.start(b, ctx, Rule03PoolTest.pauseOnce())).isEqualTo(StartStatus.PAUSE);
            assertThat(ctx.getChangedFds().added()).containsExactly(fd1);
            assertThat(AsyncJob.start(b, ctx, null)).isEqualTo(StartStatus.FINISH);
            assertThat(ctx.getChangedFds().isEmpty()).isTrue();
            assertThat(AsyncJob.start(a, ctx, null)).isEqualTo(StartStatus.FINISH);
            assertThat(ctx.getAllFds()).containsExactly(fd1);
            ctx.close();
        });
    }
}
