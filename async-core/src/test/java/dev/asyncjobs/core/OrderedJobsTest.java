package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.assertNpeNaming;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Racer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link OrderedJobs} on its own, through a recording {@link OrderedJobs.Bridge} and the test as
 * its source: element order, the bound and both demands, a job's failure, a source error, cancel
 * (with held values discarded, late failures dropped), §3.9, the bridge's scope around every
 * segment, a cancel racing the jobs' end (thousands of rounds), and the arguments. After each test
 * no job, thread or fd is left.
 */
@Timeout(120)
class OrderedJobsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private String name;
    private int fdBaseline;
    private JobLoopGroup loops;
    private JobOptions options;

    @BeforeEach
    void start() {
        fdBaseline = CoreTestSupport.fdBaseline();
        name = CoreTestSupport.uniqueName("ordered-jobs");
        loops = JobLoopGroup.builder().threads(2).name(name).build();
        options = JobOptions.builder().loops(loops).build();
    }

    @AfterEach
    void stop() {
        try {
            Await.until("no live jobs", WAIT, () -> loops.liveJobs() == 0);
        } finally {
            loops.close();
        }
        CoreTestSupport.assertNoThreadsLeft(name);
        CoreTestSupport.assertFdsBackTo(fdBaseline);
    }

    /** The adapter side, recorded: every emit, the upstream's requests and cancels, discards, drops. */
    static class Recorder implements OrderedJobs.Bridge<Integer> {
        final List<Object> signals = new CopyOnWriteArrayList<>();
        final AtomicLong upstreamRequested = new AtomicLong();
        final AtomicInteger upstreamCancels = new AtomicInteger();
        final List<Integer> discarded = new CopyOnWriteArrayList<>();
        final List<Throwable> dropped = new CopyOnWriteArrayList<>();
        final AtomicInteger inside = new AtomicInteger();
        final AtomicBoolean overlap = new AtomicBoolean();

        private void record(Object signal) {
            if (inside.getAndIncrement() != 0) {
                overlap.set(true);
            }
            signals.add(signal);
            inside.decrementAndGet();
        }

        @Override
        public void emitNext(Integer value) {
            record(value);
        }

        @Override
        public void emitError(Throwable error) {
            record(error);
        }

        @Override
        public void emitComplete() {
            record("complete");
        }

        @Override
        public void onCancelled() {
            record("cancelled");
        }

        @Override
        public void requestUpstream(long n) {
            upstreamRequested.addAndGet(n);
        }

        @Override
        public void cancelUpstream() {
            upstreamCancels.incrementAndGet();
        }

        @Override
        public void discard(Integer value) {
            discarded.add(value);
        }

        @Override
        public void dropError(Throwable error) {
            dropped.add(error);
        }

        List<Object> values() {
            return signals.stream().filter(s -> s instanceof Integer).toList();
        }

        /** Terminal signals and {@code onCancelled}: exactly one ends every stream. */
        long ends() {
            return terminals() + signals.stream().filter("cancelled"::equals).count();
        }

        long terminals() {
            return signals.stream().filter(s -> s instanceof Throwable || "complete".equals(s)).count();
        }
    }

    /** A job that pauses until {@link #wake} (then returns its value or throws) or its cancel. */
    static final class Job {
        final int value;
        final CountDownLatch paused = new CountDownLatch(1);
        final AtomicInteger starts = new AtomicInteger();
        final AtomicInteger ends = new AtomicInteger();
        final AtomicBoolean cancelSeen = new AtomicBoolean();
        volatile @Nullable WaitCallback callback;
        volatile @Nullable Object arg;
        volatile boolean woken;
        volatile @Nullable Exception failure;

        Job(int value) {
            this.value = value;
        }

        Job failing(Exception e) {
            failure = e;
            return this;
        }

        JobFunction<Integer> fn() {
            return () -> {
                starts.incrementAndGet();
                try {
                    AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                    arg = ctx.getCallbackArg();
                    callback = ctx.getCallback();
                    paused.countDown();
                    for (;;) {
                        if (!AsyncJob.pause()) {
                            cancelSeen.set(true);
                            throw new CancellationException("cancelled while paused");
                        }
                        if (woken) {
                            Exception e = failure;
                            if (e != null) {
                                throw e;
                            }
                            return value;
                        }
                    }
                } finally {
                    ends.incrementAndGet();
                }
            };
        }

        Job awaitPaused() {
            Await.latch(paused, WAIT, "job " + value + " paused");
            return this;
        }

        void wake() {
            woken = true;
            WaitCallback c = callback;
            assertThat(c).as("job %d paused first", value).isNotNull();
            c.onWake(arg);
        }
    }

    private static List<Job> jobs(int n) {
        return IntStream.range(0, n).mapToObj(Job::new).toList();
    }

    private void settled() {
        Await.until("no live jobs", WAIT, () -> loops.liveJobs() == 0);
    }

    @Test
    void resultsComeInElementOrderWithinDemandAndTheSourceIsAskedForOneMorePerSlotThatGoes() {
        Recorder r = new Recorder();
        OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 3, options);
        ordered.start();
        assertThat(r.upstreamRequested).as("the first maxInFlight").hasValue(3);
        List<Job> jobs = jobs(3);
        jobs.forEach(j -> assertThat(ordered.add(j.fn())).isTrue());
        jobs.forEach(Job::awaitPaused);
        ordered.request(1);

        jobs.get(2).wake();
        jobs.get(1).wake();
        Await.until("jobs 1 and 2 ended", WAIT, () -> jobs.get(1).ends.get() == 1 && jobs.get(2).ends.get() == 1);
        assertThat(r.signals).as("nothing before job 0's result").isEmpty();
        assertThat(r.upstreamRequested).hasValue(3);

        jobs.get(0).wake();
        // the drain asks the source for one more right after the emit, on the loop thread
        Await.until("job 0's result and one more element", WAIT,
                () -> r.signals.size() == 1 && r.upstreamRequested.get() == 4);
        settled();
        assertThat(r.signals).as("demand 1: the others wait").containsExactly(0);
        assertThat(r.upstreamRequested).as("one more per slot that went, no more").hasValue(4);

        ordered.request(5);
        Await.until("the held results", WAIT, () -> r.signals.size() == 3 && r.upstreamRequested.get() == 6);
        assertThat(r.signals).containsExactly(0, 1, 2);

        // a job that returns null emits nothing, and still frees its slot
        assertThat(ordered.add(() -> null)).isTrue();
        Await.until("the null result's slot went", WAIT, () -> r.upstreamRequested.get() == 7);
        assertThat(ordered.isTerminated()).isFalse();
        ordered.sourceComplete();
        Await.until("completion", WAIT, () -> r.terminals() == 1);
        assertThat(r.signals).containsExactly(0, 1, 2, "complete");
        assertThat(ordered.isSourceDone()).isTrue();
        assertThat(ordered.isTerminated()).isTrue();
        assertThat(ordered.requested()).isEqualTo(6);
        assertThat(ordered.maxInFlight()).isEqualTo(3);
        assertThat(ordered.add(new Job(9).fn())).as("after the source's end").isFalse();
        ordered.cancel();
        assertThat(r.signals).as("a cancel after the end: no onCancelled").containsExactly(0, 1, 2, "complete");
        assertThat(r.upstreamCancels).as("the late cancel still reaches the source (a no-op there)").hasValue(1);
        assertThat(r.discarded).isEmpty();
        assertThat(r.dropped).isEmpty();
        assertThat(r.overlap).isFalse();
    }

    @Test
    void aJobsFailureCancelsTheSourceAndTheOtherJobsAndIsTheOneTerminalSignal() {
        Recorder r = new Recorder();
        OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 4, options);
        ordered.start();
        ordered.request(Long.MAX_VALUE);
        IOException boom = new IOException("job 1 failed");
        List<Job> jobs = List.of(new Job(0), new Job(1).failing(boom), new Job(2));
        jobs.forEach(j -> ordered.add(j.fn()));
        jobs.forEach(Job::awaitPaused);
        jobs.get(1).wake();
        Await.until("the error", WAIT, () -> r.terminals() == 1);
        settled();
        assertThat(r.signals).containsExactly(boom);
        assertThat(ordered.error()).as("emitted: no longer pending").isNull();
        assertThat(r.upstreamCancels.get()).isPositive();
        assertThat(jobs.get(0).cancelSeen).as("job 0 cancelled").isTrue();
        assertThat(jobs.get(2).cancelSeen).as("job 2 cancelled").isTrue();
        assertThat(r.dropped).as("a cancelled job's CancellationException is its expected answer").isEmpty();
        assertThat(ordered.add(new Job(3).fn())).as("after the end").isFalse();
    }

    @Test
    void aSourceErrorCancelsTheJobsAndIsEmittedAndALateOneIsDropped() {
        Recorder r = new Recorder();
        OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 2, options);
        ordered.start();
        ordered.request(1);
        Job job = new Job(0);
        ordered.add(job.fn());
        job.awaitPaused();
        IOException boom = new IOException("source failed");
        ordered.sourceError(boom);
        Await.until("the error", WAIT, () -> r.terminals() == 1);
        settled();
        assertThat(r.signals).containsExactly(boom);
        assertThat(job.cancelSeen).isTrue();
        IOException late = new IOException("after the end");
        ordered.sourceError(late);
        ordered.sourceComplete();
        assertThat(r.signals).containsExactly(boom);
        assertThat(r.dropped).containsExactly(late);
    }

    @Test
    void aCancelCancelsTheSourceAndEveryJobDiscardsHeldValuesAndDropsLateFailures() {
        Recorder r = new Recorder();
        OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 3, options);
        ordered.start();
        ordered.request(Long.MAX_VALUE);
        Job first = new Job(0);
        ordered.add(first.fn());
        AtomicBoolean secondRan = new AtomicBoolean();
        assertThat(ordered.add(() -> {
            secondRan.set(true);
            return 1; // ends at once, held behind job 0
        })).isTrue();
        CountDownLatch latePaused = new CountDownLatch(1);
        ordered.add(() -> {
            latePaused.countDown();
            AsyncJob.pause(); // resumed cancelled
            throw new IOException("late failure");
        });
        first.awaitPaused();
        Await.latch(latePaused, WAIT, "the third job paused");
        // job 1 may run on the other loop after job 2 paused; a job counts as live until its observer was told
        Await.until("job 1 ran and ended", WAIT, () -> secondRan.get() && loops.liveJobs() == 2);
        ordered.cancel();
        ordered.cancel(); // idempotent
        settled();
        Await.until("the held value discarded", WAIT, () -> r.discarded.size() == 1);
        assertThat(r.signals).as("no emit after a cancel, onCancelled once").containsExactly("cancelled");
        assertThat(r.discarded).containsExactly(1);
        assertThat(r.upstreamCancels).hasValue(1);
        assertThat(ordered.isCancelled()).isTrue();
        assertThat(first.cancelSeen).isTrue();
        assertThat(r.dropped).as("a failure nobody will see; not job 0's CancellationException")
                .singleElement().satisfies(e -> assertThat(e).hasMessage("late failure"));
        assertThat(ordered.add(() -> 3)).as("after the cancel: not launched").isFalse();
        ordered.request(1);
        ordered.sourceComplete();
        settled();
        assertThat(r.signals).containsExactly("cancelled");
    }

    @Test
    void aNonPositiveRequestEndsTheStreamWithTheBridgesErrorAndCancelsEverything() {
        Recorder r = new Recorder();
        OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 2, options);
        ordered.start();
        Job job = new Job(0);
        ordered.add(job.fn());
        job.awaitPaused();
        ordered.request(0);
        Await.until("the error", WAIT, () -> r.terminals() == 1);
        settled();
        assertThat(r.signals).singleElement().isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(((Throwable) e).getMessage()).contains("§3.9").endsWith(" 0"));
        assertThat(r.upstreamCancels.get()).isPositive();
        assertThat(job.cancelSeen).isTrue();
        ordered.request(-1); // after the end: nothing more
        assertThat(r.signals).hasSize(1);
        assertThat(r.dropped).isEmpty();
    }

    @Test
    void everySegmentOfEveryJobRunsInTheBridgesScope() {
        ThreadLocal<String> tenant = new ThreadLocal<>();
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        Recorder r = new Recorder() {
            @Override
            public @Nullable AutoCloseable onSegmentStart() {
                opened.incrementAndGet();
                String before = tenant.get();
                tenant.set("acme");
                return () -> {
                    tenant.set(before);
                    closed.incrementAndGet();
                };
            }
        };
        OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 4, options);
        ordered.start();
        ordered.request(Long.MAX_VALUE);
        List<String> seen = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            int v = i;
            ordered.add(() -> {
                String atStart = tenant.get();
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                ctx.getCallback().onWake(ctx.getCallbackArg()); // a yield: woken before it pauses
                AsyncJob.pause();
                seen.add(atStart + "/" + tenant.get());
                return v;
            });
        }
        ordered.sourceComplete();
        Await.until("completion", WAIT, () -> r.terminals() == 1);
        settled();
        assertThat(r.values()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(seen).hasSize(8).allSatisfy(s -> assertThat(s).isEqualTo("acme/acme"));
        Await.until("two segments per job, each scope closed", WAIT, () -> closed.get() == 16);
        assertThat(opened).hasValue(16);
    }

    @Test
    void aCancelRacingTheJobsEndEndsEveryJobOnceAndEmitsOrDiscardsEveryValueOnce() {
        int completed = 0;
        int rounds = 2_000;
        try (Racer racer = new Racer(1, name + "-racer")) {
            for (int round = 0; round < rounds; round++) {
                Recorder r = new Recorder();
                OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 4, options);
                ordered.start();
                ordered.request(Long.MAX_VALUE);
                List<Job> jobs = jobs(4);
                jobs.forEach(j -> ordered.add(j.fn()));
                ordered.sourceComplete();
                jobs.forEach(Job::awaitPaused);
                long delay = ThreadLocalRandom.current().nextLong(1_000_000); // ns, up to 1 ms: either side may win
                racer.race(() -> jobs.forEach(Job::wake), () -> {
                    long until = System.nanoTime() + delay;
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                    ordered.cancel();
                });
                settled();
                int rd = round;
                for (Job j : jobs) {
                    assertThat(j.starts).as("round %d", rd).hasValue(1);
                    assertThat(j.ends).as("round %d", rd).hasValue(1);
                }
                Set<Integer> returned = new HashSet<>();
                jobs.stream().filter(j -> !j.cancelSeen.get()).forEach(j -> returned.add(j.value));
                // a value held when the cancel came is discarded by the cancel's drain, which may
                // still be running on the racer thread: wait for every returned value to be placed
                Await.until(() -> "round " + rd + ": returned " + returned + ", emitted " + r.values() + ", discarded "
                        + r.discarded, WAIT, () -> r.values().size() + r.discarded.size() >= returned.size());
                List<Object> values = r.values();
                assertThat(values).as("round %d: in order", round)
                        .isEqualTo(IntStream.range(0, values.size()).boxed().toList());
                List<Object> all = new ArrayList<>(values);
                all.addAll(r.discarded);
                assertThat(all).as("round %d: emitted %s, discarded %s", round, values, r.discarded)
                        .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(returned);
                assertThat(r.ends()).as("round %d: one end, %s", round, r.signals).isEqualTo(1);
                assertThat(r.overlap).as("round %d", round).isFalse();
                assertThat(r.dropped).as("round %d", round).isEmpty();
                if (r.terminals() == 1) {
                    assertThat(r.signals).as("round %d", round).containsExactly(0, 1, 2, 3, "complete");
                    completed++;
                } else {
                    assertThat(r.signals).as("round %d: the end is last", round).endsWith("cancelled");
                }
            }
        }
        // both sides won sometimes: the race was real
        assertThat(completed).isPositive().isLessThan(rounds);
    }

    @Test
    void argumentsAreChecked() {
        Recorder r = new Recorder();
        assertNpeNaming("bridge", () -> new OrderedJobs<Integer>(null, 1, options));
        assertNpeNaming("options", () -> new OrderedJobs<>(r, 1, null));
        assertThatThrownBy(() -> new OrderedJobs<>(r, 0, options)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxInFlight");
        OrderedJobs<Integer> ordered = new OrderedJobs<>(r, 1, options);
        assertNpeNaming("job", () -> ordered.add(null));
        assertNpeNaming("error", () -> ordered.sourceError(null));
        assertThat(r.signals).isEmpty();
        assertThat(r.upstreamRequested).hasValue(0);
    }

    @Test
    void requireLoopsAcceptsLoopPlacementsAndRefusesAConfinedOneNamingTheStage() {
        assertThat(OrderedJobs.requireLoops(options, "stage")).isSameAs(options);
        assertThat(OrderedJobs.requireLoops(JobOptions.defaults(), "stage")).isSameAs(JobOptions.defaults());
        JobOptions confined = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 0)).build();
        assertThatThrownBy(() -> OrderedJobs.requireLoops(confined, "MyStage.map"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MyStage.map runs jobs on job loops");
        assertNpeNaming("options", () -> OrderedJobs.requireLoops(null, "stage"));
        assertNpeNaming("what", () -> OrderedJobs.requireLoops(options, null));
    }
}
