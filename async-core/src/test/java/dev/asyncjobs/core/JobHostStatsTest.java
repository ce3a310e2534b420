package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Jvms;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link JobHostCounters}: jobs on a {@link JobHost} are counted as jobs on a loop are (started,
 * ended by outcome, alive, paused, slot waits), exactly, also under races of wakes and cancels on
 * two hosts; {@code -Dasyncjobs.stats=false} leaves the counters at 0; a {@link
 * JobHostCounters.Group} tells its listeners of each host once.
 */
@Timeout(120)
class JobHostStatsTest {
    /** A single thread as a host, with counters registered on its thread. */
    static final class CountingHost implements JobHost, AutoCloseable {
        final ThreadPoolExecutor thread;
        final JobHostCounters counters;
        final AsyncSelector selector;
        final Thread self;

        CountingHost(String name, JobHostCounters.Group group) throws Exception {
            thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    r -> new Thread(r, name));
            selector = AsyncSelector.open(name + "-selector");
            CompletableFuture<JobHostCounters> c = new CompletableFuture<>();
            CompletableFuture<Thread> t = new CompletableFuture<>();
            thread.execute(() -> {
                t.complete(Thread.currentThread());
                c.complete(group.register(() -> !thread.isShutdown(), () -> thread.getQueue().size()));
            });
            counters = c.get(10, TimeUnit.SECONDS);
            self = t.get(10, TimeUnit.SECONDS);
        }

        @Override
        public void execute(Runnable task) {
            thread.execute(task);
        }

        @Override
        public AsyncSelector.Registration watch(AsyncWaitCtx ctx, Runnable onReady) {
            return selector.watch(ctx, onReady);
        }

        @Override
        public JobHostCounters counters() {
            return counters;
        }

        /** Runs {@code r} on the host thread and waits for it. */
        void onHost(Runnable r) throws Exception {
            thread.submit(r).get(20, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            thread.shutdown();
            try {
                assertThat(thread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while closing " + self.getName(), e);
            } finally {
                selector.close();
            }
        }
    }

    /** Options that put a job launched on one of {@code hosts}' threads on that host. */
    private static JobOptions onHosts(JobLoopGroup fallback, int poolSize, CountingHost... hosts) {
        return JobOptions.builder().placement(JobPlacement.preferHost(() -> {
            for (CountingHost h : hosts) {
                if (Thread.currentThread() == h.self) {
                    return h;
                }
            }
            return null;
        }, poolSize, fallback)).build();
    }

    @Test
    void hostStatsFollowJobsThroughEveryState() throws Exception {
        String name = CoreTestSupport.uniqueName("host-stats");
        JobHostCounters.Group group = new JobHostCounters.Group(name);
        JobLoopGroup fallback = JobLoopGroup.builder().threads(1).name(name + "-fallback").build();
        try (CountingHost host = new CountingHost(name + "-host", group)) {
            JobOptions opts = onHosts(fallback, 2, host);
            JobLoopStats s = host.counters.stats();
            assertThat(s.name()).isEqualTo(name + "-host");
            assertThat(s.loops()).isEqualTo(1);
            assertThat(s.loopsRunning()).isEqualTo(1);
            assertThat(s.jobsStarted()).isZero();
            assertThat(s.maxJobs()).as("no bounded job yet").isZero();

            AtomicReferenceArray<WaitCallback> cbs = new AtomicReferenceArray<>(8);
            List<RecordingObserver<Integer>> obs = new ArrayList<>();
            List<JobTicket> tickets = new CopyOnWriteArrayList<>();
            int[] ids = {0, -1, 2, 3};
            for (int id : ids) {
                obs.add(new RecordingObserver<>());
            }
            host.onHost(() -> {
                for (int i = 0; i < ids.length; i++) {
                    tickets.add(AsyncJobs.launch(StatsTest.pausing(ids[i], cbs), opts, obs.get(i)));
                }
            });
            host.onHost(() -> { }); // the four start tasks ran: two paused, two wait for a slot
            s = host.counters.stats();
            assertThat(s.jobsStarted()).isEqualTo(4);
            assertThat(s.jobsAlive()).isEqualTo(4);
            assertThat(s.jobsPaused()).isEqualTo(2);
            assertThat(s.jobsWaitingForSlot()).isEqualTo(2);
            assertThat(s.maxJobs()).isEqualTo(2);
            assertThat(s.jobsCompleted()).isZero();
            assertThat(fallback.stats().jobsStarted()).as("nothing ran on the fallback loops").isZero();

            assertThat(cbs.get(0).onWake(null)).isTrue(); // job 0 succeeds, job 2 gets its slot
            assertThat(obs.get(0).await().kind()).isEqualTo("success");
            assertThat(cbs.get(1).onWake(null)).isTrue(); // job -1 fails, job 3 gets its slot
            assertThat(obs.get(1).await().kind()).isEqualTo("failure");
            CoreTestSupport.await("jobs 2 and 3 paused", Duration.ofSeconds(10),
                    () -> cbs.get(2) != null && cbs.get(3) != null);
            host.onHost(() -> { });
            s = host.counters.stats();
            assertThat(s.jobsWaitingForSlot()).isZero();
            assertThat(s.slotWaits()).isEqualTo(2);
            assertThat(s.jobsPaused()).isEqualTo(2);
            assertThat(s.jobsAlive()).isEqualTo(2);

            tickets.get(3).cancel();
            assertThat(obs.get(3).await().kind()).isEqualTo("dropped");
            assertThat(cbs.get(2).onWake(null)).isTrue();
            assertThat(obs.get(2).await().kind()).isEqualTo("success");
            host.onHost(() -> { });
            s = host.counters.stats();
            assertThat(s.jobsStarted()).isEqualTo(4);
            assertThat(s.jobsSucceeded()).isEqualTo(2);
            assertThat(s.jobsFailed()).isEqualTo(1);
            assertThat(s.jobsCancelled()).isEqualTo(1);
            assertThat(s.jobsAlive()).isZero();
            assertThat(s.jobsPaused()).isZero();
            assertThat(s.pendingTasks()).isZero();
            assertThat(group.stats()).isEqualTo(new JobLoopStats(name, 1, 1, 0, 0, 0, 0, 2, 4, 2, 1, 1,
                    2, s.slotWaitNanos()));

            // a job launched off the host runs on the fallback loops and is counted there only
            RecordingObserver<Integer> off = new RecordingObserver<>();
            AsyncJobs.launch(() -> 7, opts, off);
            assertThat(off.await().value()).isEqualTo(7);
            assertThat(host.counters.stats().jobsStarted()).isEqualTo(4);
            CoreTestSupport.await("the fallback loop counted it", Duration.ofSeconds(10),
                    () -> fallback.stats().jobsSucceeded() == 1);
            host.thread.shutdown();
            assertThat(host.counters.stats().loopsRunning()).isZero();
        } finally {
            fallback.close();
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    /**
     * Thousands of jobs over two hosts, each woken from a foreign thread while others are cancelled
     * at random moments (before start, in a slot wait, paused), some failing: at the end every host's
     * books balance exactly against what the observers heard, and every gauge is back to zero.
     */
    @Test
    void theBooksBalanceOnTwoHostsUnderRacesOfWakeAndCancel() throws Exception {
        String name = CoreTestSupport.uniqueName("host-race");
        JobHostCounters.Group group = new JobHostCounters.Group(name);
        JobLoopGroup fallback = JobLoopGroup.builder().threads(1).name(name + "-fallback").build();
        int rounds = 4_000;
        try (CountingHost h0 = new CountingHost(name + "-0", group);
                CountingHost h1 = new CountingHost(name + "-1", group);
                ExecutorService pool = Executors.newFixedThreadPool(2);
                ExecutorService launchers = Executors.newFixedThreadPool(2)) {
            JobOptions opts = onHosts(fallback, 8, h0, h1);
            List<RecordingObserver<Object>> obs = new CopyOnWriteArrayList<>();
            List<Future<?>> racers = new CopyOnWriteArrayList<>();
            List<Future<?>> batches = new ArrayList<>();
            for (CountingHost h : List.of(h0, h1)) {
                batches.add(launchers.submit(() -> {
                    for (int b = 0; b < rounds / 2 / 100; b++) {
                        List<JobTicket> cancelLater = new ArrayList<>();
                        h.onHost(() -> {
                            for (int i = 0; i < 100; i++) {
                                RecordingObserver<Object> o = new RecordingObserver<>();
                                obs.add(o);
                                int mode = i % 4;
                                JobTicket t = AsyncJobs.launch(StatsTest.racingJob(mode, pool), opts, o);
                                if (mode == 1) {
                                    if (ThreadLocalRandom.current().nextBoolean()) {
                                        t.cancel(); // before it ever started
                                    } else {
                                        cancelLater.add(t);
                                    }
                                }
                            }
                        });
                        for (JobTicket t : cancelLater) {
                            racers.add(pool.submit(t::cancel));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : batches) {
                f.get(60, TimeUnit.SECONDS);
            }
            for (Future<?> f : racers) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(obs).hasSize(rounds);
            for (RecordingObserver<Object> o : obs) {
                o.await();
            }
            CoreTestSupport.await("every job to end", Duration.ofSeconds(30),
                    () -> group.stats().jobsAlive() == 0);
            h0.onHost(() -> { });
            h1.onHost(() -> { });
            JobLoopStats s = group.stats();
            long succeeded = obs.stream().filter(o -> o.await().kind().equals("success")).count();
            long failed = obs.stream().filter(o -> o.await().kind().equals("failure")).count();
            long dropped = obs.stream().filter(o -> o.await().kind().equals("dropped")).count();
            assertThat(succeeded + failed + dropped).isEqualTo(rounds);
            assertThat(s.loops()).isEqualTo(2);
            assertThat(s.jobsSucceeded()).isEqualTo(succeeded);
            assertThat(s.jobsFailed()).isEqualTo(failed).isEqualTo(rounds / 4);
            // a job cancelled before it ever ran is neither started nor counted as an outcome
            assertThat(s.jobsCompleted()).isEqualTo(s.jobsStarted());
            assertThat(s.jobsCancelled()).isLessThanOrEqualTo(dropped);
            assertThat(s.jobsStarted()).isBetween((long) rounds * 3 / 4, (long) rounds);
            assertThat(s.jobsAlive()).isZero();
            assertThat(s.jobsPaused()).isZero();
            assertThat(s.jobsWaitingForSlot()).isZero();
            assertThat(s.slotWaits()).as("100 jobs a batch on a pool of 8 wait for slots").isPositive();
            JobLoopStats l0 = h0.counters.stats();
            JobLoopStats l1 = h1.counters.stats();
            assertThat(l0.jobsStarted() + l1.jobsStarted()).isEqualTo(s.jobsStarted());
            assertThat(l0.jobsStarted()).isPositive();
            assertThat(l1.jobsStarted()).isPositive();
            assertThat(l0.jobsCompleted()).isEqualTo(l0.jobsStarted());
            assertThat(l1.jobsCompleted()).isEqualTo(l1.jobsStarted());
            assertThat(fallback.stats().jobsStarted()).as("every job ran on its host").isZero();
        } finally {
            fallback.close();
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    @Test
    void aGroupTellsEachListenerOfEveryHostOnceAndForgetsRemovedOnes() throws Exception {
        String name = CoreTestSupport.uniqueName("host-group");
        JobHostCounters.Group group = new JobHostCounters.Group(name);
        CoreTestSupport.assertNpeNaming("name", () -> new JobHostCounters.Group(null));
        CoreTestSupport.assertNpeNaming("running", () -> group.register(null, () -> 0));
        CoreTestSupport.assertNpeNaming("pendingTasks", () -> group.register(() -> true, null));
        CoreTestSupport.assertNpeNaming("listener", () -> group.onRegister(null));
        assertThat(group.stats()).isEqualTo(JobLoopStats.zero(name));
        List<String> early = new CopyOnWriteArrayList<>();
        List<String> late = new CopyOnWriteArrayList<>();
        group.onRegister(c -> early.add(c.name()));
        group.onRegister(c -> {
            throw new IllegalStateException("a broken listener is reported, the others still hear");
        });
        try (CountingHost a = new CountingHost(name + "-a", group)) {
            Runnable stopLate = group.onRegister(c -> late.add(c.name()));
            try (CountingHost b = new CountingHost(name + "-b", group)) {
                assertThat(early).containsExactly(name + "-a", name + "-b");
                assertThat(late).containsExactly(name + "-a", name + "-b");
                stopLate.run();
                stopLate.run();
                try (CountingHost c = new CountingHost(name + "-c", group)) {
                    assertThat(early).containsExactly(name + "-a", name + "-b", name + "-c");
                    assertThat(late).as("removed: hears no more").containsExactly(name + "-a", name + "-b");
                    c.counters.remove();
                }
                assertThat(group.hosts()).containsExactly(a.counters, b.counters);
                assertThat(a.counters.group()).isSameAs(group);
                b.counters.remove();
                b.counters.remove();
                assertThat(group.hosts()).containsExactly(a.counters);
                assertThat(group.stats().loops()).isEqualTo(1);
            }
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    /** With {@code -Dasyncjobs.stats=false} (a JVM of its own: the switch is read once) every counter stays 0. */
    @Test
    void statsOffLeaveEveryCounterAtZero() {
        List<String> flags = new ArrayList<>(List.of("-Dasyncjobs.stats=false"));
        if (CoreTestSupport.continuationBackend()) {
            flags.add("--add-exports");
            flags.add("java.base/jdk.internal.vm=ALL-UNNAMED");
        }
        String out = Jvms.runMain(flags, StatsOff.class, Duration.ofSeconds(60));
        assertThat(out).as("alive is a gauge: one job paused, one waiting for a slot").contains("paused-alive=2", "ended " + new JobLoopStats("stats-off-host", 1, 1, 0, 0, 0, 0, 1,
                0, 0, 0, 0, 0, 0));
    }

    /** Runs jobs on a host with stats off and prints what the counters say. */
    static final class StatsOff {
        public static void main(String[] args) throws Exception {
            JobHostCounters.Group group = new JobHostCounters.Group("stats-off");
            JobLoopGroup fallback = JobLoopGroup.builder().threads(1).name("stats-off-fallback").build();
            try (CountingHost host = new CountingHost("stats-off-host", group)) {
                JobOptions opts = onHosts(fallback, 1, host);
                AtomicReferenceArray<WaitCallback> cbs = new AtomicReferenceArray<>(2);
                RecordingObserver<Integer> first = new RecordingObserver<>();
                RecordingObserver<Integer> second = new RecordingObserver<>();
                host.onHost(() -> {
                    AsyncJobs.launch(StatsTest.pausing(0, cbs), opts, first);
                    AsyncJobs.launch(() -> {
                        throw new IOException("fails");
                    }, opts, second);
                });
                host.onHost(() -> { });
                System.out.println("paused-alive=" + host.counters.stats().jobsAlive());
                cbs.get(0).onWake(null);
                if (!first.await().kind().equals("success") || !second.await().kind().equals("failure")) {
                    throw new AssertionError(first.calls + " " + second.calls);
                }
                host.onHost(() -> { });
                System.out.println("ended " + host.counters.stats());
            } finally {
                fallback.close();
            }
        }
    }
}
