package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivex.rxjava3.core.Single;
import io.reactivex.rxjava3.core.SingleObserver;
import io.reactivex.rxjava3.disposables.Disposable;
import io.reactivex.rxjava3.observers.TestObserver;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Race loops: each round races two signals at one paused (or just pausing) job and checks that the
 * job was resumed exactly once, ran to its end once, had its ctx closed once, and that its outcome
 * reached exactly one place (the observer, or RxJavaPlugins for an undeliverable error, or nowhere
 * for a dropped value).
 */
@LoopTestSupport.LoopThreads(1)
class RaceTest extends LoopTestSupport {
    static final int ROUNDS = 2_000;
    @Test
    void disposeVersusFdReady() {
        int delivered = 0;
        for (int round = 0; round < ROUNDS; round++) {
            PausingJob<Integer> job = new PausingJob<>(round);
            TestObserver<Integer> to = AsyncSingle.fromJob(job, opts).test();
            job.awaitPaused();
            race(job::signalFd, to::dispose);
            delivered += checkValueOrNothing(job, to, round);
        }
        System.out.printf("disposeVersusFdReady: %d of %d rounds delivered the value%n", delivered, ROUNDS);
    }

    @Test
    void disposeVersusCallback() {
        int delivered = 0;
        for (int round = 0; round < ROUNDS; round++) {
            PausingJob<Integer> job = new PausingJob<>(round);
            TestObserver<Integer> to = AsyncSingle.fromJob(job, opts).test();
            job.awaitPaused();
            race(job::callBack, to::dispose);
            delivered += checkValueOrNothing(job, to, round);
        }
        System.out.printf("disposeVersusCallback: %d of %d rounds delivered the value%n", delivered, ROUNDS);
    }

    @Test
    void fdReadyVersusCallbackResumeThePauseExactlyOnce() {
        for (int round = 0; round < ROUNDS; round++) {
            PausingJob<Integer> job = new PausingJob<>(round);
            TestObserver<Integer> to = AsyncSingle.fromJob(job, opts).test();
            job.awaitPaused();
            race(job::signalFd, job::callBack);
            job.awaitEnded();
            to.awaitDone(10, java.util.concurrent.TimeUnit.SECONDS).assertResult(round);
            flush(loops); // a late second wake-up, if any, has been handled by now
            assertThat(job.resumes).as("round %d: resumes of the one pause", round).hasValue(1);
            assertThat(job.starts).hasValue(1);
            assertThat(job.cleanups).hasValue(1);
        }
    }

    @Test
    void disposeVersusCallbackDeliversAFailureExactlyOnce() {
        int toObserver = 0;
        int toPlugins = 0;
        for (int round = 0; round < ROUNDS; round++) {
            IOException boom = new IOException("round " + round);
            PausingJob<Integer> job = new PausingJob<Integer>(round).failAfterResume(boom);
            AtomicReference<Throwable> signalled = new AtomicReference<>();
            TestObserver<Integer> to = AsyncSingle.fromJob(job, opts).doOnError(signalled::set).test();
            job.awaitPaused();
            race(job::callBack, to::dispose);
            job.awaitEnded();
            flush(loops);
            List<Throwable> undeliverable = takeUndeliverables();
            if (signalled.get() == null) {
                assertThat(undeliverable).as("round %d: the failure went somewhere", round).containsExactly(boom);
                to.assertEmpty();
                toPlugins++;
            } else {
                assertThat(undeliverable).as("round %d: delivered twice", round).isEmpty();
                to.assertFailure(IOException.class).assertError(boom);
                toObserver++;
            }
            assertThat(job.resumes).hasValue(1);
            assertThat(job.cleanups).hasValue(1);
        }
        assertThat(toObserver + toPlugins).isEqualTo(ROUNDS);
        System.out.printf("disposeVersusCallbackDeliversAFailureExactlyOnce: %d to the observer, %d undeliverable%n",
                toObserver, toPlugins);
    }

    @Test
    void disposeVersusSubscribeNeverLeavesAJobPaused() {
        raceDisposeWithSubscribe(false);
    }

    @Test
    void disposeVersusSubscribeOnALoopThreadWhereTheJobStartsOnThatLoop() {
        raceDisposeWithSubscribe(true);
    }

    private void raceDisposeWithSubscribe(boolean fromLoop) {
        int started = 0;
        for (int round = 0; round < ROUNDS; round++) {
            // the job is never woken: only the dispose can end it
            PausingJob<Integer> job = new PausingJob<>(round);
            Single<Integer> single = AsyncSingle.fromJob(job, opts);
            AtomicReference<Disposable> upstream = new AtomicReference<>();
            SingleObserver<Integer> observer = new SingleObserver<>() {
                @Override
                public void onSubscribe(Disposable d) {
                    upstream.set(d);
                }

                @Override
                public void onSuccess(Integer v) {
                    throw new AssertionError("value after dispose: " + v);
                }

                @Override
                public void onError(Throwable e) {
                    throw new AssertionError("error after dispose", e);
                }
            };
            Runnable subscribe = fromLoop
                    ? () -> loops.loop(0).execute(() -> single.subscribe(observer))
                    : () -> single.subscribe(observer);
            race(subscribe, () -> {
                Disposable d;
                while ((d = upstream.get()) == null) {
                    Thread.onSpinWait();
                }
                d.dispose();
            });
            await("round " + round + ": the job is done or never started", () -> loops.liveJobs() == 0);
            flush(loops);
            if (job.starts.get() == 1) {
                job.awaitEnded();
                assertThat(job.cancelledSeen).isTrue();
                assertThat(job.cleanups).hasValue(1);
                started++;
            } else {
                assertThat(job.starts).hasValue(0);
                assertThat(job.cleanups).hasValue(0);
            }
        }
        System.out.printf("disposeVersusSubscribe(fromLoop=%s): %d of %d jobs started before the dispose%n",
                fromLoop, started, ROUNDS);
    }

    /** Returns 1 if the value was delivered, 0 if it was not (disposed first, or dropped). */
    private int checkValueOrNothing(PausingJob<Integer> job, TestObserver<Integer> to, int round) {
        job.awaitEnded();
        flush(loops); // the job's signal, if it had one, has been sent
        assertThat(job.resumes).as("round %d: resumes of the one pause", round).hasValue(1);
        assertThat(job.starts).hasValue(1);
        assertThat(job.ends).hasValue(1);
        assertThat(job.cleanups).hasValue(1);
        to.assertNoErrors();
        if (to.values().isEmpty()) {
            to.assertNotComplete();
            return 0;
        }
        to.assertResult(round);
        assertThat(job.cancelledSeen).as("round %d: a value only from a pause that returned true", round).isFalse();
        return 1;
    }
}
