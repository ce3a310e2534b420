package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.flush;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.engine.OffloadEngineStats;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link JobLoop#stats()}, {@link JobLoopGroup#stats()} and {@link OffloadEngine#stats()}: every
 * counter and gauge follows the jobs and calls through each of their states, and the books balance
 * (started = succeeded + failed + cancelled once all ended) under races.
 */
@Timeout(120)
class StatsTest {

    /** Publishes its callback, pauses; returns its id, or throws when {@code id} is negative. */
    static JobFunction<Integer> pausing(int id, AtomicReferenceArray<WaitCallback> callbacks) {
        return () -> {
            callbacks.set(Math.abs(id), AsyncJob.current().waitCtx().getCallback());
            AsyncJob.pause();
            if (id < 0) {
                throw new IOException("job " + id + " fails");
            }
            return id;
        };
    }

    /**
     * The job of the books-balance races: mode 3 fails at once; any other pauses once and is woken
     * from {@code pool} (racing the cancels the test makes of modes 1 and 2).
     */
    static JobFunction<Object> racingJob(int mode, java.util.concurrent.Executor pool) {
        return () -> {
            if (mode == 3) {
                throw new IOException("fails");
            }
            WaitCallback cb = AsyncJob.current().waitCtx().getCallback();
            pool.execute(() -> cb.onWake(null));
            AsyncJob.pause();
            return "done";
        };
    }

    private static void wake(AtomicReferenceArray<WaitCallback> callbacks, int id) {
        CoreTestSupport.await("job " + id + " to publish its callback", Duration.ofSeconds(10),
                () -> callbacks.get(id) != null);
        assertThat(callbacks.get(id).onWake(null)).isTrue();
    }

    @Test
    void loopStatsFollowJobsThroughEveryState() {
        String name = CoreTestSupport.uniqueName("stats-loop");
        JobLoopGroup group = JobLoopGroup.builder().threads(1).maxJobsPerLoop(2).name(name).build();
        try {
            JobOptions opts = JobOptions.builder().loops(group).build();
            AtomicReferenceArray<WaitCallback> cbs = new AtomicReferenceArray<>(8);
            List<RecordingObserver<Integer>> obs = new ArrayList<>();
            List<JobTicket> tickets = new ArrayList<>();
            for (int id : new int[] {0, -1, 2, 3}) {
                RecordingObserver<Integer> o = new RecordingObserver<>();
                obs.add(o);
                tickets.add(AsyncJobs.launch(pausing(id, cbs), opts, o));
            }
            flush(group.loop(0));
            JobLoopStats s = group.loop(0).stats();
            assertThat(s.name()).isEqualTo(name + "-0");
            assertThat(s.loops()).isEqualTo(1);
            assertThat(s.loopsRunning()).isEqualTo(1);
            assertThat(s.maxJobs()).isEqualTo(2);
            assertThat(s.jobsStarted()).as("the waiting ones ran into NO_JOBS: started").isEqualTo(4);
            assertThat(s.jobsAlive()).isEqualTo(4);
            assertThat(s.jobsPaused()).isEqualTo(2);
            assertThat(s.jobsWaitingForSlot()).isEqualTo(2);
            assertThat(s.jobsCompleted()).isZero();
            assertThat(s.slotWaits()).isZero();

            // job 3 gives up its wait for a slot: cancelled, one slot wait ended
            tickets.get(3).cancel();
            flush(group.loop(0));
            s = group.loop(0).stats();
            assertThat(s.jobsCancelled()).isEqualTo(1);
            assertThat(s.jobsWaitingForSlot()).isEqualTo(1);
            assertThat(s.slotWaits()).isEqualTo(1);
            assertThat(s.jobsAlive()).isEqualTo(3);

            // job 0 succeeds; job 2 gets its slot and pauses
            wake(cbs, 0);
            assertThat(obs.get(0).await().value()).isEqualTo(0);
            flush(group.loop(0));
            s = group.loop(0).stats();
            assertThat(s.jobsSucceeded()).isEqualTo(1);
            assertThat(s.jobsWaitingForSlot()).isZero();
            assertThat(s.slotWaits()).isEqualTo(2);
            assertThat(s.slotWaitNanos()).isPositive();
            assertThat(s.jobsPaused()).isEqualTo(2);

            // job -1 fails, job 2 is cancelled while paused
            wake(cbs, 1);
            assertThat(obs.get(1).await().kind()).isEqualTo("failure");
            tickets.get(2).cancel();
            assertThat(obs.get(2).await().kind()).isEqualTo("dropped");
            flush(group.loop(0));
            s = group.stats();
            assertThat(s.name()).isEqualTo(name);
            assertThat(s.jobsSucceeded()).isEqualTo(1);
            assertThat(s.jobsFailed()).isEqualTo(1);
            assertThat(s.jobsCancelled()).isEqualTo(2);
            assertThat(s.jobsCompleted()).isEqualTo(s.jobsStarted()).isEqualTo(4);
            assertThat(s.jobsAlive()).isZero();
            assertThat(s.jobsPaused()).isZero();
            assertThat(s.pendingTasks()).isZero();
        } finally {
            group.close();
        }
        JobLoopStats closed = group.stats();
        assertThat(closed.loopsRunning()).as("closed: no loop runs").isZero();
        assertThat(closed.loops()).isEqualTo(1);
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    @Test
    void pendingTasksShowsWhatTheLoopHasNotRunYet() throws InterruptedException {
        String name = CoreTestSupport.uniqueName("stats-tasks");
        JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name).build();
        try {
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch held = new CountDownLatch(1);
            group.loop(0).execute(() -> {
                held.countDown();
                try {
                    hold.await(); // the test holds its own loop here on purpose
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            held.await();
            for (int i = 0; i < 5; i++) {
                group.loop(0).execute(() -> { });
            }
            assertThat(group.loop(0).stats().pendingTasks()).isEqualTo(5);
            hold.countDown();
            flush(group.loop(0));
            assertThat(group.loop(0).stats().pendingTasks()).isZero();
        } finally {
            group.close();
        }
    }

    /**
     * Thousands of jobs over two loops, each woken from a foreign thread while others are cancelled
     * at random moments (before start, in a slot wait, paused): at the end the books balance and
     * every gauge is back to zero.
     */
    @Test
    void theBooksBalanceUnderRacesOfWakeAndCancel() throws Exception {
        String name = CoreTestSupport.uniqueName("stats-race");
        JobLoopGroup group = JobLoopGroup.builder().threads(2).maxJobsPerLoop(8).name(name).build();
        int rounds = 4_000;
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<RecordingObserver<Object>> obs = new ArrayList<>();
            List<Future<?>> racers = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                RecordingObserver<Object> o = new RecordingObserver<>();
                obs.add(o);
                int mode = i % 4;
                JobTicket t = AsyncJobs.launch(racingJob(mode, pool), opts, o);
                if (mode == 1) {
                    if (ThreadLocalRandom.current().nextBoolean()) {
                        racers.add(pool.submit(t::cancel));
                    } else {
                        t.cancel();
                    }
                }
            }
            for (Future<?> f : racers) {
                f.get(60, TimeUnit.SECONDS);
            }
            for (RecordingObserver<Object> o : obs) {
                o.await();
            }
            CoreTestSupport.await("every job to unlink", Duration.ofSeconds(30), () -> group.liveJobs() == 0);
            flush(group.loop(0));
            flush(group.loop(1));
            JobLoopStats s = group.stats();
            long succeeded = obs.stream().filter(o -> o.await().kind().equals("success")).count();
            long failed = obs.stream().filter(o -> o.await().kind().equals("failure")).count();
            assertThat(s.jobsSucceeded()).isEqualTo(succeeded);
            assertThat(s.jobsFailed()).isEqualTo(failed).isEqualTo(rounds / 4);
            // a job cancelled before it ever ran is neither started nor counted as an outcome
            assertThat(s.jobsCompleted()).isEqualTo(s.jobsStarted());
            assertThat(s.jobsStarted()).isBetween((long) rounds * 3 / 4, (long) rounds);
            assertThat(s.jobsAlive()).isZero();
            assertThat(s.jobsPaused()).isZero();
            assertThat(s.jobsWaitingForSlot()).isZero();
            assertThat(s.slotWaits()).isPositive();
            JobLoopStats l0 = group.loop(0).stats();
            JobLoopStats l1 = group.loop(1).stats();
            assertThat(l0.jobsStarted() + l1.jobsStarted()).isEqualTo(s.jobsStarted());
            assertThat(l0.jobsStarted()).as("round robin: both loops ran jobs").isPositive();
            assertThat(l1.jobsStarted()).isPositive();
        } finally {
            group.close();
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    @Test
    void engineStatsFollowCallsThroughEveryState() throws Exception {
        String name = CoreTestSupport.uniqueName("stats-engine");
        JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name + "-loop").build();
        OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(4).name(name).build();
        try {
            JobOptions opts = JobOptions.builder().loops(group).build();
            OffloadEngineStats s = engine.stats();
            assertThat(s.name()).isEqualTo(name);
            assertThat(s.threads()).isEqualTo(1);
            assertThat(s.queueCapacity()).isEqualTo(4);
            assertThat(s.closed()).isFalse();
            assertThat(s.callsSubmitted()).isZero();

            // the one device thread held by a call; three more calls queue behind it
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            RecordingObserver<Object> blocker = new RecordingObserver<>();
            AsyncJobs.launch(() -> engine.call(() -> {
                held.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }), opts, blocker);
            CoreTestSupport.await(held, "the device to be held");
            List<RecordingObserver<Object>> obs = new ArrayList<>();
            List<JobTicket> tickets = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int id = i;
                RecordingObserver<Object> o = new RecordingObserver<>();
                obs.add(o);
                tickets.add(AsyncJobs.launch(() -> engine.call(() -> {
                    if (id == 1) {
                        throw new IOException("work " + id + " fails");
                    }
                    return id;
                }), opts, o));
            }
            CoreTestSupport.await("three calls queued", Duration.ofSeconds(10), () -> engine.stats().queued() == 3);
            s = engine.stats();
            assertThat(s.threadsBusy()).isEqualTo(1);
            assertThat(s.callsSubmitted()).isEqualTo(4);
            assertThat(s.callsRun()).isEqualTo(1);

            // the third call's job is cancelled while its call is queued: withdrawn, never run
            tickets.get(2).cancel();
            assertThat(obs.get(2).await().kind()).isEqualTo("dropped");
            assertThat(engine.stats().callsWithdrawn()).isEqualTo(1);
            assertThat(engine.stats().queued()).isEqualTo(2);

            release.countDown();
            assertThat(blocker.await().value()).isEqualTo(Boolean.TRUE);
            assertThat(obs.get(0).await().value()).isEqualTo(0);
            assertThat(obs.get(1).await().error()).isInstanceOf(IOException.class);
            CoreTestSupport.await("the device to go idle", Duration.ofSeconds(10),
                    () -> engine.stats().threadsBusy() == 0 && engine.stats().callsRun() == 3);
            s = engine.stats();
            assertThat(s.queued()).isZero();
            assertThat(s.callsSubmitted()).isEqualTo(4);
            assertThat(s.callsSucceeded()).isEqualTo(2);
            assertThat(s.callsFailed()).isEqualTo(1);
            assertThat(s.queueWaitNanos()).as("two calls waited behind the held one").isPositive();
            assertThat(s.succeededNanos()).isPositive();
            assertThat(s.failedNanos()).isPositive();
            assertThat(s.runNanos()).isEqualTo(s.succeededNanos() + s.failedNanos());
            assertThat(s.callsRejected()).isZero();
        } finally {
            engine.close();
            group.close();
        }
        assertThatThrownBy(() -> engine.call(() -> 1)).isInstanceOf(RejectedExecutionException.class);
        assertThat(engine.stats().callsRejected()).isEqualTo(1);
        assertThat(engine.stats().closed()).isTrue();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(engine.stats().threadsBusy()).isZero();
    }

    @Test
    void aCallQueuedWhenTheEngineClosesIsCountedDrainedAndRejected() throws Exception {
        String name = CoreTestSupport.uniqueName("stats-drain");
        OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(4).name(name).build();
        JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name + "-loop").build();
        try {
            JobOptions opts = JobOptions.builder().loops(group).build();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            RecordingObserver<Object> blocker = new RecordingObserver<>();
            AsyncJobs.launch(() -> engine.call(() -> {
                held.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }), opts, blocker);
            CoreTestSupport.await(held, "the device to be held");
            RecordingObserver<Object> queued = new RecordingObserver<>();
            AsyncJobs.launch(() -> engine.call(() -> 1), opts, queued);
            CoreTestSupport.await("one call queued", Duration.ofSeconds(10), () -> engine.queued() == 1);
            engine.close();
            assertThat(queued.await().error()).isInstanceOf(RejectedExecutionException.class);
            release.countDown();
            blocker.await();
            OffloadEngineStats s = engine.stats();
            assertThat(s.callsRejected()).isEqualTo(1);
            assertThat(s.callsSubmitted()).isEqualTo(2);
            assertThat(s.queued()).isZero();
        } finally {
            release(engine, group);
        }
    }

    /**
     * {@code callsSubmitted} is summed from pieces (calls taken, withdrawn, drained, still queued)
     * read while calls move between them, and kept as a running maximum so it never goes back: a
     * read that counted a moving call twice would stay one too high for good (ActuatorMetricsTest
     * saw 402 submitted for 401 calls). Read while 20,000 calls flow through a queue kept busy, it
     * must end exactly at the number of calls.
     */
    @Test
    void callsSubmittedReadWhileCallsFlowEndsExactlyAtTheCallsMade() throws Exception {
        String name = CoreTestSupport.uniqueName("stats-flow");
        OffloadEngine engine = OffloadEngine.builder().threads(2).queueCapacity(64).name(name).build();
        JobLoopGroup group = JobLoopGroup.builder().threads(2).name(name + "-loop").build();
        int calls = 20_000;
        try (ExecutorService readers = Executors.newFixedThreadPool(1)) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            CountDownLatch ended = new CountDownLatch(calls);
            java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
            Future<Long> reader = readers.submit(() -> {
                long reads = 0;
                while (reading.get()) {
                    engine.stats();
                    reads++;
                }
                return reads;
            });
            JobObserver<Integer> count = new JobObserver<>() {
                @Override
                public void onSuccess(Integer value) {
                    ended.countDown();
                }

                @Override
                public void onFailure(Throwable error) {
                    ended.countDown();
                }
            };
            for (int i = 0; i < calls; i++) {
                AsyncJobs.launch(() -> engine.call(() -> 1), opts, count);
                if (i % 256 == 255) {
                    CoreTestSupport.await("calls to drain", Duration.ofSeconds(30), () -> engine.queued() < 64);
                }
            }
            CoreTestSupport.await(ended, "every call to end");
            reading.set(false);
            assertThat(reader.get(30, TimeUnit.SECONDS)).isPositive();
            OffloadEngineStats s = engine.stats();
            assertThat(s.queued()).isZero();
            assertThat(s.callsRun()).isEqualTo(calls);
            assertThat(s.callsSubmitted()).as("submitted, after %d reads during the flow", calls).isEqualTo(calls);
        } finally {
            release(engine, group);
        }
    }

    private static void release(OffloadEngine engine, JobLoopGroup group) throws InterruptedException {
        engine.close();
        group.close();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
    }
}
