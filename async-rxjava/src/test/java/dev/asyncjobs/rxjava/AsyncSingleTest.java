package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.NoJobsPolicy;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.core.Single;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import io.reactivex.rxjava3.schedulers.Schedulers;
import io.reactivex.rxjava3.schedulers.TestScheduler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AsyncSingle}: the {@link FromJobContract}, a value is a success and a null result a
 * {@code NullPointerException}; resumes by callback, late signals, NO_JOBS and user schedulers.
 */
class AsyncSingleTest extends FromJobContract<String> {
    @Override
    Object fromJob(@Nullable JobFunction<String> func) {
        return AsyncSingle.fromJob(func);
    }

    @Override
    Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options) {
        return AsyncSingle.fromJob(func, options);
    }

    @Override
    Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options, @Nullable Scheduler scheduler) {
        return AsyncSingle.fromJob(func, options, scheduler);
    }

    @Override
    TestObserver<String> subscribe(JobFunction<String> func) {
        return AsyncSingle.fromJob(func, opts).test();
    }

    @Override
    void assertResultOf(TestObserver<String> to, @Nullable String value) {
        to.assertResult(value);
    }

    @Override
    void countAssemblies(AtomicInteger count) {
        RxJavaPlugins.setOnSingleAssembly(s -> {
            count.incrementAndGet();
            return s;
        });
    }

    @Test
    void emitsTheValueOfAJobThatNeverPauses() {
        AsyncSingle.fromJob(() -> 42, opts).test().awaitDone(10, TimeUnit.SECONDS).assertResult(42);
    }

    @Test
    void signalsOnTheLoopThread() {
        AsyncSingle.fromJob(() -> 1, opts)
                .map(v -> Thread.currentThread().getName())
                .test().awaitDone(10, TimeUnit.SECONDS)
                .assertValue(name -> name.startsWith("AsyncSingleTest-"));
    }

    @Test
    void defaultOptionsRunOnTheSharedLoops() {
        AsyncSingle.fromJob(() -> 1)
                .map(v -> Thread.currentThread().getName())
                .test().awaitDone(10, TimeUnit.SECONDS)
                .assertValue(name -> name.startsWith("asyncjobs-loop-"));
    }

    @Test
    void pausedJobIsResumedByTheCtxCallbackFromAnotherThread() throws Exception {
        PausingJob<String> job = new PausingJob<>("called back");
        TestObserver<String> to = AsyncSingle.fromJob(job, opts).test();
        job.awaitPaused();
        Thread t = new Thread(job::callBack);
        t.start();
        t.join();
        to.awaitDone(10, TimeUnit.SECONDS).assertResult("called back");
        assertThat(job.resumes).hasValue(1);
        assertThat(job.cleanups).hasValue(1);
    }

    @Test
    void nullResultIsANullPointerExceptionLikeFromCallable() {
        AsyncSingle.fromJob(() -> null, opts).test().awaitDone(10, TimeUnit.SECONDS)
                .assertFailure(NullPointerException.class)
                .assertError(e -> e.getMessage().startsWith("The job returned a null value"));
    }

    @Test
    void failureAfterAPauseIsEmittedAsOnError() {
        IOException late = new IOException("after the pause");
        PausingJob<String> job = new PausingJob<>("x").failAfterResume(late);
        TestObserver<String> to = AsyncSingle.fromJob(job, opts).test();
        job.awaitPaused();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertError(late);
        assertThat(job.cleanups).hasValue(1);
    }

    @Test
    void isLazyAndStartsOneJobPerSubscription() {
        AtomicInteger runs = new AtomicInteger();
        Single<Integer> single = AsyncSingle.fromJob(runs::incrementAndGet, opts);
        assertThat(runs).hasValue(0);
        single.test().awaitDone(10, TimeUnit.SECONDS).assertResult(1);
        single.test().awaitDone(10, TimeUnit.SECONDS).assertResult(2);
    }

    @Test
    void valueAfterDisposeIsDropped() {
        PausingJob<String> job = new PausingJob<String>("late value").ignoreCancel();
        TestObserver<String> to = AsyncSingle.fromJob(job, opts).test();
        job.awaitPaused();
        to.dispose();
        job.awaitEnded();
        flush(loops);
        assertThat(job.cancelledSeen).isTrue();
        to.assertEmpty();
        assertThat(job.cleanups).hasValue(1);
    }

    @Test
    void disposedInOnSubscribeNeverStartsAJob() {
        AtomicInteger runs = new AtomicInteger();
        AsyncSingle.fromJob(runs::incrementAndGet, opts).test(true).assertEmpty();
        flush(loops);
        assertThat(runs).hasValue(0);
        assertThat(loops.liveJobs()).isZero();
    }

    @Test
    void disposeAfterTheValueDoesNothing() {
        TestObserver<Integer> to = AsyncSingle.fromJob(() -> 5, opts).test().awaitDone(10, TimeUnit.SECONDS);
        to.dispose();
        to.assertResult(5);
    }

    @Test
    void timeoutOnVirtualTimeCancelsThePausedJob() {
        TestScheduler time = new TestScheduler();
        PausingJob<String> job = new PausingJob<>("slow");
        TestObserver<String> to = AsyncSingle.fromJob(job, opts).timeout(1, TimeUnit.SECONDS, time).test();
        job.awaitPaused();
        time.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        to.assertEmpty();
        time.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        to.assertFailure(TimeoutException.class);
        job.awaitEnded();
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.cleanups).hasValue(1);
    }

    // ---------------------------------------------------------------- NO_JOBS

    @Test
    void fullPoolMakesSubscriptionsWaitInOrderForASlot() {
        try (JobLoopGroup one = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("one-slot").build()) {
            JobOptions o = JobOptions.builder().loops(one).build();
            List<String> started = new CopyOnWriteArrayList<>();
            PausingJob<String> first = new PausingJob<>("first");
            TestObserver<String> t1 = AsyncSingle.fromJob(first, o).test();
            first.awaitPaused();
            // thousands of waiters: each freed slot must hand over without nesting (no stack growth)
            int waiters = 5_000;
            List<TestObserver<String>> waiting = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                String name = "waiter-" + i;
                waiting.add(AsyncSingle.fromJob(() -> {
                    started.add(name);
                    return name;
                }, o).test());
            }
            flush(one);
            assertThat(started).isEmpty();
            assertThat(one.liveJobs()).isEqualTo(waiters + 1);
            first.signalFd();
            t1.awaitDone(10, TimeUnit.SECONDS).assertResult("first");
            for (int i = 0; i < waiting.size(); i++) {
                waiting.get(i).awaitDone(10, TimeUnit.SECONDS).assertResult("waiter-" + i);
            }
            // started in subscription order (FIFO); the order of the signals is not part of it
            assertThat(started).isEqualTo(IntStream.range(0, waiters).mapToObj(i -> "waiter-" + i).toList());
            await("slots free", () -> one.liveJobs() == 0);
        }
    }

    @Test
    void disposeWhileWaitingForASlotNeverStartsTheJob() {
        try (JobLoopGroup one = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("one-slot").build()) {
            JobOptions o = JobOptions.builder().loops(one).build();
            PausingJob<String> first = new PausingJob<>("first");
            TestObserver<String> t1 = AsyncSingle.fromJob(first, o).test();
            first.awaitPaused();
            AtomicInteger waiterRuns = new AtomicInteger();
            TestObserver<Integer> t2 = AsyncSingle.fromJob(waiterRuns::incrementAndGet, o).test();
            flush(one);
            t2.dispose();
            first.signalFd();
            t1.awaitDone(10, TimeUnit.SECONDS).assertResult("first");
            await("slots free", () -> one.liveJobs() == 0);
            flush(one);
            assertThat(waiterRuns).hasValue(0);
            t2.assertEmpty();
        }
    }

    @Test
    void fullPoolWithFailPolicyIsARejectedExecutionException() {
        try (JobLoopGroup one = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("one-slot").build()) {
            JobOptions o = JobOptions.builder().loops(one).onNoJobs(NoJobsPolicy.FAIL).build();
            PausingJob<String> first = new PausingJob<>("first");
            TestObserver<String> t1 = AsyncSingle.fromJob(first, o).test();
            first.awaitPaused();
            AsyncSingle.fromJob(() -> "second", o).test().awaitDone(10, TimeUnit.SECONDS)
                    .assertFailure(RejectedExecutionException.class);
            first.signalFd();
            t1.awaitDone(10, TimeUnit.SECONDS).assertResult("first");
        }
    }

    // ---------------------------------------------------------------- user schedulers

    static Stream<Arguments> confinedSchedulers() {
        return Stream.of(
                Arguments.of("computation", (Supplier<Scheduler>) Schedulers::computation, "RxComputationThreadPool"),
                Arguments.of("single", (Supplier<Scheduler>) Schedulers::single, "RxSingleScheduler"),
                Arguments.of("io", (Supplier<Scheduler>) Schedulers::io, "RxCachedThreadScheduler"),
                Arguments.of("newThread", (Supplier<Scheduler>) Schedulers::newThread, "RxNewThreadScheduler"),
                Arguments.of("jobLoops", (Supplier<Scheduler>) () -> JobLoopScheduler.create(loops), "AsyncSingleTest-"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("confinedSchedulers")
    void runsOnAThreadConfinedSchedulerAndResumesOnTheSameThread(String name, Supplier<Scheduler> scheduler,
            String threadPrefix) {
        CountingScheduler counting = new CountingScheduler(scheduler.get());
        PausingJob<String> job = new PausingJob<>(name);
        TestObserver<String> to = AsyncSingle.fromJob(job, JobOptions.defaults(), counting)
                .map(v -> v + "@" + Thread.currentThread().getName())
                .test();
        job.awaitPaused();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertValue(v -> v.startsWith(name + "@" + threadPrefix));
        assertThat(job.cleanups).hasValue(1);
        await("the worker disposed once the job ended", () -> counting.disposed.get() == 1);
        assertThat(counting.created).hasValue(1);
    }

    @Test
    void aSingleThreadExecutorIsThreadConfinedToo() {
        ExecutorService exec = Executors.newSingleThreadExecutor();
        try {
            PausingJob<String> job = new PausingJob<>("exec");
            TestObserver<String> to = AsyncSingle.fromJob(job, JobOptions.defaults(), Schedulers.from(exec)).test();
            job.awaitPaused();
            job.callBack();
            to.awaitDone(10, TimeUnit.SECONDS).assertResult("exec");
        } finally {
            exec.shutdown();
        }
    }

    @Test
    void theWorkerIsDisposedOnceWhateverTheOutcome() {
        CountingScheduler counting = new CountingScheduler(Schedulers.single());
        // value
        AsyncSingle.fromJob(() -> 1, JobOptions.defaults(), counting).test().awaitDone(10, TimeUnit.SECONDS).assertResult(1);
        // failure
        AsyncSingle.fromJob(() -> {
            throw new IOException("x");
        }, JobOptions.defaults(), counting).test().awaitDone(10, TimeUnit.SECONDS).assertFailure(IOException.class);
        // dispose of a paused job
        PausingJob<String> job = new PausingJob<>("p");
        TestObserver<String> to = AsyncSingle.fromJob(job, JobOptions.defaults(), counting).test();
        job.awaitPaused();
        to.dispose();
        job.awaitEnded();
        // disposed in onSubscribe: no worker at all
        AsyncSingle.fromJob(() -> 1, JobOptions.defaults(), counting).test(true);
        await("every worker disposed", () -> counting.disposed.get() == 3);
        assertThat(counting.created).hasValue(3);
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.cleanups).hasValue(1);
    }

    @Test
    void anExecutorSchedulerThatHopsThreadsIsDetectedAtTheFirstResume() throws Exception {
        // every drain of the worker on a new thread: once the thread that started the job has
        // ended, the resume can only land on another one
        List<Thread> threads = new CopyOnWriteArrayList<>();
        Scheduler hopping = Schedulers.from(r -> {
            Thread t = new Thread(r, "hop-" + threads.size());
            threads.add(t);
            t.start();
        });
        PausingJob<String> job = new PausingJob<>("never");
        TestObserver<String> to = AsyncSingle.fromJob(job, JobOptions.defaults(), hopping).test();
        job.awaitPaused();
        threads.get(0).join();
        job.callBack();
        to.awaitDone(10, TimeUnit.SECONDS).assertFailure(IllegalStateException.class)
                .assertError(e -> e.getMessage().contains("started on thread 'hop-0'")
                        && e.getMessage().contains("can only be resumed on the thread that started it"));
        job.awaitEnded();
        assertThat(job.cancelledSeen).as("finished cancelled").isTrue();
        assertThat(job.cleanups).hasValue(1);
    }

    @Test
    void theTrampolineIsDetectedAtTheFirstResume() throws Exception {
        PausingJob<String> job = new PausingJob<>("never");
        TestObserver<String> to = AsyncSingle.fromJob(job, JobOptions.defaults(), Schedulers.trampoline()).test();
        job.awaitPaused(); // started inline, on this thread
        Thread other = new Thread(job::callBack, "wrong-thread");
        other.start();
        other.join();
        to.awaitDone(10, TimeUnit.SECONDS).assertFailure(IllegalStateException.class)
                .assertError(e -> e.getMessage().contains("resumed it on 'wrong-thread'"));
        job.awaitEnded();
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.cleanups).hasValue(1);
    }
}
