package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * What {@code fromJob} of {@link AsyncSingle}, {@link AsyncMaybe} and {@link AsyncCompletable}
 * promises alike, written once and run for each kind: a subclass says how its kind is assembled,
 * subscribed to and how it signals a job's result, and adds the cases only its kind has.
 *
 * @param <V> the value type of the kind's {@link TestObserver} ({@code Void} for a Completable)
 */
abstract class FromJobContract<V> extends LoopTestSupport {
    // ---------------------------------------------------------------- the kind under test

    /** The kind's {@code fromJob(func)}, on the shared loops. */
    abstract Object fromJob(@Nullable JobFunction<String> func);

    /** The kind's {@code fromJob(func, options)}. */
    abstract Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options);

    /** The kind's {@code fromJob(func, options, scheduler)}. */
    abstract Object fromJob(@Nullable JobFunction<String> func, @Nullable JobOptions options,
            @Nullable Scheduler scheduler);

    /** Subscribes a test observer to {@code fromJob(func, opts)}. */
    abstract TestObserver<V> subscribe(JobFunction<String> func);

    /** Asserts the one signal the kind gives for a job that returned {@code value}. */
    abstract void assertResultOf(TestObserver<V> to, @Nullable String value);

    /** Installs the kind's {@code RxJavaPlugins.setOnXxxAssembly} hook, counting into {@code count}. */
    abstract void countAssemblies(AtomicInteger count);

    // ---------------------------------------------------------------- shared checks

    /**
     * A job that pauses on its fd with {@code value} to return: nothing is signalled while it is
     * paused; once the fd is signalled it resumes (not cancelled), ends with its one cleanup, and
     * the kind signals the value its way.
     */
    final void resumedByItsFdSignals(@Nullable String value) {
        PausingJob<String> job = new PausingJob<>(value);
        TestObserver<V> to = subscribe(job);
        job.awaitPaused();
        to.assertEmpty();
        job.signalFd();
        to.awaitDone(10, TimeUnit.SECONDS);
        assertResultOf(to, value);
        assertThat(job.cancelledSeen).isFalse();
        assertThat(job.cleanups).hasValue(1);
        assertThat(job.starts).hasValue(1);
    }

    // ---------------------------------------------------------------- the contract

    @Test
    void pausedJobIsResumedWhenItsFdBecomesReadable() {
        resumedByItsFdSignals("done");
    }

    @Test
    void failureOfTheJobIsEmittedAsOnError() {
        IOException boom = new IOException("boom");
        subscribe(() -> {
            throw boom;
        }).awaitDone(10, TimeUnit.SECONDS).assertFailure(IOException.class).assertError(boom);
    }

    @Test
    void disposeResumesThePausedJobCancelledAndReleasesEverything() {
        PausingJob<String> job = new PausingJob<>("never");
        TestObserver<V> to = subscribe(job);
        job.awaitPaused();
        to.dispose();
        job.awaitEnded();
        await("job done", () -> loops.liveJobs() == 0);
        flush(loops);
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.cleanups).hasValue(1);
        assertThat(job.ends).hasValue(1);
        to.assertEmpty();
        assertThat(to.isDisposed()).isTrue();
        // the CancellationException the job ended with acknowledges the dispose: not an error
        assertThat(rxErrors).isEmpty();
    }

    @Test
    void failureAfterDisposeGoesToRxJavaPluginsAsUndeliverable() {
        IOException late = new IOException("after dispose");
        PausingJob<String> job = new PausingJob<String>("never").failOnCancel(late);
        TestObserver<V> to = subscribe(job);
        job.awaitPaused();
        to.dispose();
        job.awaitEnded();
        flush(loops);
        await("the undeliverable error", () -> !rxErrors.isEmpty());
        assertThat(takeUndeliverables()).containsExactly(late);
        to.assertEmpty();
    }

    @Test
    void isLazyAndEveryFactoryGoesThroughOnAssembly() {
        AtomicInteger assembled = new AtomicInteger();
        countAssemblies(assembled);
        AtomicInteger runs = new AtomicInteger();
        JobFunction<String> f = () -> "run " + runs.incrementAndGet();
        fromJob(f);
        fromJob(f, opts);
        fromJob(f, JobOptions.defaults(), Schedulers.single());
        assertThat(assembled).hasValue(3);
        assertThat(runs).hasValue(0);
    }

    @Test
    void argumentsAreCheckedTheRxJavaWay() {
        JobFunction<String> f = () -> "1";
        assertThatThrownBy(() -> fromJob(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("func is null");
        assertThatThrownBy(() -> fromJob(f, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("options is null");
        assertThatThrownBy(() -> fromJob(null, JobOptions.defaults(), Schedulers.single()))
                .isInstanceOf(NullPointerException.class).hasMessage("func is null");
        assertThatThrownBy(() -> fromJob(f, opts, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("scheduler is null");
    }
}
