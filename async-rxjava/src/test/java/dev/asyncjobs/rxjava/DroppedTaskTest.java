package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.testsupport.Fds;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An RxJava worker that cannot take a task returns a disposed {@code Disposable} instead of
 * throwing (a disposed worker, a shut-down {@code Schedulers.from(executor)}). A job whose start or
 * resume is dropped that way must still end: its observer gets one error, its ctx closes once, its
 * slot frees.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DroppedTaskTest extends TestSupport {
    private ExecutorService exec;

    @BeforeEach
    void startExecutor() {
        exec = singleThread();
    }

    @AfterEach
    void stopExecutor() throws InterruptedException {
        exec.shutdownNow();
        assertThat(exec.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * Before an fd baseline: NIO's pre-close socket, and the shared selector that watches the fds of
     * jobs on user schedulers (opened at its first use, kept for the JVM's life).
     */
    private static void warmUpFds() {
        Fds.warmUpNio();
        PausingJob<String> job = new PausingJob<>("warm");
        TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, Schedulers.single()).test();
        job.awaitPaused();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertResult("warm");
    }

    private static ExecutorService singleThread() {
        return Executors.newSingleThreadExecutor(r -> new Thread(r, "dropped-task-exec"));
    }

    /** One job slot on the executor's thread, and no waiting for one: a slot not freed fails the next job. */
    private static final JobOptions ONE_SLOT = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 1)).onNoJobs(NoJobsPolicy.FAIL).build();

    private static void wake(PausingJob<?> job, String route) {
        if (route.equals("fd")) {
            job.signalFd(); // resumed from the shared selector's thread
        } else {
            job.callBack(); // resumed from this thread
        }
    }

    @ParameterizedTest(name = "woken by {0}")
    @ValueSource(strings = {"callback", "fd"})
    void aResumeOnAWorkerDisposedWhileThePausedJobWaitsFailsTheJobOnce(String route) {
        CountingScheduler counting = new CountingScheduler(Schedulers.from(exec));
        PausingJob<String> job = new PausingJob<>("never");
        TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, counting).test();
        job.awaitPaused();
        counting.workers.get(0).dispose(); // behind the subscription's back

        wake(job, route);

        to.awaitDone(10, TimeUnit.SECONDS).assertFailure(RejectedExecutionException.class);
        job.awaitEnded();
        assertThat(job.cancelledSeen).as("finished cancelled, off its dead worker").isTrue();
        assertThat(job.ends).hasValue(1);
        assertThat(job.cleanups).as("ctx closed once").hasValue(1);

        // the executor's thread is alive and its one slot must be free again
        PausingJob<String> next = new PausingJob<>("next");
        TestObserver<String> to2 = AsyncSingle.fromJob(next, ONE_SLOT, counting).test();
        next.awaitPaused();
        next.callBack();
        to2.awaitDone(10, TimeUnit.SECONDS).assertResult("next");
    }

    @ParameterizedTest(name = "woken by {0}")
    @ValueSource(strings = {"callback", "fd"})
    void aResumeOnAShutDownExecutorSchedulerFailsTheJobOnce(String route) throws InterruptedException {
        PausingJob<String> job = new PausingJob<>("never");
        TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, Schedulers.from(exec)).test();
        job.awaitPaused();
        exec.shutdown();
        assertThat(exec.awaitTermination(20, TimeUnit.SECONDS)).isTrue();

        wake(job, route);

        to.awaitDone(10, TimeUnit.SECONDS).assertFailure(RejectedExecutionException.class);
        job.awaitEnded();
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.ends).hasValue(1);
        assertThat(job.cleanups).hasValue(1);
        // RxJava's executor worker reports the executor's own refusal, as it does for any task
        assertThat(takeUndeliverables()).singleElement().isInstanceOf(RejectedExecutionException.class);
    }

    static Stream<Arguments> rxJavaSchedulers() {
        return Stream.of(
                Arguments.of("computation", (Supplier<Scheduler>) () -> RxJavaPlugins.createComputationScheduler(
                        r -> new Thread(r, "dropped-task-computation"))),
                Arguments.of("io", (Supplier<Scheduler>) () -> RxJavaPlugins.createIoScheduler(
                        r -> new Thread(r, "dropped-task-io"))));
    }

    /** RxJava's own schedulers, shut down: a later task's {@code Disposable} comes back disposed. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("rxJavaSchedulers")
    void aResumeOnAShutDownRxJavaSchedulerFailsTheJobOnce(String name, Supplier<Scheduler> make) {
        Scheduler scheduler = make.get(); // a private instance: shutting it down touches no other test
        PausingJob<String> job = new PausingJob<>("never");
        TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, scheduler).test();
        job.awaitPaused();
        scheduler.shutdown();

        job.callBack();

        to.awaitDone(10, TimeUnit.SECONDS).assertFailure(RejectedExecutionException.class);
        job.awaitEnded();
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.ends).hasValue(1);
        assertThat(job.cleanups).hasValue(1);
        // the scheduler reports its executor's refusal itself, as it does for any task
        assertThat(takeUndeliverables()).singleElement().isInstanceOf(RejectedExecutionException.class);
    }

    @Test
    void aStartOnAShutDownExecutorSchedulerFailsWithoutRunningTheJob() throws InterruptedException {
        exec.shutdown();
        assertThat(exec.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        AtomicInteger runs = new AtomicInteger();
        AsyncSingle.fromJob(runs::incrementAndGet, ONE_SLOT, Schedulers.from(exec)).test()
                .awaitDone(10, TimeUnit.SECONDS).assertFailure(RejectedExecutionException.class);
        AsyncMaybe.fromJob(runs::incrementAndGet, ONE_SLOT, Schedulers.from(exec)).test()
                .awaitDone(10, TimeUnit.SECONDS).assertFailure(RejectedExecutionException.class);
        AsyncCompletable.fromJob(runs::incrementAndGet, ONE_SLOT, Schedulers.from(exec)).test()
                .awaitDone(10, TimeUnit.SECONDS).assertFailure(RejectedExecutionException.class);
        assertThat(runs).hasValue(0);
        assertThat(takeUndeliverables()).hasSize(3).allMatch(e -> e instanceof RejectedExecutionException);
    }

    @Test
    void aDisposeWhoseCancelIsDroppedStillEndsTheJobWithoutAnUndeliverable() {
        CountingScheduler counting = new CountingScheduler(Schedulers.from(exec));
        PausingJob<String> job = new PausingJob<>("never");
        TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, counting).test();
        job.awaitPaused();
        counting.workers.get(0).dispose();

        to.dispose();

        job.awaitEnded();
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.cleanups).hasValue(1);
        to.assertEmpty();
        // the subscription asked for the end it got: nothing is reported as lost
    }

    /**
     * The executor shut down while the paused job is being resumed: the resume either got in
     * before (the job returns its value) or is refused (the job fails); never both, never neither.
     */
    @Test
    void shutdownRacingTheResumeEndsTheJobOnceEitherWay() throws InterruptedException {
        warmUpFds();
        int fdsBefore = Fds.count();
        int jobThreadsBefore = jobVirtualThreads();
        int rounds = 2_000;
        int values = 0;
        int refusals = 0;
        for (int round = 0; round < rounds; round++) {
            ExecutorService e = singleThread();
            try {
                PausingJob<String> job = new PausingJob<>("v");
                TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, Schedulers.from(e)).test();
                job.awaitPaused();

                race(e::shutdown, job::callBack);

                to.awaitDone(10, TimeUnit.SECONDS);
                job.awaitEnded();
                assertThat(job.ends).as("round " + round).hasValue(1);
                assertThat(job.cleanups).as("round " + round).hasValue(1);
                if (to.values().isEmpty()) {
                    to.assertFailure(RejectedExecutionException.class); // exactly one error, no value
                    assertThat(job.cancelledSeen).isTrue();
                    assertThat(takeUndeliverables()).as("round " + round)
                            .singleElement().isInstanceOf(RejectedExecutionException.class);
                    refusals++;
                } else {
                    to.assertResult("v"); // exactly one value, no error
                    values++;
                }
            } finally {
                e.shutdownNow();
                assertThat(e.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
            }
        }
        System.out.println("shutdown vs resume, " + rounds + " rounds: values=" + values + " refusals=" + refusals);
        // every round's executor thread has ended: their jobs' threads and fds must be gone too
        awaitAtMost("job virtual threads", TestSupport::jobVirtualThreads, jobThreadsBefore);
        Fds.awaitAtMost("fds", fdsBefore, Duration.ofSeconds(20));
    }

    /**
     * The narrow window of the race below, pinned: the core already ended the job on the worker's
     * refusal, as a failure, when the dispose's cancel arrives (too late to make it a drop). The
     * refusal is not a lost failure of the job (RxJava's scheduler reported its own, and the job
     * ended as the dispose asked), so nothing more reaches the plugins; any other failure that
     * arrives after a dispose still does.
     */
    @Test
    void aRefusalEndingTheJobJustAfterTheDisposeIsNotReportedAgainButAnyOtherLateFailureIs() {
        TestObserver<String> to = new TestObserver<>();
        SingleFromJob.JobSingleObserver<String> parent = new SingleFromJob.JobSingleObserver<>(to);
        to.onSubscribe(parent);
        to.dispose();
        parent.onFailure(new WorkerExecutor.TaskDropped("refused"));
        to.assertEmpty();
        assertThat(takeUndeliverables()).isEmpty();

        TestObserver<String> to2 = new TestObserver<>();
        SingleFromJob.JobSingleObserver<String> parent2 = new SingleFromJob.JobSingleObserver<>(to2);
        to2.onSubscribe(parent2);
        to2.dispose();
        java.io.IOException late = new java.io.IOException("late"); // not one RxJava takes for a bug: wrapped as undeliverable
        parent2.onFailure(late);
        to2.assertEmpty();
        assertThat(takeUndeliverables()).containsExactly(late);
    }

    /**
     * The subscriber disposes while the executor shuts down: the cancel-resume either gets in
     * before (the job ends cancelled on its thread) or is refused (the job ends cancelled here);
     * either way it ends once, silently but for RxJava's own report of the refusal.
     */
    @Test
    void shutdownRacingTheSubscribersDisposeEndsThePausedJob() throws InterruptedException {
        warmUpFds();
        int fdsBefore = Fds.count();
        int jobThreadsBefore = jobVirtualThreads();
        int rounds = 2_000;
        for (int round = 0; round < rounds; round++) {
            ExecutorService e = singleThread();
            try {
                PausingJob<String> job = new PausingJob<>("v");
                CountingScheduler counting = new CountingScheduler(Schedulers.from(e));
                AtomicInteger errors = new AtomicInteger();
                TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, counting)
                        .doOnError(t -> errors.incrementAndGet()).test();
                job.awaitPaused();

                race(e::shutdown, to::dispose);

                job.awaitEnded();
                // the subscription disposes its worker once the core reported the job's end
                await("round " + round + ": the job's end reported", () -> counting.disposeCalls.get() > 0);
                assertThat(job.cancelledSeen).as("round " + round).isTrue();
                assertThat(job.ends).as("round " + round).hasValue(1);
                assertThat(job.cleanups).as("round " + round).hasValue(1);
                if (AsyncJob.backend().equals("virtual-thread") && errors.get() > 0) {
                    // the executor's thread ended before the dispose: on this backend the job, run
                    // out on its own, is collected at once and fails with the refusal (once)
                    to.assertFailure(RejectedExecutionException.class);
                } else {
                    to.assertEmpty();
                }
                assertThat(takeUndeliverables()).as("round " + round + ": at most RxJava's own report")
                        .hasSizeLessThanOrEqualTo(1).allMatch(t -> t instanceof RejectedExecutionException);
            } finally {
                e.shutdownNow();
                assertThat(e.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
            }
        }
        awaitAtMost("job virtual threads", TestSupport::jobVirtualThreads, jobThreadsBefore);
        Fds.awaitAtMost("fds", fdsBefore, Duration.ofSeconds(20));
    }
}
