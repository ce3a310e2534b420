package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Jobs on a scheduler the user passes: confined ones work, unconfined ones fail loudly and cleanly. */
class UserSchedulerTest {
    private AsyncSelector selector;
    private JobOptions options;

    @BeforeEach
    void setUp() {
        selector = AsyncSelector.open("user-scheduler-test-selector");
        options = JobOptions.builder().placement(JobPlacement.confined(selector, 0)).build();
    }

    @AfterEach
    void tearDown() {
        selector.close();
    }

    @Test
    void aConfinedSchedulerRunsStartAndResumesOnItsWorkerAndDisposesTheWorker() throws Exception {
        Scheduler single = Schedulers.newSingle("confined");
        try {
            CountingScheduler counting = new CountingScheduler(single);
            for (boolean byFd : new boolean[] {true, false}) {
                Probe p = new Probe();
                AtomicReference<String> signalThread = new AtomicReference<>();
                StepVerifier.create(AsyncMono.fromJob(p.job("ok"), options, counting)
                                .doOnNext(v -> signalThread.set(Thread.currentThread().getName())))
                        .then(() -> {
                            await(p);
                            if (byFd) {
                                p.signalFd(); // through the options' AsyncSelector
                            } else {
                                p.callBack();
                            }
                        })
                        .expectNext("ok")
                        .verifyComplete();
                assertThat(signalThread.get()).startsWith("confined");
                assertThat(p.resumes).hasValue(1);
                assertThat(p.cleanups).hasValue(1);
            }
            assertThat(counting.created).hasValue(2);
            TestSupport.await(() -> counting.disposed.get() == 2, () -> "workers disposed: " + counting.disposed);
        } finally {
            single.dispose();
        }
    }

    @Test
    void cancelOnAConfinedSchedulerFinishesTheJobOnItsWorker() throws Exception {
        Scheduler parallel = Schedulers.newParallel("confined-par", 2);
        try {
            CountingScheduler counting = new CountingScheduler(parallel);
            Probe p = new Probe();
            Disposable d = AsyncMono.fromJob(p.job("never"), options, counting).subscribe();
            p.awaitPaused();
            d.dispose();
            TestSupport.await(() -> p.cleanups.get() == 1 && counting.disposed.get() == 1, () -> "job ended");
            assertThat(p.cancelSeen).hasValue(1);
            assertThat(p.resumes).hasValue(1);
        } finally {
            parallel.dispose();
        }
    }

    @Test
    void theImmediateSchedulerIsDetectedAtTheFirstResume() throws Exception {
        Probe p = new Probe();
        StepVerifier.create(AsyncMono.fromJob(p.job("wrong"), options, Schedulers.immediate()))
                .then(() -> {
                    await(p);
                    Thread waker = new Thread(p::callBack, "foreign-waker"); // resumes inline there
                    waker.start();
                    join(waker);
                })
                .verifyErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("foreign-waker")
                        .hasMessageContaining("Schedulers.single()"));
        assertThat(p.cleanups).hasValue(1); // the job was finished, not abandoned
        assertThat(p.cancelSeen).hasValue(1);
    }

    @Test
    void aThreadPoolSchedulerIsDetectedAtTheFirstResume() throws Exception {
        // a fresh fixed pool starts a new thread for each of its first 4 tasks: the resume lands on
        // another thread than the start, every time
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Scheduler unconfined = Schedulers.fromExecutorService(pool);
        try {
            Probe p = new Probe();
            StepVerifier.create(AsyncMono.fromJob(p.job("wrong"), options, unconfined))
                    .then(() -> {
                        await(p);
                        p.signalFd();
                    })
                    .verifyErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("resumed it on")
                            .hasMessageContaining("job loops"));
            assertThat(p.cleanups).hasValue(1);
            assertThat(p.started).hasValue(1);
        } finally {
            unconfined.dispose();
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void anAlternatingExecutorIsDetectedEveryTime() throws Exception {
        ExecutorService a = Executors.newSingleThreadExecutor(r -> new Thread(r, "alt-a"));
        ExecutorService b = Executors.newSingleThreadExecutor(r -> new Thread(r, "alt-b"));
        AtomicInteger turn = new AtomicInteger();
        Scheduler alternating = Schedulers.fromExecutor(task -> (turn.getAndIncrement() % 2 == 0 ? a : b).execute(task));
        try {
            for (int i = 0; i < 50; i++) {
                turn.set(0);
                Probe p = new Probe();
                StepVerifier.create(AsyncMono.fromJob(p.job("wrong"), options, alternating))
                        .then(() -> {
                            await(p);
                            p.callBack();
                        })
                        .verifyError(IllegalStateException.class);
                assertThat(p.cleanups).hasValue(1);
            }
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    @Test
    void aJobLoopSchedulerRunsTheJobOnItsLoopsNatively() throws Exception {
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).name("native-loops").build()) {
            JobLoopScheduler scheduler = JobLoopScheduler.create(group);
            Probe p = new Probe();
            AtomicReference<String> signalThread = new AtomicReference<>();
            StepVerifier.create(AsyncMono.fromJob(p.job("native"), JobOptions.defaults(), scheduler)
                            .doOnNext(v -> signalThread.set(Thread.currentThread().getName())))
                    .then(() -> {
                        await(p);
                        assertThat(group.liveJobs()).isEqualTo(1); // counted by the loop, not a worker
                        p.signalFd();
                    })
                    .expectNext("native")
                    .verifyComplete();
            assertThat(signalThread.get()).isEqualTo("native-loops-0");
            scheduler.dispose();
            StepVerifier.create(AsyncMono.fromJob(() -> "x", JobOptions.defaults(), scheduler))
                    .verifyError(java.util.concurrent.RejectedExecutionException.class);
        }
    }

    private static void await(Probe p) {
        try {
            p.awaitPaused();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Counts the workers a scheduler hands out and disposes. */
    static final class CountingScheduler implements Scheduler {
        final Scheduler delegate;
        final AtomicInteger created = new AtomicInteger();
        final AtomicInteger disposed = new AtomicInteger();

        CountingScheduler(Scheduler delegate) {
            this.delegate = delegate;
        }

        @Override
        public Disposable schedule(Runnable task) {
            return delegate.schedule(task);
        }

        @Override
        public Worker createWorker() {
            Worker w = delegate.createWorker();
            created.incrementAndGet();
            return new Worker() {
                private boolean done;

                @Override
                public Disposable schedule(Runnable task) {
                    return w.schedule(task);
                }

                @Override
                public void dispose() {
                    synchronized (this) {
                        if (done) {
                            return;
                        }
                        done = true;
                    }
                    disposed.incrementAndGet();
                    w.dispose();
                }

                @Override
                public boolean isDisposed() {
                    return w.isDisposed();
                }
            };
        }
    }
}
