package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

@Timeout(120)
class JobLoopSchedulerTest {
    private JobLoopGroup group;
    private JobLoopScheduler scheduler;

    @BeforeEach
    void setUp() {
        group = JobLoopGroup.builder().threads(2).name("sched-test").build();
        scheduler = JobLoopScheduler.create(group);
    }

    @AfterEach
    void tearDown() {
        scheduler.dispose();
        group.close();
        VirtualTimeScheduler.reset();
    }

    @Test
    void scheduleRunsOnTheLoopsRoundRobin() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        CountDownLatch ran = new CountDownLatch(10);
        for (int i = 0; i < 10; i++) {
            scheduler.schedule(() -> {
                threads.add(Thread.currentThread().getName());
                ran.countDown();
            });
        }
        assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(threads).containsExactlyInAnyOrder("sched-test-0", "sched-test-1");
    }

    @Test
    void aWorkerIsPinnedToOneLoopAndRunsItsTasksInOrder() throws Exception {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            List<Integer> order = new CopyOnWriteArrayList<>();
            CountDownLatch ran = new CountDownLatch(1000);
            for (int i = 0; i < 1000; i++) {
                int n = i;
                worker.schedule(() -> {
                    threads.add(Thread.currentThread());
                    order.add(n);
                    ran.countDown();
                });
            }
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(threads).hasSize(1);
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                expected.add(i);
            }
            assertThat(order).isEqualTo(expected);
        } finally {
            worker.dispose();
        }
    }

    @Test
    void disposingAWorkerDropsItsPendingTasksAndRejectsNewOnes() throws Exception {
        try (JobLoopGroup one = JobLoopGroup.builder().threads(1).name("dispose-test").build()) {
            Scheduler.Worker worker = JobLoopScheduler.create(one).createWorker();
            CountDownLatch blocking = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            worker.schedule(() -> {
                blocking.countDown();
                awaitQuietly(release);
            });
            assertThat(blocking.await(10, TimeUnit.SECONDS)).isTrue();
            AtomicInteger ran = new AtomicInteger();
            Disposable t1 = worker.schedule(ran::incrementAndGet);
            Disposable t2 = worker.schedule(ran::incrementAndGet);
            Disposable t3 = worker.schedule(ran::incrementAndGet);
            t1.dispose(); // one task on its own
            assertThat(t1.isDisposed()).isTrue();
            assertThat(t2.isDisposed()).isFalse();
            worker.dispose(); // the rest with the worker
            assertThat(worker.isDisposed()).isTrue();
            assertThat(t2.isDisposed()).isTrue();
            release.countDown();
            flush(one);
            assertThat(ran).hasValue(0);
            assertThat(t3.isDisposed()).isTrue();
            assertThatThrownBy(() -> worker.schedule(ran::incrementAndGet)).isInstanceOf(RejectedExecutionException.class);
        }
    }

    @Test
    void aTaskThatThrowsGoesToReactorsHandleErrorAndDoesNotKillTheLoop() throws Exception {
        Scheduler.Worker worker = scheduler.createWorker();
        try (TestSupport.HookErrors asyncHooks = new TestSupport.HookErrors();
                HandledErrors handled = new HandledErrors(worker)) {
            IllegalStateException bug = new IllegalStateException("task bug");
            AtomicInteger decorated = new AtomicInteger();
            Schedulers.onScheduleHook("count", r -> {
                decorated.incrementAndGet();
                return r;
            });
            CountDownLatch after = new CountDownLatch(1);
            try {
                worker.schedule(() -> {
                    throw bug;
                });
                worker.schedule(after::countDown);
                assertThat(after.await(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                Schedulers.resetOnScheduleHook("count");
            }
            // each task decorated once: handing the error to Reactor schedules nothing the hook sees
            assertThat(decorated).hasValue(2);
            // Reactor's Schedulers.handleError: the thread's uncaught handler, then the onHandleError hook
            assertThat(handled.uncaught).containsExactly(handled.loopThread + ": task bug");
            assertThat(handled.hook).containsExactly(handled.loopThread + ": task bug");
            assertThat(handled.hookErrors).singleElement().isSameAs(bug);
            assertThat(asyncHooks.errors).isEmpty();

            // the same for a delayed task (the loop's own timer), and for a task given to the
            // scheduler itself (any loop)
            worker.schedule(() -> {
                throw new IllegalStateException("delayed bug");
            }, 5, TimeUnit.MILLISECONDS);
            TestSupport.await(() -> handled.hook.size() == 2, () -> "delayed error handled: " + handled.hook);
            assertThat(handled.hook).last().isEqualTo(handled.loopThread + ": delayed bug");
            scheduler.schedule(() -> {
                throw new IllegalStateException("direct bug");
            });
            TestSupport.await(() -> handled.hook.size() == 3, () -> "direct error handled: " + handled.hook);
            assertThat(handled.hook).last().asString().startsWith("sched-test-").endsWith(": direct bug");
            assertThat(asyncHooks.errors).isEmpty();

            // hook reset: only the uncaught handler is left, as with Reactor's own schedulers
            Schedulers.resetOnHandleError();
            worker.schedule(() -> {
                throw new IllegalStateException("after reset");
            });
            TestSupport.await(() -> handled.uncaught.contains(handled.loopThread + ": after reset"),
                    () -> "uncaught handler after reset: " + handled.uncaught);
            flush(group);
            assertThat(handled.hook).hasSize(3);
            assertThat(asyncHooks.errors).isEmpty();
        } finally {
            worker.dispose();
        }
    }

    @Test
    void delayedTasksWaitOnTheLoopsOwnTimerThenRunOnTheLoop() throws Exception {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            AtomicReference<String> thread = new AtomicReference<>();
            AtomicLong ranAfter = new AtomicLong();
            CountDownLatch ran = new CountDownLatch(1);
            AtomicInteger cancelledRuns = new AtomicInteger();
            long t0 = System.nanoTime();
            worker.schedule(() -> {
                ranAfter.set(System.nanoTime() - t0);
                thread.set(Thread.currentThread().getName());
                ran.countDown();
            }, 20, TimeUnit.MILLISECONDS);
            Disposable cancelled = worker.schedule(cancelledRuns::incrementAndGet, 100, TimeUnit.MILLISECONDS);
            Disposable direct = scheduler.schedule(cancelledRuns::incrementAndGet, 100, TimeUnit.MILLISECONDS);
            cancelled.dispose();
            direct.dispose();
            assertThat(cancelled.isDisposed()).isTrue();
            assertThat(direct.isDisposed()).isTrue();
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ranAfter.get()).as("never early").isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
            assertThat(thread.get()).startsWith("sched-test-");
            flush(group);
            // both loops are past the cancelled ones' deadlines (100 ms) once a later timer has run on each
            awaitTimerOnEachLoop(group, 150);
            assertThat(cancelledRuns).hasValue(0);
            long before = System.currentTimeMillis();
            assertThat(scheduler.now(TimeUnit.MILLISECONDS)).as("the wall clock")
                    .isBetween(before, System.currentTimeMillis());

            AtomicInteger late = new AtomicInteger();
            Disposable pending = worker.schedule(late::incrementAndGet, 100, TimeUnit.MILLISECONDS);
            worker.dispose(); // cancels its timers
            assertThat(pending.isDisposed()).isTrue();
            awaitTimerOnEachLoop(group, 150);
            assertThat(late).hasValue(0);
            assertThat(((JobLoopScheduler.LoopWorker) worker).timed.size()).as("nothing tracked").isZero();
        } finally {
            worker.dispose();
        }
    }

    /**
     * Virtual time replaces the schedulers timed operators use by default (parallel()), so the
     * timers around a job run in virtual time while the job runs on the loops; a timed operator
     * given this scheduler explicitly is on the loop's own (real) timer, which virtual time does not move.
     */
    @Test
    void virtualTimeDrivesTheDefaultTimersAroundJobsNotTheLoopsOwn() throws Exception {
        JobOptions opts = JobOptions.builder().loops(group).build();
        AtomicInteger jobRuns = new AtomicInteger();
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofHours(1))
                        .then(AsyncMono.fromJob(() -> {
                            jobRuns.incrementAndGet();
                            return group.liveJobs(); // 1: launched on the loops of the group
                        }, opts))
                        .delayElement(Duration.ofHours(2)))
                .expectSubscription()
                .expectNoEvent(Duration.ofMinutes(59))
                .then(() -> assertThat(jobRuns).hasValue(0))
                .thenAwait(Duration.ofMinutes(1))
                // the job runs on a loop, in real time; then delayElement waits in virtual time
                .then(() -> TestSupport.await(() -> jobRuns.get() == 1 && group.liveJobs() == 0, () -> "the job ran"))
                .then(() -> flushQuietly(group))
                .expectNoEvent(Duration.ofMinutes(119))
                .thenAwait(Duration.ofMinutes(1))
                .expectNext(1)
                .expectComplete()
                .verify(Duration.ofSeconds(20));

        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        AtomicInteger fired = new AtomicInteger();
        Disposable onLoopTimer = Mono.delay(Duration.ofHours(1), scheduler).subscribe(x -> fired.incrementAndGet());
        vts.advanceTimeBy(Duration.ofHours(2));
        flush(group);
        assertThat(fired).as("the loop's own timer keeps real time").hasValue(0);
        onLoopTimer.dispose();
    }

    @Test
    void periodicTasksTickOnOneLoopAndStopWhenDisposed() throws Exception {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger ticks = new AtomicInteger();
        Disposable periodic = scheduler.schedulePeriodically(() -> {
            threads.add(Thread.currentThread().getName());
            ticks.incrementAndGet();
        }, 1, 1, TimeUnit.MILLISECONDS);
        TestSupport.await(() -> ticks.get() >= 5, () -> "five ticks, got " + ticks);
        periodic.dispose();
        assertThat(periodic.isDisposed()).isTrue();
        flush(group);
        int n = ticks.get();
        awaitTimerOnEachLoop(group, 10);
        assertThat(ticks).hasValue(n);
        assertThat(threads).hasSize(1);
    }

    @Test
    void aPeriodicTaskThatThrowsStopsAndItsErrorGoesToReactorsHandleError() throws Exception {
        Scheduler.Worker worker = scheduler.createWorker();
        try (TestSupport.HookErrors asyncHooks = new TestSupport.HookErrors();
                HandledErrors handled = new HandledErrors(worker)) {
            AtomicInteger runs = new AtomicInteger();
            Disposable d = worker.schedulePeriodically(() -> {
                runs.incrementAndGet();
                throw new IllegalStateException("periodic bug");
            }, 0, 1, TimeUnit.MILLISECONDS);
            TestSupport.await(() -> runs.get() == 1, () -> "first run");
            TestSupport.await(d::isDisposed, () -> "disposed after throwing");
            awaitTimerOnEachLoop(group, 10);
            assertThat(runs).hasValue(1);
            assertThat(handled.uncaught).containsExactly(handled.loopThread + ": periodic bug");
            assertThat(handled.hook).containsExactly(handled.loopThread + ": periodic bug");
            assertThat(asyncHooks.errors).isEmpty();
            assertThat(((JobLoopScheduler.LoopWorker) worker).timed.size()).isZero();
        } finally {
            worker.dispose();
        }
    }

    /** Dispose racing the run of a delayed task, thousands of rounds: it runs at most once and nothing stays tracked. */
    @Test
    void disposeRacingTheRunOfADelayedTaskLeavesNothingBehind() throws Exception {
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            java.util.Random rnd = new java.util.Random(3);
            int ranTotal = 0;
            for (int round = 0; round < 3_000; round++) {
                AtomicInteger runs = new AtomicInteger();
                Disposable d = worker.schedule(runs::incrementAndGet, round % 2, TimeUnit.MILLISECONDS);
                long until = System.nanoTime() + rnd.nextInt(1_200_000);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                d.dispose();
                assertThat(d.isDisposed()).isTrue();
                flush(group);
                int r = runs.get();
                assertThat(r).as("round %d", round).isLessThanOrEqualTo(1);
                ranTotal += r;
            }
            awaitTimerOnEachLoop(group, 3);
            assertThat(((JobLoopScheduler.LoopWorker) worker).timed.size()).as("no task left tracked").isZero();
            assertThat(ranTotal).isLessThanOrEqualTo(3_000);
        } finally {
            worker.dispose();
        }
    }

    @Test
    void operatorsRunOnTheLoops() {
        StepVerifier.create(Flux.range(1, 1000)
                        .publishOn(scheduler)
                        .map(i -> Thread.currentThread().getName().startsWith("sched-test-") ? i : -i)
                        .subscribeOn(scheduler)
                        .reduce(0, Integer::sum))
                .expectNext(500_500)
                .verifyComplete();
        StepVerifier.create(Mono.delay(Duration.ofMillis(5), scheduler).map(x -> Thread.currentThread().getName()))
                .assertNext(name -> assertThat(name).startsWith("sched-test-"))
                .verifyComplete();
    }

    @Test
    void subscribeOnALoopThenAJobStartsOnThatLoop() {
        JobOptions opts = JobOptions.builder().loops(group).build();
        AtomicReference<String> subscribedOn = new AtomicReference<>();
        StepVerifier.create(AsyncMono.fromJob(() -> "x", opts)
                        .doOnSubscribe(s -> subscribedOn.set(Thread.currentThread().getName()))
                        .map(v -> Thread.currentThread().getName())
                        .subscribeOn(scheduler))
                .assertNext(name -> assertThat(name).isEqualTo(subscribedOn.get()).startsWith("sched-test-"))
                .verifyComplete();
    }

    @Test
    void deepResubscriptionOnALoopDoesNotGrowTheStack() {
        // subscribeOn + repeat resubscribes from the loop thread each round
        StepVerifier.create(Mono.fromCallable(() -> 1).subscribeOn(scheduler).repeat(20_000).count())
                .expectNext(20_001L)
                .verifyComplete();
    }

    @Test
    void disposeRejectsNewTasksButTheSharedOneIgnoresIt() {
        scheduler.dispose();
        assertThat(scheduler.isDisposed()).isTrue();
        assertThatThrownBy(() -> scheduler.schedule(() -> { })).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> scheduler.createWorker().schedule(() -> { }))
                .isInstanceOf(RejectedExecutionException.class);
        JobLoopScheduler shared = JobLoopScheduler.shared();
        shared.dispose();
        assertThat(shared.isDisposed()).isFalse();
        assertThat(shared.group()).as("Reactor's own loops: NonBlocking threads").isNotSameAs(JobLoopGroup.shared());
        assertThat(JobLoopScheduler.shared()).isSameAs(shared);
        assertThatThrownBy(() -> JobLoopScheduler.create(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("group");
    }

    @Test
    void aClosedGroupMakesTheSchedulerDisposed() {
        JobLoopGroup g = JobLoopGroup.builder().threads(1).name("closing").build();
        JobLoopScheduler s = JobLoopScheduler.create(g);
        g.close();
        assertThat(s.isDisposed()).isTrue();
        assertThatThrownBy(() -> s.schedule(() -> { })).isInstanceOf(RejectedExecutionException.class);
    }

    /**
     * The adapter's loops are Reactor NonBlocking threads: {@code block()} on one fails fast, as on
     * Reactor's own parallel threads, instead of deadlocking the loop; AsyncMono's default loops are
     * those of {@link JobLoopScheduler#shared()}.
     */
    @Test
    void blockOnALoopFailsFastInsteadOfDeadlocking() throws Exception {
        try (JobLoopGroup nb = JobLoopGroup.builder().threads(1).threadFactory(JobLoopScheduler.threadFactory("nb-test")).build()) {
            JobLoopScheduler s = JobLoopScheduler.create(nb);
            StepVerifier.create(Mono.fromCallable(() -> Mono.just(1).delayElement(Duration.ofMillis(1)).block())
                            .subscribeOn(s))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                            .hasMessageStartingWith("block()/blockFirst()/blockLast() are blocking, which is not supported in thread nb-test-0"))
                    .verify(Duration.ofSeconds(20));
            assertThat(nb.loop(0).name()).isEqualTo("nb-test-0");
            java.util.concurrent.CompletableFuture<Thread> loopThread = new java.util.concurrent.CompletableFuture<>();
            nb.loop(0).execute(() -> loopThread.complete(Thread.currentThread()));
            assertThat(loopThread.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(reactor.core.scheduler.NonBlocking.class)
                    .isInstanceOf(dev.asyncjobs.core.NonBlockingThread.class)
                    .matches(Thread::isDaemon);
        }
        // the default loops of AsyncMono
        StepVerifier.create(AsyncMono.fromJob(() -> Schedulers.isInNonBlockingThread()
                        || "virtual-thread".equals(dev.asyncjobs.core.AsyncJob.backend())))
                .expectNext(true)
                .verifyComplete();
        StepVerifier.create(Mono.fromCallable(() -> Mono.just(1).delayElement(Duration.ofMillis(1)).block())
                        .subscribeOn(JobLoopScheduler.shared()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("asyncjobs-reactor-loop-"))
                .verify(Duration.ofSeconds(20));
    }

    /** A placement that contradicts the scheduler is refused at assembly, never silently ignored. */
    @Test
    void aPlacementThatContradictsTheSchedulerIsRefused() {
        JobOptions onLoops = JobOptions.builder().loops(group).build();
        JobOptions confined = JobOptions.builder()
                .placement(dev.asyncjobs.core.JobPlacement.confined(dev.asyncjobs.core.AsyncSelector.shared(), 2)).build();
        assertThatThrownBy(() -> AsyncMono.fromJob(() -> 1, onLoops, Schedulers.single()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pass one of them");
        assertThatThrownBy(() -> AsyncMono.fromJob(() -> 1, confined))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AsyncMono.fromJob(func, options, scheduler)");
        assertThatThrownBy(() -> AsyncMono.fromJob(() -> 1, confined, scheduler))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loops of a JobLoopScheduler");
        try (JobLoopGroup other = JobLoopGroup.builder().threads(1).name("other-loops").build()) {
            assertThatThrownBy(() -> AsyncMono.fromJob(() -> 1, JobOptions.builder().loops(other).build(), scheduler))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pass one of them");
        }
        // what does apply is accepted
        StepVerifier.create(AsyncMono.fromJob(() -> 1, onLoops, scheduler)).expectNext(1).verifyComplete();
        StepVerifier.create(AsyncMono.fromJob(() -> 2, confined, Schedulers.single())).expectNext(2).verifyComplete();
    }

    /**
     * Installs {@code Schedulers.onHandleError} and, on the loop of {@code worker}, an uncaught
     * exception handler; records {@code "thread: message"} from each. Closing resets both.
     */
    static final class HandledErrors implements AutoCloseable {
        final List<String> hook = new CopyOnWriteArrayList<>();
        final List<Throwable> hookErrors = new CopyOnWriteArrayList<>();
        final List<String> uncaught = new CopyOnWriteArrayList<>();
        final Scheduler.Worker worker;
        final String loopThread;

        HandledErrors(Scheduler.Worker worker) throws InterruptedException {
            this.worker = worker;
            Schedulers.onHandleError((t, e) -> {
                hook.add(t.getName() + ": " + e.getMessage());
                hookErrors.add(e);
            });
            AtomicReference<String> name = new AtomicReference<>();
            CountDownLatch set = new CountDownLatch(1);
            worker.schedule(() -> {
                Thread.currentThread().setUncaughtExceptionHandler((t, e) -> uncaught.add(t.getName() + ": " + e.getMessage()));
                name.set(Thread.currentThread().getName());
                set.countDown();
            });
            assertThat(set.await(10, TimeUnit.SECONDS)).isTrue();
            loopThread = name.get();
        }

        @Override
        public void close() {
            Schedulers.resetOnHandleError();
            CountDownLatch reset = new CountDownLatch(1);
            worker.schedule(() -> {
                Thread.currentThread().setUncaughtExceptionHandler(null);
                reset.countDown();
            });
            try {
                assertThat(reset.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Waits until every loop of {@code g} has run what was queued before this call. */
    static void flush(JobLoopGroup g) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(g.size());
        for (int i = 0; i < g.size(); i++) {
            g.loop(i).execute(done::countDown);
        }
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }

    /** Waits until a timer of {@code millis} has run on every loop of {@code g}: earlier deadlines have passed there. */
    static void awaitTimerOnEachLoop(JobLoopGroup g, long millis) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(g.size());
        for (int i = 0; i < g.size(); i++) {
            g.loop(i).schedule(done::countDown, millis, TimeUnit.MILLISECONDS);
        }
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }

    static void flushQuietly(JobLoopGroup g) {
        try {
            flush(g);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
