package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.core.Single;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import io.reactivex.rxjava3.schedulers.TestScheduler;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JobLoopSchedulerTest extends TestSupport {
    static JobLoopGroup loops;
    static Scheduler scheduler;

    @BeforeAll
    static void startLoops() {
        loops = JobLoopGroup.builder().threads(2).name("sched-test").build();
        scheduler = JobLoopScheduler.create(loops);
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    /** Holds the worker's loop until released, so tasks queue up behind it. */
    private static CountDownLatch block(Scheduler.Worker worker) {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        worker.schedule(() -> {
            blocked.countDown();
            await(release);
        });
        await(blocked);
        return release;
    }

    @Test
    void aWorkerRunsItsTasksInOrderOnOneLoopThread() {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            List<Integer> order = new CopyOnWriteArrayList<>();
            Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
            CountDownLatch done = new CountDownLatch(1000);
            for (int i = 0; i < 1000; i++) {
                int n = i;
                worker.schedule(() -> {
                    order.add(n);
                    threads.add(Thread.currentThread().getName());
                    done.countDown();
                });
            }
            await(done);
            assertThat(order).isEqualTo(IntStream.range(0, 1000).boxed().toList());
            assertThat(threads).hasSize(1).allMatch(n -> n.startsWith("sched-test-"));
        } finally {
            worker.dispose();
        }
    }

    @Test
    void workersAreSpreadOverTheLoops() {
        Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        CountDownLatch done = new CountDownLatch(4);
        for (int i = 0; i < 4; i++) {
            Scheduler.Worker w = scheduler.createWorker();
            w.schedule(() -> {
                threads.add(Thread.currentThread().getName());
                done.countDown();
                w.dispose();
            });
        }
        await(done);
        assertThat(threads).containsExactlyInAnyOrder("sched-test-0", "sched-test-1");
    }

    @Test
    void delaysWaitOnTheLoopsOwnTimerAndRunOnTheLoop() {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            AtomicReference<String> ranOn = new AtomicReference<>();
            AtomicLong ranAfter = new AtomicLong();
            long t0 = System.nanoTime();
            Disposable d = worker.schedule(() -> {
                ranAfter.set(System.nanoTime() - t0);
                ranOn.set(Thread.currentThread().getName());
            }, 20, TimeUnit.MILLISECONDS);
            assertThat(d.isDisposed()).isFalse();
            await("the delayed task ran", () -> ranOn.get() != null);
            assertThat(ranOn.get()).startsWith("sched-test-");
            assertThat(ranAfter.get()).as("never early").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
            await("the task is done", d::isDisposed);
            long before = System.currentTimeMillis();
            assertThat(worker.now(TimeUnit.MILLISECONDS)).as("the wall clock").isBetween(before, System.currentTimeMillis());
            assertThat(((JobLoopScheduler.LoopWorker) worker).tasks.size()).as("the done task left its worker").isZero();
        } finally {
            worker.dispose();
        }
    }

    /**
     * A TestScheduler drives the timers of operators on their default (computation) scheduler or
     * given it explicitly, with jobs running on the loops in between; a timed operator given the
     * loop scheduler is on the loop's own real-time timer, which virtual time does not move.
     */
    @Test
    void virtualTimeDrivesTheTimersAroundJobsNotTheLoopsOwn() {
        TestScheduler time = new TestScheduler();
        RxJavaPlugins.setComputationSchedulerHandler(s -> time);
        JobOptions opts = JobOptions.builder().loops(loops).build();
        java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
        TestObserver<Integer> to = Single.timer(1, TimeUnit.HOURS)
                .flatMap(x -> AsyncSingle.fromJob(() -> {
                    ran.set(true);
                    return loops.liveJobs(); // 1: launched on the loops of the group
                }, opts))
                .delay(2, TimeUnit.HOURS, time)
                .test();
        time.advanceTimeBy(59, TimeUnit.MINUTES);
        flush(loops);
        to.assertEmpty();
        assertThat(ran).isFalse();
        time.advanceTimeBy(1, TimeUnit.MINUTES); // the job runs on a loop, then waits on the TestScheduler
        await("the job ran", () -> ran.get() && loops.liveJobs() == 0);
        flush(loops);
        time.advanceTimeBy(2, TimeUnit.HOURS);
        to.awaitDone(10, TimeUnit.SECONDS).assertResult(1);

        TestObserver<Long> onLoop = Single.timer(1, TimeUnit.HOURS, scheduler).test();
        time.advanceTimeBy(2, TimeUnit.HOURS);
        flush(loops);
        onLoop.assertEmpty();
        onLoop.dispose();
    }

    @Test
    void periodicTasksRunOnTheLoopsTimerUntilDisposed() {
        Scheduler.Worker worker = scheduler.createWorker();
        AtomicInteger ticks = new AtomicInteger();
        Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Disposable d = worker.schedulePeriodically(() -> {
            threads.add(Thread.currentThread().getName());
            ticks.incrementAndGet();
        }, 1, 1, TimeUnit.MILLISECONDS);
        await("five ticks", () -> ticks.get() >= 5);
        d.dispose();
        assertThat(d.isDisposed()).isTrue();
        flush(loops);
        int n = ticks.get();
        awaitTimerOnEachLoop(10);
        assertThat(ticks).hasValue(n);
        assertThat(threads).hasSize(1);
        assertThat(((JobLoopScheduler.LoopWorker) worker).tasks.size()).isZero();
        worker.dispose();
    }

    /** Dispose racing the run of a task (due now, or after 1 ms), thousands of rounds: at most one run, nothing left tracked. */
    @Test
    void disposeRacingTheRunLeavesNothingBehind() {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            java.util.Random rnd = new java.util.Random(5);
            for (int round = 0; round < 3_000; round++) {
                AtomicInteger runs = new AtomicInteger();
                Disposable d = worker.schedule(runs::incrementAndGet, round % 2, TimeUnit.MILLISECONDS);
                long until = System.nanoTime() + rnd.nextInt(1_200_000);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                d.dispose();
                assertThat(d.isDisposed()).isTrue();
                flush(loops);
                assertThat(runs.get()).as("round %d", round).isLessThanOrEqualTo(1);
            }
            awaitTimerOnEachLoop(3);
            assertThat(((JobLoopScheduler.LoopWorker) worker).tasks.size()).as("no task left tracked").isZero();
        } finally {
            worker.dispose();
        }
    }

    /** Waits until a timer of {@code millis} has run on every loop: earlier deadlines have passed there. */
    private static void awaitTimerOnEachLoop(long millis) {
        CountDownLatch done = new CountDownLatch(loops.size());
        for (int i = 0; i < loops.size(); i++) {
            loops.loop(i).schedule(done::countDown, millis, TimeUnit.MILLISECONDS);
        }
        await(done);
    }

    @Test
    void disposingTheWorkerDropsItsPendingTasksAndTimers() {
        Scheduler.Worker worker = scheduler.createWorker();
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch release = block(worker);
        Disposable queued = worker.schedule(ran::incrementAndGet);
        Disposable delayed = worker.schedule(ran::incrementAndGet, 5, TimeUnit.MILLISECONDS);
        worker.dispose();
        assertThat(worker.isDisposed()).isTrue();
        assertThat(queued.isDisposed()).isTrue();
        assertThat(delayed.isDisposed()).isTrue();
        release.countDown();
        awaitTimerOnEachLoop(10);
        assertThat(ran).hasValue(0);
        assertThat(worker.schedule(ran::incrementAndGet).isDisposed()).as("scheduling after dispose").isTrue();
        flush(loops);
        assertThat(ran).hasValue(0);
    }

    @Test
    void disposingOneTaskDropsOnlyThatTask() {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            List<String> ran = new CopyOnWriteArrayList<>();
            CountDownLatch release = block(worker);
            Disposable first = worker.schedule(() -> ran.add("first"));
            Disposable second = worker.schedule(() -> ran.add("second"));
            first.dispose();
            release.countDown();
            await("second ran", () -> ran.contains("second"));
            flush(loops);
            assertThat(ran).containsExactly("second");
            assertThat(first.isDisposed()).isTrue();
            await("second is done", second::isDisposed);
        } finally {
            worker.dispose();
        }
    }

    @Test
    void aTaskThatThrowsGoesToThePluginsAndTheLoopGoesOn() {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            RuntimeException boom = new RuntimeException("task");
            worker.schedule(() -> {
                throw boom;
            });
            CountDownLatch after = new CountDownLatch(1);
            worker.schedule(after::countDown);
            await(after);
            assertThat(takeUndeliverables()).containsExactly(boom);
        } finally {
            worker.dispose();
        }
    }

    /**
     * Every way a task reaches a loop (now, delayed, direct, periodic) reports its throw to {@code
     * RxJavaPlugins.onError} exactly once, as RxJava's own schedulers do, and never to the core's
     * {@code AsyncHooks} (checked empty after each test); a periodic task that throws stops.
     */
    @Test
    void aThrowOnEveryRouteReachesThePluginsExactlyOnceAndNotTheCoreHook() {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            RuntimeException now = new RuntimeException("now");
            RuntimeException delayed = new RuntimeException("delayed");
            RuntimeException direct = new RuntimeException("direct");
            RuntimeException periodic = new RuntimeException("periodic");
            AtomicInteger periodicRuns = new AtomicInteger();
            worker.schedule(() -> {
                throw now;
            });
            worker.schedule(() -> {
                throw delayed;
            }, 1, TimeUnit.MILLISECONDS);
            scheduler.scheduleDirect(() -> {
                throw direct;
            });
            scheduler.schedulePeriodicallyDirect(() -> {
                periodicRuns.incrementAndGet();
                throw periodic;
            }, 1, 1, TimeUnit.MILLISECONDS);
            await("the four throws reported", () -> rxErrors.size() >= 4);
            awaitTimerOnEachLoop(10); // a periodic task that threw is not run again
            flush(loops);
            CountDownLatch after = new CountDownLatch(1);
            worker.schedule(after::countDown);
            await(after);
            assertThat(takeUndeliverables()).containsExactlyInAnyOrder(now, delayed, direct, periodic);
            assertThat(periodicRuns).hasValue(1);
        } finally {
            worker.dispose();
        }
    }

    @Test
    void directTasksAreDisposedAsWorkerTasksAre() {
        AtomicInteger delayedRuns = new AtomicInteger();
        Disposable delayed = scheduler.scheduleDirect(delayedRuns::incrementAndGet, 200, TimeUnit.MILLISECONDS);
        assertThat(delayed.isDisposed()).isFalse();
        delayed.dispose();
        assertThat(delayed.isDisposed()).isTrue();

        AtomicInteger ticks = new AtomicInteger();
        Disposable periodic = scheduler.schedulePeriodicallyDirect(ticks::incrementAndGet, 1, 1, TimeUnit.MILLISECONDS);
        await("three ticks", () -> ticks.get() >= 3);
        periodic.dispose();
        assertThat(periodic.isDisposed()).isTrue();
        flush(loops);
        int n = ticks.get();
        awaitTimerOnEachLoop(250); // past the disposed one's deadline
        assertThat(delayedRuns).hasValue(0);
        assertThat(ticks).hasValue(n);

        JobLoopGroup closed = JobLoopGroup.builder().threads(1).name("closed-direct").build();
        closed.close();
        AtomicInteger ran = new AtomicInteger();
        assertThat(JobLoopScheduler.create(closed).scheduleDirect(ran::incrementAndGet).isDisposed()).isTrue();
        assertThat(ran).hasValue(0);
        assertThat(takeUndeliverables()).singleElement().isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void schedulingOnClosedLoopsIsReportedAndReturnsADisposedDisposable() {
        JobLoopGroup closed = JobLoopGroup.builder().threads(1).name("closed").build();
        Scheduler s = JobLoopScheduler.create(closed);
        Scheduler.Worker worker = s.createWorker();
        closed.close();
        AtomicInteger ran = new AtomicInteger();
        Disposable d = worker.schedule(ran::incrementAndGet);
        assertThat(d.isDisposed()).isTrue();
        assertThat(ran).hasValue(0);
        assertThat(takeUndeliverables()).singleElement().isInstanceOf(RejectedExecutionException.class);
        worker.dispose();
    }

    @Test
    void scheduleDirectAndObserveOnRunOnALoop() {
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<String> on = new AtomicReference<>();
        scheduler.scheduleDirect(() -> {
            on.set(Thread.currentThread().getName());
            done.countDown();
        });
        await(done);
        assertThat(on.get()).startsWith("sched-test-");

        List<String> threads = Flowable.range(0, 500).observeOn(scheduler)
                .map(i -> Thread.currentThread().getName())
                .test().awaitDone(10, TimeUnit.SECONDS).assertComplete().values();
        assertThat(threads.stream().collect(Collectors.toSet())).hasSize(1)
                .allMatch(n -> n.startsWith("sched-test-"));
    }

    @Test
    void jobsGivenThisSchedulerRunOnItsLoopsTheNativeWay() {
        PausingJob<String> job = new PausingJob<>("native");
        // default options name the shared loops: the scheduler's group wins
        TestObserver<String> to = AsyncSingle.fromJob(job, JobOptions.defaults(), scheduler)
                .map(v -> v + "@" + Thread.currentThread().getName())
                .test();
        job.awaitPaused();
        assertThat(loops.liveJobs()).as("launched on the scheduler's group, watched by its loop").isEqualTo(1);
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertValue(v -> v.startsWith("native@sched-test-"));
        assertThat(job.cleanups).hasValue(1);
        await("the job is done", () -> loops.liveJobs() == 0);
    }

    @Test
    void itsWorkersAreThreadConfinedSoTheyCarryJobsToo() {
        // wrapped, the scheduler is an ordinary one: the job runs on a worker, fds on the shared selector
        CountingScheduler wrapped = new CountingScheduler(scheduler);
        PausingJob<String> job = new PausingJob<>("worker");
        TestObserver<String> to = AsyncSingle.fromJob(job, JobOptions.defaults(), wrapped)
                .map(v -> v + "@" + Thread.currentThread().getName())
                .test();
        job.awaitPaused();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertValue(v -> v.startsWith("worker@sched-test-"));
        assertThat(job.cleanups).hasValue(1);
        await("the worker is disposed", () -> wrapped.disposed.get() == 1);
    }

    /** A placement that contradicts the scheduler is refused at assembly, never silently ignored. */
    @Test
    void aPlacementThatContradictsTheSchedulerIsRefused() {
        JobOptions onLoops = JobOptions.builder().loops(loops).build();
        JobOptions confined = JobOptions.builder()
                .placement(dev.asyncjobs.core.JobPlacement.confined(dev.asyncjobs.core.AsyncSelector.shared(), 2)).build();
        Scheduler single = io.reactivex.rxjava3.schedulers.Schedulers.single();
        assertThatThrownBy(() -> AsyncSingle.fromJob(() -> 1, onLoops, single))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pass one of them");
        assertThatThrownBy(() -> AsyncSingle.fromJob(() -> 1, confined))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs the thread-confined Scheduler");
        assertThatThrownBy(() -> AsyncMaybe.fromJob(() -> 1, confined, scheduler))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loops of a JobLoopScheduler");
        assertThatThrownBy(() -> AsyncCompletable.fromJob(() -> 1, JobOptions.builder().loops(JobLoopGroup.shared()).build(), scheduler))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pass one of them");
        AsyncSingle.fromJob(() -> 1, onLoops, scheduler).test().awaitDone(10, TimeUnit.SECONDS).assertResult(1);
        AsyncSingle.fromJob(() -> 2, confined, single).test().awaitDone(10, TimeUnit.SECONDS).assertResult(2);
    }

    @Test
    void sharedLoopsByDefaultAndArgumentsChecked() {
        assertThat(JobLoopScheduler.shared()).isSameAs(JobLoopScheduler.shared());
        assertThat(JobLoopScheduler.shared().group()).isSameAs(JobLoopGroup.shared());
        Scheduler shared = JobLoopScheduler.shared();
        Single.fromCallable(() -> Thread.currentThread().getName()).subscribeOn(shared)
                .test().awaitDone(10, TimeUnit.SECONDS)
                .assertValue(n -> n.startsWith("asyncjobs-loop-"));
        assertThatThrownBy(() -> JobLoopScheduler.create(null)).hasMessage("group is null");
        Scheduler.Worker w = scheduler.createWorker();
        assertThatThrownBy(() -> w.schedule(null)).isInstanceOf(NullPointerException.class);
        w.dispose();
    }
}
