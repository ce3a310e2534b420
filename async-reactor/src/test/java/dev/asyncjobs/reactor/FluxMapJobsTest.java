package dev.asyncjobs.reactor;

import java.time.Duration;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Racer;
import dev.asyncjobs.testsupport.Threads;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.NoJobsPolicy;
import io.micrometer.context.ContextRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.test.StepVerifier;
import reactor.util.context.Context;

/**
 * {@link FluxMapJobs}, the operator behind {@link AsyncFlux#mapJobs}: races of thousands of rounds
 * (cancel against the jobs' completion, a job's failure against completion and against cancel),
 * resources after many streams (fds, pool slots, threads), full pools, and context propagation.
 * In every round every job ends, its cleanup runs once, every value a job returned is emitted or
 * discarded exactly once, at most one terminal signal goes out, and no error is lost or dropped
 * unless it had nowhere to go.
 */
class FluxMapJobsTest {
    private static final int ROUNDS = 2_000;
    /** Values are offset so they never mix with discarded source elements. */
    private static final int VALUE = 1_000;

    private JobLoopGroup loops;
    private JobOptions options;
    private TestSupport.HookErrors hookErrors;
    private final List<Throwable> dropped = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        loops = JobLoopGroup.builder().threads(2).name("mapjobs").build();
        options = JobOptions.builder().loops(loops).build();
        hookErrors = new TestSupport.HookErrors();
        Hooks.onErrorDropped(dropped::add);
    }

    @AfterEach
    void tearDown() {
        try {
            TestSupport.await(() -> loops.liveJobs() == 0, () -> "no live jobs: " + loops.liveJobs());
            assertThat(hookErrors.errors).isEmpty();
            assertThat(dropped).isEmpty();
        } finally {
            Hooks.resetOnErrorDropped();
            hookErrors.close();
            loops.close();
        }
    }

    /** What one stream did: its signals, its discards, and its jobs. */
    private static final class Stream {
        final List<Object> signals = new CopyOnWriteArrayList<>();
        final List<Object> discarded = new CopyOnWriteArrayList<>();
        final List<Probe> probes = new CopyOnWriteArrayList<>();
        /** Probes (also in {@link #probes}) whose job throws instead of returning a value. */
        final Set<Probe> failing = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final AtomicInteger inside = new AtomicInteger();
        final AtomicBoolean overlap = new AtomicBoolean();

        Disposable subscribe(Flux<Integer> flux) {
            return flux.doOnDiscard(Integer.class, v -> {
                if (v >= VALUE) {
                    discarded.add(v); // a job's value (source elements are below VALUE)
                }
            }).subscribe(this::record, this::record, () -> record("complete"));
        }

        private void record(Object signal) {
            if (inside.getAndIncrement() != 0) {
                overlap.set(true);
            }
            signals.add(signal);
            inside.decrementAndGet();
        }

        long terminals() {
            return signals.stream().filter(s -> s instanceof Throwable || "complete".equals(s)).count();
        }

        List<Object> values() {
            return signals.stream().filter(s -> s instanceof Integer).toList();
        }

        long paused() {
            return probes.stream().filter(p -> p.paused.getCount() == 0).count();
        }
    }

    /**
     * The invariants every round must keep once its jobs ended: one cleanup per job, no overlap, at
     * most one terminal signal and nothing after it, values in source order, and every value a job
     * returned (one that did not see its cancel) emitted or discarded exactly once.
     */
    private void settle(int round, Stream s) {
        TestSupport.await(() -> loops.liveJobs() == 0, () -> "round " + round + ": no live jobs");
        for (Probe p : s.probes) {
            // a job cancelled while it waited for a pool slot never started
            assertThat(p.cleanups).as("round %d: cleanups of a job that started %d times", round, p.started.get())
                    .hasValue(p.started.get() == 0 ? 0 : 1);
        }
        assertThat(s.overlap).as("round %d: signals overlapped", round).isFalse();
        assertThat(s.terminals()).as("round %d: %s", round, s.signals).isLessThanOrEqualTo(1);
        if (s.terminals() == 1) {
            Object last = s.signals.get(s.signals.size() - 1);
            assertThat(last instanceof Throwable || "complete".equals(last)).as("round %d: last %s", round, s.signals)
                    .isTrue();
        }
        List<Object> values = s.values();
        assertThat(values).as("round %d: in order", round).isSortedAccordingTo((a, b) -> (Integer) a - (Integer) b);
        List<Object> all = new ArrayList<>(values);
        all.addAll(s.discarded);
        Set<Object> returned = new HashSet<>();
        for (int i = 0; i < s.probes.size(); i++) {
            Probe p = s.probes.get(i);
            if (p.started.get() > 0 && p.cancelSeen.get() == 0 && !s.failing.contains(p)) {
                returned.add(VALUE + i);
            }
        }
        assertThat(all).as("round %d: emitted %s, discarded %s", round, values, s.discarded)
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(returned);
    }

    private Flux<Integer> pausingJobs(Flux<Integer> source, Stream s, int maxInFlight) {
        return AsyncFlux.mapJobs(source, i -> {
            Probe p = new Probe();
            s.probes.add(p);
            return p.job(VALUE + i);
        }, maxInFlight, options);
    }

    @Test
    @Timeout(120)
    void aCancelRacingTheJobsCompletionEndsEveryJobAndEmitsOrDiscardsEveryValueOnce() throws Exception {
        int completed = 0;
        try (Racer racer = new Racer(1, "mapjobs-racer")) {
            for (int round = 0; round < ROUNDS; round++) {
                Stream s = new Stream();
                Disposable d = s.subscribe(pausingJobs(Flux.range(0, 4), s, 4));
                int r = round;
                TestSupport.await(() -> s.paused() == 4, () -> "round " + r + ": four jobs paused");
                long delay = ThreadLocalRandom.current().nextLong(1_000_000); // ns, up to 1 ms: either side may win, on either backend
                racer.race(() -> s.probes.forEach(Probe::callBack), () -> {
                    long until = System.nanoTime() + delay;
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                    d.dispose();
                });
                settle(round, s);
                if (s.terminals() == 1) {
                    assertThat(s.signals).as("round %d", round).endsWith("complete");
                    assertThat(s.values()).hasSize(4);
                    completed++;
                }
            }
        }
        // both sides won sometimes: the race was real
        assertThat(completed).isPositive().isLessThan(ROUNDS);
    }

    @Test
    @Timeout(120)
    void aJobFailureRacingTheOthersCompletionIsTheOneTerminalSignal() throws Exception {
        try (Racer racer = new Racer(1, "mapjobs-racer")) {
            for (int round = 0; round < ROUNDS; round++) {
                Stream s = new Stream();
                Probe failing = new Probe();
                s.subscribe(AsyncFlux.mapJobs(Flux.range(0, 4), i -> {
                    if (i == 3) {
                        return () -> {
                            failing.waitForWake();
                            throw new IOException("job 3 failed");
                        };
                    }
                    Probe p = new Probe();
                    s.probes.add(p);
                    return p.job(VALUE + i);
                }, 4, options));
                int r = round;
                TestSupport.await(() -> s.paused() == 3 && failing.paused.getCount() == 0,
                        () -> "round " + r + ": four jobs paused");
                racer.race(() -> s.probes.forEach(Probe::callBack), failing::callBack);
                TestSupport.await(() -> s.terminals() == 1, () -> "round " + r + ": a terminal signal " + s.signals);
                TestSupport.await(() -> failing.cleanups.get() == 1, () -> "round " + r + ": job 3 ended");
                settle(round, s);
                assertThat(s.signals.get(s.signals.size() - 1)).as("round %d", round)
                        .isInstanceOf(IOException.class);
            }
        }
    }

    @Test
    @Timeout(120)
    void aJobFailureRacingACancelIsSignalledOrDroppedNeverLost() throws Exception {
        int signalled = 0;
        try (Racer racer = new Racer(1, "mapjobs-racer")) {
            for (int round = 0; round < ROUNDS; round++) {
                Stream s = new Stream();
                Probe failing = new Probe();
                Disposable d = s.subscribe(AsyncFlux.mapJobs(Flux.range(0, 2), i -> {
                    if (i == 1) {
                        return () -> {
                            failing.waitForWake();
                            throw new IOException("job 1 failed");
                        };
                    }
                    Probe p = new Probe();
                    s.probes.add(p);
                    return p.job(VALUE + i);
                }, 2, options));
                int r = round;
                TestSupport.await(() -> s.paused() == 1 && failing.paused.getCount() == 0,
                        () -> "round " + r + ": both jobs paused");
                // the dispose starts 0-980 us late (20 us steps), round by round: on a quiet machine a dispose at
                // once nearly always beats the resume, fail and emit on the loop, and both orders
                // must be seen (the assertion after the loop)
                long lateNanos = (round % 50) * 20_000L;
                racer.race(failing::callBack, () -> {
                    spinFor(lateNanos);
                    d.dispose();
                });
                TestSupport.await(() -> failing.cleanups.get() == 1, () -> "round " + r + ": job 1 ended");
                settle(round, s);
                // the failure reached the subscriber, or the error hook, or the job saw the cancel first
                TestSupport.await(() -> errors(s) + dropped.size() + failing.cancelSeen.get() == 1,
                        () -> "round " + r + ": the failure went somewhere once: " + s.signals + " " + dropped);
                signalled += (int) errors(s);
                dropped.clear();
            }
        }
        assertThat(signalled).isPositive();
    }

    private static long errors(Stream s) {
        return s.signals.stream().filter(x -> x instanceof IOException).count();
    }

    @Test
    @Timeout(120)
    void manyStreamsLeaveNoFdSlotOrThreadBehind() throws Exception {
        loops.close();
        Set<Thread> threadsBefore = Threads.live();
        int fdsBefore = Fds.count();
        List<String> fdsBeforeText = Fds.targets();
        // two slots per loop: a slot that leaked would stall the later streams for good
        loops = JobLoopGroup.builder().threads(2).maxJobsPerLoop(2).name("mapjobs-leak").build();
        options = JobOptions.builder().loops(loops).build();
        for (int round = 0; round < 300; round++) {
            Stream s = new Stream();
            int kind = round % 3;
            Flux<Integer> source = Flux.range(0, 12);
            Disposable d = s.subscribe(AsyncFlux.mapJobs(source, i -> {
                Probe p = new Probe();
                s.probes.add(p);
                if (kind == 1 && i == 5) {
                    s.failing.add(p);
                    return () -> {
                        p.waitForWake();
                        throw new IOException("job 5 failed");
                    };
                }
                return p.job(VALUE + i);
            }, 6, options));
            int r = round;
            if (kind == 2) {
                TestSupport.await(() -> s.paused() >= 2, () -> "round " + r + ": jobs paused");
                d.dispose();
            } else {
                // an engine thread wakes every job as it pauses, until the stream ends
                while (s.terminals() == 0) {
                    for (Probe p : s.probes) {
                        if (p.paused.getCount() == 0 && !p.called) {
                            p.callBack();
                        }
                    }
                    Thread.onSpinWait();
                }
            }
            settle(round, s);
            if (kind == 0) {
                assertThat(s.values()).hasSize(12);
            }
        }
        // every slot is free again: as many jobs as the pools hold can be paused at once
        Stream s = new Stream();
        Disposable d = s.subscribe(pausingJobs(Flux.range(0, 4), s, 4));
        TestSupport.await(() -> s.paused() == 4, () -> "all four slots free, paused: " + s.paused());
        d.dispose();
        settle(-1, s);
        loops.close();
        assertThat(loops.awaitTermination(java.time.Duration.ofSeconds(20))).isTrue();
        Fds.awaitAtMost("mapJobs streams; open before: " + fdsBeforeText, fdsBefore, Duration.ofSeconds(20));
        Threads.awaitNoneStartedSince("mapJobs streams", threadsBefore, Threads.JVM_OWN, Duration.ofSeconds(20));
    }

    @Test
    @Timeout(60)
    void jobsThatFindThePoolFullWaitForASlotInOrder() {
        loops.close();
        loops = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("mapjobs-nojobs").build();
        options = JobOptions.builder().loops(loops).onNoJobs(NoJobsPolicy.WAIT).build();
        AtomicInteger alive = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        StepVerifier.create(AsyncFlux.mapJobs(Flux.range(0, 200), i -> () -> {
                    peak.accumulateAndGet(alive.incrementAndGet(), Math::max);
                    try {
                        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                        ctx.getCallback().onWake(ctx.getCallbackArg());
                        AsyncJob.pause();
                        return i;
                    } finally {
                        alive.decrementAndGet();
                    }
                }, 8, options))
                .expectNextSequence(IntStream.range(0, 200).boxed().toList())
                .verifyComplete();
        assertThat(peak).hasValue(1);
    }

    @Test
    @Timeout(60)
    void aCancelReachesJobsWaitingForASlotAndTheyNeverStart() throws Exception {
        loops.close();
        loops = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("mapjobs-nojobs").build();
        options = JobOptions.builder().loops(loops).onNoJobs(NoJobsPolicy.WAIT).build();
        Stream s = new Stream();
        Disposable d = s.subscribe(pausingJobs(Flux.range(0, 4), s, 4));
        TestSupport.await(() -> s.paused() == 1, () -> "the first job paused");
        TestSupport.await(() -> loops.liveJobs() == 4, () -> "three more wait for the slot: " + loops.liveJobs());
        d.dispose();
        TestSupport.await(() -> loops.liveJobs() == 0, () -> "every job ended");
        assertThat(s.probes).hasSize(4);
        assertThat(s.probes.get(0).cancelSeen).hasValue(1);
        assertThat(s.probes.subList(1, 4)).allSatisfy(p -> assertThat(p.started).hasValue(0));
        assertThat(s.signals).isEmpty();
    }

    @Test
    @Timeout(60)
    void everySegmentOfEveryJobSeesTheSubscribersContext() {
        String key = "asyncjobs.test.mapjobs.tenant";
        ThreadLocal<String> tenant = new ThreadLocal<>();
        ContextRegistry.getInstance().registerThreadLocalAccessor(key, tenant);
        Hooks.enableAutomaticContextPropagation();
        try {
            JobFunction<String> seen = () -> {
                String atStart = tenant.get();
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                ctx.getCallback().onWake(ctx.getCallbackArg());
                AsyncJob.pause();
                return atStart + "/" + tenant.get();
            };
            StepVerifier.create(AsyncFlux.mapJobs(Flux.range(0, 20), i -> seen, 4, options)
                            .contextWrite(Context.of(key, "acme")))
                    .expectNextSequence(IntStream.range(0, 20).mapToObj(i -> "acme/acme").toList())
                    .verifyComplete();
        } finally {
            Hooks.disableAutomaticContextPropagation();
            ContextRegistry.getInstance().removeThreadLocalAccessor(key);
        }
    }

    @Test
    @Timeout(60)
    void aCancelledJobsLateFailureGoesToTheDroppedHookAndAHeldValueToDiscard() {
        List<Object> discarded = new CopyOnWriteArrayList<>();
        AtomicInteger ended = new AtomicInteger();
        AtomicBoolean started = new AtomicBoolean();
        Disposable d = AsyncFlux.mapJobs(Flux.range(0, 2), i -> () -> {
                    try {
                        if (i == 1) {
                            return VALUE + 1; // done at once, held behind job 0
                        }
                        started.set(true);
                        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                        for (;;) {
                            ctx.getCallback().onWake(ctx.getCallbackArg()); // yields until cancelled
                            if (!AsyncJob.pause()) {
                                throw new IOException("late failure"); // nobody is listening any more
                            }
                        }
                    } finally {
                        ended.incrementAndGet();
                    }
                }, 2, options)
                .doOnDiscard(Integer.class, discarded::add)
                .subscribe();
        // job 1 ended and job 0 runs (a cancel before its start would keep it from ever running)
        TestSupport.await(() -> ended.get() == 1 && started.get(), () -> "job 1 ended, job 0 started");
        d.dispose();
        TestSupport.await(() -> ended.get() == 2, () -> "job 0 ended");
        TestSupport.await(() -> dropped.size() == 1 && discarded.size() == 1,
                () -> "the late failure dropped: " + dropped + ", the value discarded: " + discarded);
        assertThat(dropped.get(0)).hasMessage("late failure");
        assertThat(discarded).containsExactly(VALUE + 1);
        dropped.clear();
    }

    /** Busy-waits {@code nanos}: a delay too short for a sleep, to spread a race's outcomes. */
    static void spinFor(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }
}
