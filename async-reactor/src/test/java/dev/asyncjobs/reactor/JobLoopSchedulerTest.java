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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

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

            // the same for a delayed task, and for a task given to the scheduler itself (any loop)
            VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
            worker.schedule(() -> {
                throw new IllegalStateException("delayed bug");
            }, 1, TimeUnit.SECONDS);
            vts.advanceTimeBy(Duration.ofSeconds(1));
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
    void delayedTasksWaitOnTheParallelTimerThenRunOnTheLoopInVirtualTime() throws Exception {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        Scheduler.Worker worker = scheduler.createWorker();
        try {
            AtomicReference<String> thread = new AtomicReference<>();
            CountDownLatch ran = new CountDownLatch(1);
            AtomicInteger cancelledRuns = new AtomicInteger();
            worker.schedule(() -> {
                thread.set(Thread.currentThread().getName());
                ran.countDown();
            }, 10, TimeUnit.SECONDS);
            Disposable cancelled = worker.schedule(cancelledRuns::incrementAndGet, 5, TimeUnit.SECONDS);
            Disposable direct = scheduler.schedule(cancelledRuns::incrementAndGet, 5, TimeUnit.SECONDS);
            cancelled.dispose();
            direct.dispose();
            assertThat(scheduler.now(TimeUnit.SECONDS)).isEqualTo(vts.now(TimeUnit.SECONDS));
            vts.advanceTimeBy(Duration.ofSeconds(9));
            assertThat(ran.getCount()).isEqualTo(1);
            vts.advanceTimeBy(Duration.ofSeconds(1));
            assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(thread.get()).startsWith("sched-test-");
            flush(group);
            assertThat(cancelledRuns).hasValue(0);

            AtomicInteger late = new AtomicInteger();
            worker.schedule(late::incrementAndGet, 1, TimeUnit.SECONDS);
            worker.dispose(); // cancels its timers
            vts.advanceTimeBy(Duration.ofSeconds(2));
            flush(group);
            assertThat(late).hasValue(0);
        } finally {
            worker.dispose();
        }
    }

    @Test
    void periodicTasksTickOnOneLoopAndStopWhenDisposed() throws Exception {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger ticks = new AtomicInteger();
        Disposable periodic = scheduler.schedulePeriodically(() -> {
            threads.add(Thread.currentThread().getName());
            ticks.incrementAndGet();
        }, 1, 1, TimeUnit.SECONDS);
        for (int i = 1; i <= 5; i++) {
            vts.advanceTimeBy(Duration.ofSeconds(1));
            int expected = i;
            TestSupport.await(() -> ticks.get() == expected, () -> "tick " + expected + ", got " + ticks);
        }
        periodic.dispose();
        assertThat(periodic.isDisposed()).isTrue();
        vts.advanceTimeBy(Duration.ofSeconds(5));
        flush(group);
        assertThat(ticks).hasValue(5);
        assertThat(threads).hasSize(1);
    }

    @Test
    void aPeriodicTaskThatThrowsStopsAndItsErrorGoesToReactorsHandleError() throws Exception {
        VirtualTimeScheduler vts = VirtualTimeScheduler.getOrSet();
        Scheduler.Worker worker = scheduler.createWorker();
        try (TestSupport.HookErrors asyncHooks = new TestSupport.HookErrors();
                HandledErrors handled = new HandledErrors(worker)) {
            AtomicInteger runs = new AtomicInteger();
            Disposable d = worker.schedulePeriodically(() -> {
                runs.incrementAndGet();
                throw new IllegalStateException("periodic bug");
            }, 0, 1, TimeUnit.SECONDS);
            vts.advanceTimeBy(Duration.ZERO);
            TestSupport.await(() -> runs.get() == 1, () -> "first run");
            TestSupport.await(d::isDisposed, () -> "disposed after throwing");
            vts.advanceTimeBy(Duration.ofSeconds(3));
            flush(group);
            assertThat(runs).hasValue(1);
            assertThat(handled.uncaught).containsExactly(handled.loopThread + ": periodic bug");
            assertThat(handled.hook).containsExactly(handled.loopThread + ": periodic bug");
            assertThat(asyncHooks.errors).isEmpty();
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
        assertThat(shared.group()).isSameAs(JobLoopGroup.shared());
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

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
