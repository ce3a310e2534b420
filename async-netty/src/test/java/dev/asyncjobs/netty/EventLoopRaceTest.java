package dev.asyncjobs.netty;

import static dev.asyncjobs.netty.TestSupport.CONTINUATION;
import static dev.asyncjobs.netty.TestSupport.WAIT;
import static dev.asyncjobs.netty.TestSupport.drain;
import static dev.asyncjobs.netty.TestSupport.group;
import static dev.asyncjobs.netty.TestSupport.onLoop;
import static dev.asyncjobs.netty.TestSupport.onLoopUnchecked;
import static dev.asyncjobs.netty.TestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Racer;
import dev.asyncjobs.testsupport.Threads;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;

/**
 * Races of thousands of rounds on a Netty event loop (async-reactor's {@code RaceTest} runs them on
 * the job loops): a paused job's wake-ups (its fd, watched by the loop's own selector on NIO or by
 * the fallback selector on epoll; its ctx callback) against each other and against a cancel, and
 * the cancel of a job waiting for a slot against the slot freeing. In every round the job is
 * resumed once, on its loop, its cleanup runs once, and it has exactly one outcome (its value
 * signalled, discarded or dropped, or the cancel seen in the job); each event loop's pool has one
 * slot and {@link NoJobsPolicy#FAIL}, so a slot a round leaked fails the next round's job. The
 * cancel starts 0 to 950 us late round by round, so that both sides of each race win on a quiet
 * machine too (asserted: a race one side always wins tests nothing).
 */
@Timeout(180)
class EventLoopRaceTest {
    private static final int ROUNDS = 2_000;
    /** Each event loop's pool: one slot, so a leaked slot fails the next job at once. */
    private static final JobOptions ONE_SLOT = NettyJobs.preferEventLoop(
            JobOptions.builder().onNoJobs(NoJobsPolicy.FAIL).build(), 1);

    /**
     * Not a leak: the JVM's own threads (virtual threads' carriers, ...), and JUnit's, which starts
     * the watcher of its @Timeouts at the first test method and keeps it.
     */
    private static final Predicate<Thread> JVM_OR_JUNIT =
            Threads.JVM_OWN.or(t -> t.getName().equals("junit-jupiter-timeout-watcher"));

    private final List<Throwable> dropped = new CopyOnWriteArrayList<>();
    /** Values that reached a subscriber after its dispose() began (Reactor's onNextDropped). */
    private final List<Object> nextDropped = new CopyOnWriteArrayList<>();
    private Set<Thread> threadsBefore;
    private int fdsBefore;
    private Racer racer;
    /** What reached {@link AsyncHooks#onError}: a wake-up or cleanup that failed where no one saw it. */
    private final List<Throwable> hookErrors = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        // what lives for the rest of the run: the fallback job loops of the options above, the
        // socket the JDK dup2s over a registered channel being closed (made at the first close),
        // and /dev/random and /dev/urandom, which the JDK opens for good when Netty extracts its
        // epoll library to a temporary file
        JobLoopGroup.shared();
        Fds.warmUpNio();
        Epoll.isAvailable();
        threadsBefore = Threads.live();
        fdsBefore = Fds.count();
        racer = new Racer(1, "netty-racer");
        AsyncHooks.setOnError(hookErrors::add);
        Hooks.onErrorDropped(dropped::add);
        Hooks.onNextDropped(nextDropped::add);
    }

    @AfterEach
    void tearDown() {
        try {
            assertThat(hookErrors).as("errors that reached AsyncHooks").isEmpty();
            assertThat(dropped).as("errors Reactor dropped").isEmpty();
        } finally {
            Hooks.resetOnErrorDropped();
            Hooks.resetOnNextDropped();
            AsyncHooks.resetOnError();
            racer.close();
        }
        // every round's fd closed by its cleanup; the loops, the racer and the selector gone
        Fds.awaitAtMost("after the races", fdsBefore, WAIT);
        Threads.awaitNoneStartedSince("after the races", threadsBefore, JVM_OR_JUNIT, WAIT);
    }

    /** A job that waits on its own fd and its ctx callback, and counts how it ended. */
    static final class Probe {
        final EventLoop loop;
        final AtomicInteger resumes = new AtomicInteger();
        final AtomicInteger cleanups = new AtomicInteger();
        final AtomicInteger cancelSeen = new AtomicInteger();
        /** Continuation backend: resumes that ran anywhere but on {@link #loop}'s thread. */
        final AtomicInteger offLoop = new AtomicInteger();
        volatile boolean paused;
        volatile WakeupFd fd;
        volatile WaitCallback callback;
        volatile Object callbackArg;
        /** Set before the callback is called, so the resumed job knows why it woke. */
        volatile boolean called;

        Probe(EventLoop loop) {
            this.loop = loop;
        }

        JobFunction<Integer> job(int value) {
            return () -> {
                WakeupFd f = WakeupFd.open();
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                ctx.setWaitFd(this, f.channel(), f, (c, k, ch, data) -> {
                    cleanups.incrementAndGet();
                    ((WakeupFd) data).close();
                });
                fd = f;
                callback = ctx.getCallback();
                callbackArg = ctx.getCallbackArg();
                paused = true;
                for (;;) {
                    boolean ok = AsyncJob.pause();
                    resumes.incrementAndGet();
                    if (CONTINUATION && !loop.inEventLoop()) {
                        offLoop.incrementAndGet();
                    }
                    if (!ok) {
                        cancelSeen.incrementAndGet();
                        throw new CancellationException("cancelled while paused");
                    }
                    if (f.drain() || called) {
                        return value;
                    }
                }
            };
        }

        void signalFd() {
            fd.signal();
        }

        void callBack() {
            called = true;
            callback.onWake(callbackArg);
        }
    }

    /** Who won the rounds of one race. */
    private static final class Tally {
        int cancelWon;
        int wakeWon;
    }

    /**
     * One round: a job paused on {@code loop}, {@code a} raced against {@code b}, the invariants
     * checked. With {@code cancelRaces}, {@code b} is the cancel and any one outcome is right;
     * otherwise the job must signal its value.
     */
    private void round(int i, EventLoop loop, JobOptions options, boolean cancelRaces, Tally tally,
            BiConsumer<Probe, Disposable> a, BiConsumer<Probe, Disposable> b)
            throws Exception {
        Probe p = new Probe(loop);
        List<Object> signals = new CopyOnWriteArrayList<>();
        List<Object> discarded = new CopyOnWriteArrayList<>();
        List<Thread> signalThreads = new CopyOnWriteArrayList<>();
        int droppedBefore = nextDropped.size();
        Disposable d = onLoop(loop, () -> AsyncMono.fromJob(p.job(i), options)
                .doOnDiscard(Object.class, discarded::add)
                .subscribe(v -> {
                    signalThreads.add(Thread.currentThread());
                    signals.add(v);
                }, e -> {
                    signalThreads.add(Thread.currentThread());
                    signals.add(e);
                }, () -> signals.add("complete")));
        Await.until(() -> "round " + i + ": the job started", WAIT, () -> p.paused);
        drain(loop); // the segment that set it has ended: the job is paused, its fd armed
        long lateNanos = cancelRaces ? (i % 20) * 50_000L : 0;
        racer.race(() -> a.accept(p, d), () -> {
            spin(lateNanos);
            b.accept(p, d);
        });
        Await.until(() -> "round " + i + ": cleanup ran, " + p.cleanups, WAIT, () -> p.cleanups.get() == 1);
        drain(loop); // the ctx closes before the subscriber is told, in the same task of the loop's
        assertThat(p.resumes).as("round %d: resumes", i).hasValue(1);
        assertThat(p.offLoop).as("round %d: resumed off the loop", i).hasValue(0);
        assertThat(signalThreads).as("round %d: signalled on the loop", i).allMatch(loop::inEventLoop);
        if (cancelRaces) {
            // Cancel won in the job: it threw its CancellationException, which is not signalled.
            // The wake-up won: its value went out whole, or to onDiscard (the cancel reached the
            // subscription first) or to onNextDropped (the dispose began first).
            IntSupplier outcomes = () -> p.cancelSeen.get() + signals.size() / 2 + discarded.size()
                    + nextDropped.size() - droppedBefore;
            assertThat(signals).as("round %d", i).isIn(List.of(), List.of(i, "complete"));
            assertThat(discarded).as("round %d", i).isIn(List.of(), List.of(i));
            assertThat(outcomes.getAsInt()).as("round %d: exactly one outcome", i).isEqualTo(1);
            if (p.cancelSeen.get() == 1) {
                tally.cancelWon++;
            } else {
                tally.wakeWon++;
            }
        } else {
            assertThat(signals).as("round %d", i).containsExactly(i, "complete");
        }
    }

    /** Busy-waits {@code nanos} (under a millisecond: a park would take longer than asked). */
    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /**
     * {@value #ROUNDS} rounds of {@code a} against {@code b} on a new event loop of {@code transport};
     * with {@code cancelRaces} both sides must have won some; on NIO every round's fd must have left
     * the loop's selector afterwards.
     */
    private void races(IoHandlerFactory transport, JobOptions options, boolean cancelRaces,
            BiConsumer<Probe, Disposable> a, BiConsumer<Probe, Disposable> b) throws Exception {
        MultiThreadIoEventLoopGroup g = group(1, transport);
        try {
            EventLoop loop = g.next();
            Tally tally = new Tally();
            for (int i = 0; i < ROUNDS; i++) {
                round(i, loop, options, cancelRaces, tally, a, b);
            }
            if (cancelRaces) {
                assertThat(tally.cancelWon).as("rounds the cancel won").isPositive();
                assertThat(tally.wakeWon).as("rounds the wake-up won").isPositive();
            }
            if (NettyJobs.watchesFdsOnLoop(loop)) {
                NioFdWatcher w = onLoop(loop, EventLoopLookup::watcherHere);
                assertThat(w).isNotNull();
                Await.until(() -> "the loop's selector let go of the closed fds, " + onLoopUnchecked(loop, w::registered)
                        + " left", WAIT, () -> onLoopUnchecked(loop, w::registered) == 0);
            }
        } finally {
            shutdown(g);
        }
    }

    @Test
    void cancelVersusFdReadyOnTheLoopsOwnSelector() throws Exception {
        races(NioIoHandler.newFactory(), ONE_SLOT, true, (p, d) -> p.signalFd(), (p, d) -> d.dispose());
    }

    @Test
    void cancelVersusFdReadyOnEpollWithTheFallbackSelector() throws Exception {
        assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
        try (AsyncSelector fallback = AsyncSelector.open("netty-race-fallback")) {
            JobOptions options = TestSupport.preferEventLoop(fallback, 1).onNoJobs(NoJobsPolicy.FAIL).build();
            races(EpollIoHandler.newFactory(), options, true, (p, d) -> p.signalFd(), (p, d) -> d.dispose());
        }
    }

    @Test
    void cancelVersusCallback() throws Exception {
        races(NioIoHandler.newFactory(), ONE_SLOT, true, (p, d) -> p.callBack(), (p, d) -> d.dispose());
    }

    @Test
    void fdReadyVersusCallback() throws Exception {
        // the fd that lost is left readable, nobody waits on it: no spin, and it leaves the selector
        races(NioIoHandler.newFactory(), ONE_SLOT, false, (p, d) -> p.signalFd(), (p, d) -> p.callBack());
    }

    @Test
    void cancelWhileWaitingForTheLoopsSlotVersusTheSlotFreeing() throws Exception {
        MultiThreadIoEventLoopGroup g = group(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = g.next();
            JobOptions waitForSlot = ONE_SLOT.toBuilder().onNoJobs(NoJobsPolicy.WAIT).build();
            Tally tally = new Tally();
            for (int i = 0; i < ROUNDS; i++) {
                int round = i;
                int droppedBefore = nextDropped.size();
                Probe holder = new Probe(loop);
                List<Object> holderSignals = new CopyOnWriteArrayList<>();
                onLoop(loop, () -> AsyncMono.fromJob(holder.job(round), ONE_SLOT)
                        .subscribe(holderSignals::add, holderSignals::add));
                Await.until(() -> "round " + round + ": the holder started", WAIT, () -> holder.paused);
                AtomicInteger waiterRuns = new AtomicInteger();
                List<Object> waiterSignals = new CopyOnWriteArrayList<>();
                List<Object> waiterDiscarded = new CopyOnWriteArrayList<>();
                Disposable waiter = onLoop(loop, () -> AsyncMono.fromJob(waiterRuns::incrementAndGet, waitForSlot)
                        .doOnDiscard(Integer.class, waiterDiscarded::add)
                        .subscribe(waiterSignals::add, waiterSignals::add));
                drain(loop); // the waiter's start found the one slot taken: it waits for it
                assertThat(waiterRuns).hasValue(0);
                long lateNanos = (i % 20) * 50_000L;
                racer.race(holder::callBack, () -> {
                    spin(lateNanos);
                    waiter.dispose();
                });
                Await.until(() -> "round " + round + ": the holder ended, " + holderSignals, WAIT,
                        () -> holder.cleanups.get() == 1 && holderSignals.size() == 1);
                // the waiter's start, queued by the slot's release inside the holder's last task, ran
                drain(loop);
                assertThat(holderSignals).containsExactly(i);
                assertThat(waiterRuns.get()).as("round %d: the waiter ran at most once", i).isLessThanOrEqualTo(1);
                assertThat(waiterSignals).as("round %d: the waiter's value only if it won", i)
                        .isIn(List.of(), List.of(1));
                // a waiter that ran had its value emitted, discarded (cancel first) or dropped (the
                // subscriber's dispose first), never lost
                assertThat(waiterSignals.size() + waiterDiscarded.size() + nextDropped.size() - droppedBefore)
                        .as("round %d: the value of a run is emitted, discarded or dropped: runs %s, signals %s,"
                                + " discarded %s", i, waiterRuns, waiterSignals, waiterDiscarded)
                        .isEqualTo(waiterRuns.get());
                if (waiterRuns.get() == 0) {
                    tally.cancelWon++;
                } else {
                    tally.wakeWon++;
                }
            }
            assertThat(tally.cancelWon).as("rounds the cancel won").isPositive();
            assertThat(tally.wakeWon).as("rounds the freed slot won").isPositive();
            // the slot was never leaked: a job that may not wait still gets it
            TestSupport.Outcome<String> last = new TestSupport.Outcome<>();
            onLoop(loop, () -> last.subscribe(AsyncMono.fromJob(() -> "slot free", ONE_SLOT)));
            assertThat(last.get()).isEqualTo("slot free");
        } finally {
            shutdown(g);
        }
    }
}
