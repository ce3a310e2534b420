package dev.asyncjobs.netty;

import static dev.asyncjobs.netty.TestSupport.WAIT;
import static dev.asyncjobs.netty.TestSupport.drain;
import static dev.asyncjobs.netty.TestSupport.group;
import static dev.asyncjobs.netty.TestSupport.onLoop;
import static dev.asyncjobs.netty.TestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopStats;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.testsupport.Await;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The jobs on Netty event loops are counted per event loop, as on the job loops: {@link
 * NettyJobs#stats(EventLoopGroup)} and {@link NettyJobs#eventLoopCounters()} balance exactly under
 * thousands of jobs on two event loops with wakes from other threads and cancels mixed in, and an
 * event loop leaves the group when it terminates.
 */
@Timeout(120)
class EventLoopStatsTest {

    /** Counts each outcome once, and every job's end. */
    private static final class Outcomes implements JobObserver<Object> {
        final AtomicInteger success = new AtomicInteger();
        final AtomicInteger failure = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();
        final CountDownLatch ended;

        Outcomes(int jobs) {
            ended = new CountDownLatch(jobs);
        }

        @Override
        public void onSuccess(@Nullable Object value) {
            success.incrementAndGet();
            ended.countDown();
        }

        @Override
        public void onFailure(Throwable error) {
            failure.incrementAndGet();
            ended.countDown();
        }

        @Override
        public void onDropped(@Nullable Object value, @Nullable Throwable error) {
            dropped.incrementAndGet();
            ended.countDown();
        }
    }

    @Test
    void theBooksOfTwoEventLoopsBalanceUnderRacesOfWakeAndCancel() throws Exception {
        int rounds = 4_000;
        int batch = 100;
        MultiThreadIoEventLoopGroup loops = group(2, NioIoHandler.newFactory());
        JobOptions opts = NettyJobs.preferEventLoop(JobOptions.builder().build(), 8);
        Outcomes outcomes = new Outcomes(rounds);
        try (ExecutorService wakers = Executors.newFixedThreadPool(2);
                ExecutorService launchers = Executors.newFixedThreadPool(2)) {
            List<EventLoop> both = List.of(loops.next(), loops.next());
            assertThat(both.get(0)).isNotSameAs(both.get(1));
            List<Future<?>> racers = new ArrayList<>();
            List<Future<?>> batches = new ArrayList<>();
            for (EventLoop loop : both) {
                batches.add(launchers.submit(() -> {
                    for (int b = 0; b < rounds / 2 / batch; b++) {
                        List<JobTicket> cancelLater = onLoop(loop, () -> {
                            List<JobTicket> later = new ArrayList<>();
                            for (int i = 0; i < batch; i++) {
                                int mode = i % 4;
                                JobTicket t = AsyncJobs.launch(() -> {
                                    if (mode == 3) {
                                        throw new IOException("fails");
                                    }
                                    WaitCallback cb = AsyncJob.current().waitCtx().getCallback();
                                    wakers.execute(() -> cb.onWake(null));
                                    AsyncJob.pause();
                                    return "done";
                                }, opts, outcomes);
                                if (mode == 1) {
                                    if (ThreadLocalRandom.current().nextBoolean()) {
                                        t.cancel(); // before it ever started
                                    } else {
                                        later.add(t);
                                    }
                                }
                            }
                            return later;
                        });
                        synchronized (racers) {
                            for (JobTicket t : cancelLater) {
                                racers.add(wakers.submit(t::cancel));
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : batches) {
                f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            synchronized (racers) {
                for (Future<?> f : racers) {
                    f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                }
            }
            assertThat(outcomes.ended.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("every job ended").isTrue();
            Await.until("every job unlinked", WAIT,
                    () -> NettyJobs.stats(loops).stream().mapToInt(JobLoopStats::jobsAlive).sum() == 0);
            drain(both.get(0));
            drain(both.get(1));

            List<JobLoopStats> per = NettyJobs.stats(loops);
            assertThat(per).as("one entry per event loop that ran jobs").hasSize(2);
            String n0 = onLoop(both.get(0), () -> Thread.currentThread().getName());
            String n1 = onLoop(both.get(1), () -> Thread.currentThread().getName());
            assertThat(per).extracting(JobLoopStats::name).containsExactlyInAnyOrder(n0, n1);
            long started = 0;
            long succeeded = 0;
            long failed = 0;
            long cancelled = 0;
            for (JobLoopStats s : per) {
                assertThat(s.loops()).isEqualTo(1);
                assertThat(s.loopsRunning()).isEqualTo(1);
                assertThat(s.jobsStarted()).as(s.name() + " ran jobs").isPositive();
                assertThat(s.jobsCompleted()).as(s.name() + ": started == ended").isEqualTo(s.jobsStarted());
                assertThat(s.jobsAlive()).isZero();
                assertThat(s.jobsPaused()).isZero();
                assertThat(s.jobsWaitingForSlot()).isZero();
                assertThat(s.maxJobs()).isEqualTo(8);
                assertThat(s.slotWaits()).as("100 jobs a batch on 8 slots wait").isPositive();
                started += s.jobsStarted();
                succeeded += s.jobsSucceeded();
                failed += s.jobsFailed();
                cancelled += s.jobsCancelled();
            }
            assertThat(succeeded).isEqualTo(outcomes.success.get());
            assertThat(failed).isEqualTo(outcomes.failure.get()).isEqualTo(rounds / 4);
            // a job cancelled before it ever ran is dropped but neither started nor counted
            assertThat(cancelled).isLessThanOrEqualTo(outcomes.dropped.get());
            assertThat(started).isEqualTo(succeeded + failed + cancelled).isBetween((long) rounds * 3 / 4, (long) rounds);

            JobHostCounters.Group all = NettyJobs.eventLoopCounters();
            assertThat(all.name()).isEqualTo("event-loops");
            assertThat(all.hosts()).extracting(JobHostCounters::name).contains(n0, n1);
        } finally {
            shutdown(loops);
        }
    }

    @Test
    void everyLookupOfALoopCountsInItsOneEntryAndATerminatedLoopLeaves() throws Exception {
        MultiThreadIoEventLoopGroup loops = group(1, NioIoHandler.newFactory());
        EventLoop loop = loops.next();
        assertThat(NettyJobs.stats(loops)).as("no job ran yet").isEmpty();
        JobHostCounters.Group all = NettyJobs.eventLoopCounters();
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        Runnable stopHearing = all.onRegister(c -> heard.add(c.name()));
        String name = onLoop(loop, () -> Thread.currentThread().getName());
        try (AsyncSelector own = AsyncSelector.open("stats-fallback")) {
            Outcomes outcomes = new Outcomes(2);
            onLoop(loop, () -> {
                AsyncJobs.launch(() -> 1, NettyJobs.eventLoopOptions(), outcomes);
                AsyncJobs.launch(() -> 2, TestSupport.preferEventLoop(own, 0).build(), outcomes);
                return null;
            });
            assertThat(outcomes.ended.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            drain(loop);
            List<JobLoopStats> per = NettyJobs.stats(loops);
            assertThat(per).hasSize(1);
            JobLoopStats s = per.get(0);
            assertThat(s.name()).isEqualTo(name);
            assertThat(s.jobsStarted()).isEqualTo(2);
            assertThat(s.jobsSucceeded()).isEqualTo(2);
            assertThat(s.maxJobs()).as("no limit").isZero();
            assertThat(heard).as("the group's listener heard of the loop once").containsOnlyOnce(name);
            assertThat(all.hosts()).extracting(JobHostCounters::name).contains(name);
        } finally {
            stopHearing.run();
            shutdown(loops);
        }
        Await.until("the terminated loop left the group", WAIT,
                () -> all.hosts().stream().noneMatch(c -> c.name().equals(name)));
        assertThat(NettyJobs.stats(loops)).isEmpty();
        assertThatThrownBy(() -> NettyJobs.stats(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("group");
    }
}
