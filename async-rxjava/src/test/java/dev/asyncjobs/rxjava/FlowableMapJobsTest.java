package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.subscribers.TestSubscriber;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link FlowableMapJobs}, the operator behind {@link AsyncFlowable#mapJobs}: §3.9 for a
 * {@code FlowableSubscriber}, races of thousands of rounds (cancel against the jobs' completion, a
 * job's failure against completion and against cancel), resources after many streams (fds, pool
 * slots, threads) and full pools. In every round every job ends and its cleanup runs once, values
 * come in source order, at most one terminal signal goes out, and a failure is signalled or
 * undeliverable, never lost (the base class checks the hooks are empty after each test).
 */
class FlowableMapJobsTest extends TestSupport {
    private static final int ROUNDS = 2_000;

    private JobLoopGroup loops;
    private JobOptions opts;

    @BeforeEach
    void startLoops() {
        loops = JobLoopGroup.builder().threads(2).name("flowable-mapjobs").build();
        opts = JobOptions.builder().loops(loops).build();
    }

    @AfterEach
    void stopLoops() {
        try {
            await("every job done", () -> loops.liveJobs() == 0);
        } finally {
            loops.close();
        }
    }

    private static List<PausingJob<Integer>> jobs(int n) {
        List<PausingJob<Integer>> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(new PausingJob<>(i));
        }
        return jobs;
    }

    /** Every started job ended with its cleanup run once; none is left on the loops. */
    private void settled(int round, List<PausingJob<Integer>> jobs) {
        await("round " + round + ": jobs ended", () -> loops.liveJobs() == 0);
        for (PausingJob<Integer> j : jobs) {
            assertThat(j.cleanups).as("round %d: cleanups of a job started %d times", round, j.starts.get())
                    .hasValue(j.starts.get() == 0 ? 0 : 1);
            assertThat(j.ends).as("round %d", round).hasValue(j.starts.get());
        }
    }

    @Test
    @Timeout(60)
    void aNonPositiveRequestFromAFlowableSubscriberIsAnIllegalArgumentErrorAndCancelsEverything() {
        List<PausingJob<Integer>> jobs = jobs(10);
        AtomicBoolean sourceCancelled = new AtomicBoolean();
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 10).doOnCancel(() -> sourceCancelled.set(true)),
                jobs::get, 3, opts).test(1);
        jobs.subList(0, 3).forEach(PausingJob::awaitPaused);
        jobs.get(0).signalFd();
        await("the first value", () -> ts.values().size() == 1);
        ts.request(0);
        ts.awaitDone(10, TimeUnit.SECONDS)
                .assertValues(0)
                .assertError(IllegalArgumentException.class)
                .assertError(e -> e.getMessage().contains("§3.9"));
        assertThat(sourceCancelled).isTrue();
        settled(0, jobs);
        assertThat(jobs.subList(1, 3)).allSatisfy(j -> assertThat(j.cancelledSeen).isTrue());
        assertThat(jobs.subList(4, 10)).allSatisfy(j -> assertThat(j.starts).hasValue(0));
        ts.request(-1); // after the end: nothing more
        ts.assertValueCount(1).assertError(IllegalArgumentException.class);
    }

    @Test
    @Timeout(120)
    void aCancelRacingTheJobsCompletionEndsEveryJobOnce() {
        int completions = 0;
        for (int round = 0; round < ROUNDS; round++) {
            List<PausingJob<Integer>> jobs = jobs(4);
            AtomicBoolean completed = new AtomicBoolean();
            TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 4), jobs::get, 4, opts)
                    .doOnComplete(() -> completed.set(true)).test();
            jobs.forEach(PausingJob::awaitPaused);
            long delay = ThreadLocalRandom.current().nextLong(1_000_000); // ns, up to 1 ms: either side may win, on either backend
            race(() -> jobs.forEach(PausingJob::callBack), () -> {
                long until = System.nanoTime() + delay;
                while (System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                ts.cancel();
            });
            settled(round, jobs);
            List<Integer> values = ts.values();
            assertThat(values).as("round %d: in order", round).isEqualTo(IntStream.range(0, values.size()).boxed().toList());
            ts.assertNoErrors();
            if (completed.get()) {
                ts.assertResult(0, 1, 2, 3);
                completions++;
            }
        }
        // both sides won sometimes: the race was real
        assertThat(completions).isPositive().isLessThan(ROUNDS);
    }

    @Test
    @Timeout(120)
    void aJobFailureRacingTheOthersCompletionIsTheOneTerminalSignal() {
        for (int round = 0; round < ROUNDS; round++) {
            List<PausingJob<Integer>> jobs = jobs(3);
            IOException boom = new IOException("job 3 failed");
            PausingJob<Integer> failing = new PausingJob<>(3).failAfterResume(boom);
            TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 4),
                    i -> i == 3 ? failing : jobs.get(i), 4, opts).test();
            jobs.forEach(PausingJob::awaitPaused);
            failing.awaitPaused();
            race(() -> jobs.forEach(PausingJob::callBack), failing::callBack);
            ts.awaitDone(10, TimeUnit.SECONDS).assertError(boom).assertNotComplete();
            List<Integer> values = ts.values();
            assertThat(values).as("round %d: in order", round).isEqualTo(IntStream.range(0, values.size()).boxed().toList());
            failing.awaitEnded();
            List<PausingJob<Integer>> all = new ArrayList<>(jobs);
            all.add(failing);
            settled(round, all);
        }
    }

    @Test
    @Timeout(120)
    void aJobFailureRacingACancelIsSignalledOrUndeliverableNeverLost() {
        int signalled = 0;
        for (int round = 0; round < ROUNDS; round++) {
            PausingJob<Integer> first = new PausingJob<>(0);
            IOException boom = new IOException("job 1 failed");
            PausingJob<Integer> failing = new PausingJob<>(1).failAfterResume(boom);
            AtomicInteger errors = new AtomicInteger();
            TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 2),
                    i -> i == 1 ? failing : first, 2, opts).doOnError(e -> errors.incrementAndGet()).test();
            first.awaitPaused();
            failing.awaitPaused();
            // the cancel starts 0-980 us late (20 us steps), round by round: on a quiet machine a cancel at once
            // nearly always beats the resume, fail and emit on the loop, and both orders must be seen
            long lateNanos = (round % 50) * 20_000L;
            race(failing::callBack, () -> {
                long end = System.nanoTime() + lateNanos;
                while (System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                }
                ts.cancel();
            });
            failing.awaitEnded();
            settled(round, List.of(first, failing));
            // the failure goes to the subscriber or, once it cancelled, to the plugins: once either way
            List<Throwable> undeliverable = new ArrayList<>();
            int r = round;
            await("round " + r + ": the failure went somewhere", () -> {
                undeliverable.addAll(takeUndeliverables());
                return errors.get() + undeliverable.size() == 1;
            });
            assertThat(undeliverable).allSatisfy(e -> assertThat(e).isSameAs(boom));
            ts.assertNoValues().assertNotComplete();
            if (errors.get() == 1) {
                ts.assertError(boom);
                signalled++;
            }
        }
        assertThat(signalled).isPositive();
    }

    @Test
    @Timeout(120)
    void manyStreamsLeaveNoFdSlotOrThreadBehind() {
        loops.close();
        assertThat(loops.awaitTermination(Duration.ofSeconds(20))).isTrue();
        Fds.warmUpNio();
        Set<Thread> threadsBefore = Threads.live();
        int fdsBefore = Fds.count();
        // two slots per loop: a slot that leaked would stall the later streams for good
        loops = JobLoopGroup.builder().threads(2).maxJobsPerLoop(2).name("flowable-mapjobs-leak").build();
        opts = JobOptions.builder().loops(loops).build();
        for (int round = 0; round < 300; round++) {
            int kind = round % 3;
            List<PausingJob<Integer>> jobs = jobs(12);
            if (kind == 1) {
                jobs.set(5, new PausingJob<>(5).failAfterResume(new IOException("job 5 failed")));
            }
            AtomicBoolean ended = new AtomicBoolean();
            TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 12), jobs::get, 6, opts)
                    .doOnTerminate(() -> ended.set(true)).test();
            if (kind == 2) {
                int r = round;
                await("round " + r + ": jobs paused", () -> jobs.stream().filter(j -> j.paused.getCount() == 0).count() >= 2);
                ts.cancel();
            } else {
                // an engine thread wakes every job as it pauses, until the stream ends
                while (!ended.get()) {
                    for (PausingJob<Integer> j : jobs) {
                        if (j.paused.getCount() == 0 && !j.wake.get()) {
                            j.callBack();
                        }
                    }
                    Thread.onSpinWait();
                }
            }
            settled(round, jobs);
            if (kind == 0) {
                ts.assertResult(IntStream.range(0, 12).boxed().toArray(Integer[]::new));
            } else if (kind == 1) {
                ts.assertError(IOException.class);
            }
        }
        // every slot is free again: as many jobs as the pools hold can be paused at once
        List<PausingJob<Integer>> last = jobs(4);
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 4), last::get, 4, opts).test();
        last.forEach(PausingJob::awaitPaused);
        ts.cancel();
        settled(-1, last);
        loops.close();
        assertThat(loops.awaitTermination(Duration.ofSeconds(20))).isTrue();
        Fds.awaitAtMost("fds after 300 streams", fdsBefore, Duration.ofSeconds(20));
        Threads.awaitNoneStartedSince("300 streams", threadsBefore, Threads.JVM_OWN, Duration.ofSeconds(20));
    }

    @Test
    @Timeout(60)
    void jobsThatFindThePoolFullWaitForASlotInOrder() {
        loops.close();
        loops = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("flowable-mapjobs-nojobs").build();
        opts = JobOptions.builder().loops(loops).onNoJobs(NoJobsPolicy.WAIT).build();
        AtomicInteger alive = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AsyncFlowable.mapJobs(Flowable.range(0, 200), i -> () -> {
                    peak.accumulateAndGet(alive.incrementAndGet(), Math::max);
                    try {
                        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                        ctx.getCallback().onWake(ctx.getCallbackArg());
                        AsyncJob.pause();
                        return i;
                    } finally {
                        alive.decrementAndGet();
                    }
                }, 8, opts)
                .test().awaitDone(20, TimeUnit.SECONDS)
                .assertResult(IntStream.range(0, 200).boxed().toArray(Integer[]::new));
        assertThat(peak).hasValue(1);
    }

    @Test
    @Timeout(60)
    void aCancelReachesJobsWaitingForASlotAndTheyNeverStart() {
        loops.close();
        loops = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("flowable-mapjobs-nojobs").build();
        opts = JobOptions.builder().loops(loops).onNoJobs(NoJobsPolicy.WAIT).build();
        List<PausingJob<Integer>> jobs = jobs(4);
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 4), jobs::get, 4, opts).test();
        jobs.get(0).awaitPaused();
        await("three more wait for the slot", () -> loops.liveJobs() == 4);
        ts.cancel();
        settled(0, jobs);
        assertThat(jobs.get(0).cancelledSeen).isTrue();
        assertThat(jobs.subList(1, 4)).allSatisfy(j -> assertThat(j.starts).hasValue(0));
        ts.assertEmpty();
    }
}
