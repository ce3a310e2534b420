package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.testsupport.Racer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Races of thousands of rounds: every wake-up source of a paused Mono against the others and
 * against cancel. In every round the job is resumed exactly once, its cleanup runs exactly once,
 * at most one signal reaches the subscriber, and nothing reaches an error hook.
 */
class RaceTest {
    private static final int ROUNDS = 2_000;

    private JobLoopGroup loops;
    private JobOptions options;
    private Racer racer;
    private TestSupport.HookErrors hookErrors;
    private final List<Throwable> dropped = new CopyOnWriteArrayList<>();
    /** Values that reached a subscriber after its dispose() began (Reactor's onNextDropped). */
    private final List<Object> nextDropped = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        loops = JobLoopGroup.builder().threads(2).name("race").build();
        options = JobOptions.builder().loops(loops).build();
        racer = new Racer(1, "racer");
        hookErrors = new TestSupport.HookErrors();
        Hooks.onErrorDropped(dropped::add);
        Hooks.onNextDropped(nextDropped::add);
    }

    @AfterEach
    void tearDown() {
        try {
            TestSupport.await(() -> loops.liveJobs() == 0, () -> "no live jobs: " + loops.liveJobs());
            assertThat(hookErrors.errors).isEmpty();
            assertThat(dropped).isEmpty();
        } finally {
            Hooks.resetOnErrorDropped();
            Hooks.resetOnNextDropped();
            hookErrors.close();
            racer.close();
            loops.close();
        }
    }

    /** One round: subscribe a paused job, race {@code a} against {@code b}, check the invariants. */
    private void round(int i, JobOptions opts, Scheduler scheduler, boolean cancelRaces,
            java.util.function.BiConsumer<Probe, Disposable> a, java.util.function.BiConsumer<Probe, Disposable> b)
            throws InterruptedException {
        Probe p = new Probe();
        List<Object> signals = new CopyOnWriteArrayList<>();
        List<Object> discarded = new CopyOnWriteArrayList<>();
        int droppedBefore = nextDropped.size();
        var mono = scheduler == null ? AsyncMono.fromJob(p.job(i), opts) : AsyncMono.fromJob(p.job(i), opts, scheduler);
        Disposable d = mono.doOnDiscard(Object.class, discarded::add)
                .subscribe(signals::add, signals::add, () -> signals.add("complete"));
        p.awaitPaused();
        racer.race(() -> a.accept(p, d), () -> b.accept(p, d));
        TestSupport.await(() -> p.cleanups.get() == 1, () -> "round " + i + ": cleanup ran");
        assertThat(p.resumes).as("round %d: resumes", i).hasValue(1);
        if (cancelRaces) {
            // The ctx (and so the cleanup) closes before the subscriber is signalled: wait for the
            // outcome. Cancel won in the job: it threw its CancellationException, which is not
            // signalled. The wake-up won: its value went out whole, or to onDiscard (the cancel
            // reached the subscription first) or to onNextDropped (the dispose began first).
            IntSupplier outcomes = () -> p.cancelSeen.get() + signals.size() / 2 + discarded.size()
                    + nextDropped.size() - droppedBefore;
            TestSupport.await(() -> outcomes.getAsInt() > 0, () -> "round " + i + ": an outcome: " + signals);
            assertThat(signals).as("round %d", i).isIn(List.of(), List.of(i, "complete"));
            assertThat(discarded).as("round %d", i).isIn(List.of(), List.of(i));
            assertThat(outcomes.getAsInt()).as("round %d: exactly one outcome", i).isEqualTo(1);
        } else {
            TestSupport.await(() -> signals.size() == 2, () -> "round " + i + ": value and completion");
            assertThat(signals).containsExactly(i, "complete");
        }
    }

    @Test
    void cancelVersusFdReady() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            round(i, options, null, true, (p, d) -> d.dispose(), (p, d) -> p.signalFd());
        }
    }

    @Test
    void cancelVersusCallback() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            round(i, options, null, true, (p, d) -> d.dispose(), (p, d) -> p.callBack());
        }
    }

    @Test
    void fdReadyVersusCallback() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            round(i, options, null, false, (p, d) -> p.signalFd(), (p, d) -> p.callBack());
        }
    }

    @Test
    void theSameRacesOnAUserSchedulerWithTheSelector() throws Exception {
        Scheduler single = Schedulers.newSingle("race-single");
        try (AsyncSelector selector = AsyncSelector.open("race-selector")) {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(selector, 0)).build();
            for (int i = 0; i < ROUNDS / 2; i++) {
                round(i, opts, single, true, (p, d) -> d.dispose(), (p, d) -> p.signalFd());
                round(i, opts, single, false, (p, d) -> p.signalFd(), (p, d) -> p.callBack());
            }
        } finally {
            single.dispose();
        }
    }

    @Test
    void cancelWhileWaitingForASlotVersusTheSlotFreeing() throws Exception {
        try (JobLoopGroup one = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("slot-race").build()) {
            JobOptions opts = JobOptions.builder().loops(one).build();
            int ranAfterWaiting = 0;
            int cancelledWhileQueued = 0;
            for (int i = 0; i < ROUNDS; i++) {
                int droppedBefore = nextDropped.size();
                Probe holder = new Probe();
                List<Object> holderSignals = new CopyOnWriteArrayList<>();
                AsyncMono.fromJob(holder.job(i), opts).subscribe(holderSignals::add);
                holder.awaitPaused();
                AtomicInteger waiterRuns = new AtomicInteger();
                List<Object> waiterSignals = new CopyOnWriteArrayList<>();
                List<Object> waiterDiscarded = new CopyOnWriteArrayList<>();
                Disposable waiter = AsyncMono.fromJob(waiterRuns::incrementAndGet, opts)
                        .doOnDiscard(Integer.class, waiterDiscarded::add)
                        .subscribe(waiterSignals::add, waiterSignals::add);
                int round = i;
                TestSupport.await(() -> one.liveJobs() == 2, () -> "round " + round + ": waiter queued for a slot");
                // in a quarter of the rounds the slot frees up to ~0.5 ms late, so the cancel wins
                // some rounds on a loaded machine too (it won 0 of them at load 11-22 without)
                long delayMicros = (i & 3) == 1 ? (i % 25) * 20 : 0;
                racer.race(waiter::dispose, () -> {
                    spinMicros(delayMicros);
                    holder.callBack();
                });
                // liveJobs() drops just before the ctx closes and the observer is told: wait for all three
                TestSupport.await(() -> one.liveJobs() == 0 && holder.cleanups.get() == 1 && holderSignals.size() == 1,
                        () -> "round " + round + ": both ended");
                assertThat(holderSignals).containsExactly(i);
                assertThat(waiterRuns.get()).as("round %d: the waiter ran at most once", i).isLessThanOrEqualTo(1);
                assertThat(waiterSignals).as("round %d: the waiter's value only if it won", i)
                        .isIn(List.of(), List.of(1));
                if (!waiterSignals.isEmpty()) {
                    assertThat(waiterRuns).hasValue(1);
                }
                // a waiter that ran had its value emitted, discarded (cancel first) or dropped (the
                // subscriber's dispose first), never lost
                TestSupport.await(() -> waiterSignals.size() + waiterDiscarded.size() + nextDropped.size() - droppedBefore
                                == waiterRuns.get(),
                        () -> "round " + round + ": the value of a run is emitted, discarded or dropped: runs "
                                + waiterRuns + ", signals " + waiterSignals + ", discarded " + waiterDiscarded
                                + ", dropped " + (nextDropped.size() - droppedBefore));
                assertThat(waiterDiscarded).isIn(List.of(), List.of(1));
                ranAfterWaiting += waiterRuns.get();
                cancelledWhileQueued += waiterRuns.get() == 0 ? 1 : 0;
            }
            // the slot was never leaked: a new job still gets it
            StepVerifier.create(AsyncMono.fromJob(() -> "slot free", opts)).expectNext("slot free").verifyComplete();
            // both sides of the race were reached (about half the rounds each, measured here)
            assertThat(cancelledWhileQueued).as("rounds where the cancel won").isPositive();
            assertThat(ranAfterWaiting).as("rounds where the freed slot won").isPositive();
        }
    }

    private static void spinMicros(long micros) {
        long end = System.nanoTime() + micros * 1_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
