package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AsyncCompletableTest extends TestSupport {
    static JobLoopGroup loops;
    static JobOptions opts;

    @BeforeAll
    static void startLoops() {
        loops = JobLoopGroup.builder().threads(2).name("completable-test").build();
        opts = JobOptions.builder().loops(loops).build();
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @AfterEach
    void noJobLeft() {
        await("every job done", () -> loops.liveJobs() == 0);
    }

    @Test
    void completesWhateverTheJobReturned() {
        AsyncCompletable.fromJob(() -> "ignored", opts).test().awaitDone(10, TimeUnit.SECONDS).assertResult();
        AsyncCompletable.fromJob(() -> null).test().awaitDone(10, TimeUnit.SECONDS).assertResult();
    }

    @Test
    void completesAfterThePausedJobIsResumed() {
        PausingJob<String> job = new PausingJob<>("x");
        TestObserver<Void> to = AsyncCompletable.fromJob(job, opts).test();
        job.awaitPaused();
        to.assertEmpty();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertResult();
        assertThat(job.cleanups).hasValue(1);
    }

    @Test
    void failureIsOnError() {
        IOException boom = new IOException();
        AsyncCompletable.fromJob(() -> {
            throw boom;
        }, opts).test().awaitDone(10, TimeUnit.SECONDS).assertError(boom);
    }

    @Test
    void disposeCancelsThePausedJob() {
        PausingJob<String> job = new PausingJob<>("x");
        TestObserver<Void> to = AsyncCompletable.fromJob(job, opts).test();
        job.awaitPaused();
        to.dispose();
        job.awaitEnded();
        flush(loops);
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.cleanups).hasValue(1);
        to.assertEmpty();
    }

    @Test
    void failureAfterDisposeIsUndeliverable() {
        IOException late = new IOException("late");
        PausingJob<String> job = new PausingJob<String>("x").failOnCancel(late);
        TestObserver<Void> to = AsyncCompletable.fromJob(job, opts).test();
        job.awaitPaused();
        to.dispose();
        job.awaitEnded();
        await("the undeliverable error", () -> !rxErrors.isEmpty());
        assertThat(takeUndeliverables()).containsExactly(late);
    }

    @Test
    void runsOnAThreadConfinedScheduler() {
        CountingScheduler counting = new CountingScheduler(Schedulers.single());
        PausingJob<String> job = new PausingJob<>("x");
        TestObserver<Void> to = AsyncCompletable.fromJob(job, JobOptions.defaults(), counting).test();
        job.awaitPaused();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS).assertResult();
        await("worker disposed", () -> counting.disposed.get() == 1);
        assertThat(counting.created).hasValue(1);
    }

    @Test
    void isLazyAndGoesThroughOnAssembly() {
        AtomicInteger assembled = new AtomicInteger();
        RxJavaPlugins.setOnCompletableAssembly(c -> {
            assembled.incrementAndGet();
            return c;
        });
        AtomicInteger runs = new AtomicInteger();
        AsyncCompletable.fromJob(runs::incrementAndGet);
        AsyncCompletable.fromJob(runs::incrementAndGet, opts);
        AsyncCompletable.fromJob(runs::incrementAndGet, JobOptions.defaults(), Schedulers.single());
        assertThat(assembled).hasValue(3);
        assertThat(runs).hasValue(0);
    }

    @Test
    void argumentsAreChecked() {
        JobFunction<Integer> f = () -> 1;
        assertThatThrownBy(() -> AsyncCompletable.fromJob(null)).hasMessage("func is null");
        assertThatThrownBy(() -> AsyncCompletable.fromJob(f, null)).hasMessage("options is null");
        assertThatThrownBy(() -> AsyncCompletable.fromJob(f, opts, null)).hasMessage("scheduler is null");
    }
}
