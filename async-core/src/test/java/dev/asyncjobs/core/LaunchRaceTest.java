package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.flush;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Racer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The races of {@link AsyncJobs#launch}, thousands of rounds each: fd vs callback (exactly one
 * resume per wake-up), cancel vs fd, cancel vs callback, cancel vs a freed slot. Every round must
 * end (a lost wake-up hangs and times out), every observer is told exactly once after the ctx
 * closed, and at the end no job, slot, thread or fd is left.
 */
@Timeout(120)
class LaunchRaceTest {
    private String name;
    private JobLoopGroup group;
    private JobOptions options;
    private Racer racer;
    private int fdBaseline;

    @BeforeEach
    void start() {
        fdBaseline = CoreTestSupport.fdBaseline();
        name = CoreTestSupport.uniqueName("jl-race");
        group = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name(name).build();
        options = JobOptions.builder().loops(group).build();
        racer = new Racer(1, name + "-racer");
    }

    @AfterEach
    void stop() {
        racer.close();
        group.close();
        CoreTestSupport.assertNoThreadsLeft(name);
        CoreTestSupport.assertFdsBackTo(fdBaseline);
    }

    private void assertNothingLeft() {
        flush(group.loop(0));
        assertThat(group.liveJobs()).isZero();
        assertThat(CoreTestSupport.onLoop(group.loop(0), CoreTestSupport::jobsInUse)).isZero();
    }

    /**
     * One job pausing {@code rounds} times on an fd; each pause is woken by its fd and its ctx
     * callback at once. The job checks at each resume that the wake-up was meant for this pause:
     * a resume before this round's wakers were started is allowed only as the carry-over of a
     * callback that the previous round's caller saw succeed ({@code onWake} returned true while
     * the job was running: that wake-up is kept for the next pause, by design).
     */
    private static final class FdAndCallbackJob {
        final int rounds;
        final WakeupFd fd = WakeupFd.open();
        final AtomicReference<WaitCallback> callback = new AtomicReference<>();
        final AtomicInteger announced = new AtomicInteger(-1);
        final AtomicIntegerArray started;
        final AtomicIntegerArray callbackTook;
        final AtomicInteger racersDone = new AtomicInteger(-1);
        final AtomicInteger carryOvers = new AtomicInteger();
        final List<String> violations = new CopyOnWriteArrayList<>();
        final boolean carryOverAllowed;

        FdAndCallbackJob(int rounds, boolean carryOverAllowed) {
            this.rounds = rounds;
            this.started = new AtomicIntegerArray(rounds);
            this.callbackTook = new AtomicIntegerArray(rounds);
            this.carryOverAllowed = carryOverAllowed;
        }

        JobFunction<Integer> function() {
            return () -> {
                AsyncWaitCtx c = AsyncJob.current().waitCtx();
                c.setWaitFd(this, fd.channel(), null, null);
                callback.set(c.getCallback());
                int resumes = 0;
                int allowance = 0;
                for (int r = 0; r < rounds; r++) {
                    announced.set(r);
                    for (;;) {
                        if (!AsyncJob.pause()) {
                            violations.add("round " + r + ": pause returned false");
                            return -1;
                        }
                        resumes++;
                        if (started.get(r) == 1) {
                            break;
                        }
                        if (carryOverAllowed && allowance > 0) {
                            allowance--;
                            carryOvers.incrementAndGet();
                            continue; // the carried-over callback: pause again for this round
                        }
                        violations.add("round " + r + ": resumed before any wake-up of this round");
                        return -2;
                    }
                    for (int spins = 0; racersDone.get() < r; spins++) {
                        Await.backOff(spins); // the losing waker may still be running
                    }
                    fd.drain();
                    allowance = callbackTook.get(r);
                }
                return resumes;
            };
        }

        void awaitAnnounced(int r) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (int spins = 0; announced.get() < r; spins++) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("round " + r + ": the job never got there; violations " + violations);
                }
                Await.backOff(spins);
            }
        }

        void fire(Racer racer, int r) {
            WaitCallback cb = callback.get();
            started.set(r, 1);
            racer.race(() -> callbackTook.set(r, cb.onWake(null) ? 1 : 0), fd::signal);
        }

        int callbackWins() {
            int n = 0;
            for (int i = 0; i < rounds; i++) {
                n += callbackTook.get(i);
            }
            return n;
        }
    }

    @Test
    void fdAndCallbackTogetherResumeEachPauseOnceOnALoop() {
        FdAndCallbackJob job = new FdAndCallbackJob(3_000, true);
        RecordingObserver<Integer> obs = new RecordingObserver<>();
        AsyncJobs.launch(job.function(), options, obs);
        for (int r = 0; r < job.rounds; r++) {
            job.awaitAnnounced(r);
            job.fire(racer, r);
            job.racersDone.set(r);
        }
        RecordingObserver.Call c = obs.await();
        assertThat(job.violations).isEmpty();
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.value()).as("one resume per round plus the carried-over callbacks")
                .isEqualTo(job.rounds + job.carryOvers.get());
        assertThat(job.carryOvers.get()).isLessThanOrEqualTo(job.callbackWins());
        System.out.printf("fd vs callback on a loop: callback took %d of %d rounds, %d carried over%n",
                job.callbackWins(), job.rounds, job.carryOvers.get());
        job.fd.close();
        assertNothingLeft();
        assertThat(obs.calls).hasSize(1);
    }

    @Test
    void fdAndCallbackTogetherResumeEachPauseExactlyOnceOnAConfinedExecutor() throws Exception {
        // The executor is held busy while the two wakers race, so neither can land while the job
        // runs: exactly one of them resumes each pause and nothing is carried over.
        ExecutorService single = Executors.newSingleThreadExecutor(r -> new Thread(r, name + "-single"));
        try (AsyncSelector sel = AsyncSelector.open(name + "-sel")) {
            FdAndCallbackJob job = new FdAndCallbackJob(2_000, false);
            RecordingObserver<Integer> obs = new RecordingObserver<>();
            AsyncJobs.launch(job.function(), JobOptions.builder().placement(JobPlacement.confined(sel, 0)).build(), single, obs);
            for (int r = 0; r < job.rounds; r++) {
                job.awaitAnnounced(r);
                CountDownLatch holding = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                single.execute(() -> {
                    holding.countDown();
                    CoreTestSupport.await(release, "release");
                });
                CoreTestSupport.await(holding, "the executor to be held");
                job.fire(racer, r);
                job.racersDone.set(r);
                release.countDown();
            }
            RecordingObserver.Call c = obs.await();
            assertThat(job.violations).isEmpty();
            assertThat(c.value()).as("exactly one resume per pause").isEqualTo(job.rounds);
            assertThat(job.carryOvers).hasValue(0);
            System.out.printf("fd vs callback on an executor: callback took %d, the fd %d of %d rounds%n",
                    job.callbackWins(), job.rounds - job.callbackWins(), job.rounds);
            single.submit(() -> { }).get();
            assertThat(obs.calls).hasSize(1);
            assertThat(single.submit(CoreTestSupport::jobsInUse).get()).isZero();
            job.fd.close();
        } finally {
            single.shutdown();
            assertThat(single.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** What one cancel-race round saw. */
    private record Outcome(String jobEnd, RecordingObserver<String> observer, JobTicket ticket, AtomicInteger cleanups) {
    }

    private void checkCancelRound(int round, Outcome o, String normalEnd) {
        RecordingObserver.Call c = o.observer().await();
        String where = "round " + round + ": " + c + ", job ended " + o.jobEnd();
        assertThat(c.probe()).as(where + ": ctx closed before the observer").isEqualTo(1);
        assertThat(o.cleanups()).as(where).hasValue(1);
        CoreTestSupport.spinUntil(where + ": isDone (set once the observer returned)", o.ticket()::isDone);
        assertThat(c.thread()).as(where).isSameAs(group.loop(0).thread());
        assertThat(c.error()).as(where).isNull();
        if ("cancelled true".equals(c.value())) {
            assertThat(c.kind()).as(where + ": a cancelled job's outcome is dropped").isEqualTo("dropped");
        } else {
            assertThat(c.value()).as(where).isEqualTo(normalEnd);
            assertThat(c.kind()).as(where).isIn("success", "dropped");
        }
    }

    @Test
    void cancelRacingWithTheFdAlwaysEndsTheJobOnce() {
        int rounds = 2_000;
        List<Outcome> outcomes = new ArrayList<>();
        int cancelled = 0;
        for (int round = 0; round < rounds; round++) {
            WakeupFd fd = WakeupFd.open();
            AtomicInteger cleanups = new AtomicInteger();
            CountDownLatch pausing = new CountDownLatch(1);
            RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
            JobTicket t = AsyncJobs.launch(JobLoopLaunchTest.waitOnFd(fd, cleanups, pausing), options, obs);
            CoreTestSupport.await(pausing, "round " + round + ": the job to set its fd");
            racer.race(t::cancel, fd::signal);
            Outcome o = new Outcome(null, obs, t, cleanups);
            checkCancelRound(round, o, "woken");
            if ("dropped".equals(obs.await().kind())) {
                cancelled++;
            }
            outcomes.add(o);
        }
        assertNothingLeft();
        for (Outcome o : outcomes) {
            assertThat(o.observer().calls).hasSize(1);
        }
        System.out.printf("cancel vs fd: %d of %d rounds dropped%n", cancelled, rounds);
    }

    @Test
    void cancelRacingWithTheCallbackAlwaysEndsTheJobOnce() {
        int rounds = 2_000;
        List<Outcome> outcomes = new ArrayList<>();
        int cancelled = 0;
        for (int round = 0; round < rounds; round++) {
            AtomicInteger cleanups = new AtomicInteger();
            AtomicReference<WaitCallback> cb = new AtomicReference<>();
            AtomicBoolean completed = new AtomicBoolean();
            RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
            WakeupFd unused = WakeupFd.open(); // an fd that never fires, so the ctx has a cleanup
            JobTicket t = AsyncJobs.launch(() -> {
                AsyncWaitCtx c = AsyncJob.current().waitCtx();
                c.setWaitFd("idle", unused.channel(), unused, (x, k, ch, d) -> {
                    cleanups.incrementAndGet();
                    ((WakeupFd) d).close();
                });
                cb.set(c.getCallback());
                do {
                    if (!AsyncJob.pause()) {
                        return "cancelled " + AsyncJob.current().isCancelled();
                    }
                } while (!completed.get());
                return "completed";
            }, options, obs);
            int r = round;
            CoreTestSupport.spinUntil("round " + r + ": the callback", () -> cb.get() != null);
            racer.race(t::cancel, () -> {
                completed.set(true);
                cb.get().onWake(null);
            });
            Outcome o = new Outcome(null, obs, t, cleanups);
            checkCancelRound(round, o, "completed");
            if ("dropped".equals(obs.await().kind())) {
                cancelled++;
            }
            outcomes.add(o);
        }
        assertNothingLeft();
        for (Outcome o : outcomes) {
            assertThat(o.observer().calls).hasSize(1);
        }
        System.out.printf("cancel vs callback: %d of %d rounds dropped%n", cancelled, rounds);
    }

    @Test
    void cancelOfAWaitingLaunchRacingWithItsSlotFreeing() {
        // pool of one: A holds the slot, B waits for it; A is woken (freeing the slot) while B is
        // cancelled. B either never runs (dropped, no value) or runs once; nothing hangs or leaks.
        int rounds = 1_000;
        int neverRan = 0;
        for (int round = 0; round < rounds; round++) {
            AtomicReference<WaitCallback> cbA = new AtomicReference<>();
            RecordingObserver<String> obsA = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                cbA.set(AsyncJob.current().waitCtx().getCallback());
                AsyncJob.pause();
                return "a";
            }, options, obsA);
            AtomicInteger bRuns = new AtomicInteger();
            RecordingObserver<String> obsB = new RecordingObserver<>();
            JobTicket b = AsyncJobs.launch(() -> "b" + bRuns.incrementAndGet(), options, obsB);
            flush(group.loop(0)); // B has met NO_JOBS and waits
            assertThat(cbA.get()).isNotNull();
            racer.race(b::cancel, () -> cbA.get().onWake(null));
            assertThat(obsA.await().value()).isEqualTo("a");
            RecordingObserver.Call cb = obsB.await();
            flush(group.loop(0));
            String where = "round " + round + ": " + cb;
            assertThat(obsB.calls).as(where).hasSize(1);
            assertThat(bRuns.get()).as(where).isBetween(0, 1);
            if (bRuns.get() == 0) {
                neverRan++;
                assertThat(cb.kind()).as(where).isEqualTo("dropped");
                assertThat(cb.value()).as(where).isNull();
            } else {
                assertThat(cb.value()).as(where).isEqualTo("b1");
                assertThat(cb.kind()).as(where).isIn("success", "dropped");
            }
            assertThat(b.isDone()).isTrue();
            assertThat(group.liveJobs()).as(where).isZero();
        }
        assertNothingLeft();
        System.out.printf("cancel vs slot: B never ran in %d of %d rounds%n", neverRan, rounds);
    }
}
