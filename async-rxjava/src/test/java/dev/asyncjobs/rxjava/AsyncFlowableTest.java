package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.functions.Function;
import io.reactivex.rxjava3.processors.PublishProcessor;
import io.reactivex.rxjava3.subscribers.TestSubscriber;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AsyncFlowableTest extends LoopTestSupport {

    @Test
    void atMostMaxInFlightJobsAreAliveAndResultsComeInSourceOrder() {
        int n = 300;
        int max = 8;
        AtomicInteger alive = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        List<Runnable> waiting = Collections.synchronizedList(new ArrayList<>());
        List<Long> requests = new CopyOnWriteArrayList<>();
        Function<Integer, JobFunction<Integer>> fn = i -> () -> {
            peak.accumulateAndGet(alive.incrementAndGet(), Math::max);
            try {
                AtomicBoolean go = new AtomicBoolean();
                Runnable cb = callback();
                started.incrementAndGet();
                waiting.add(() -> {
                    go.set(true);
                    cb.run();
                });
                while (!go.get()) {
                    if (!AsyncJob.pause()) {
                        throw new CancellationException();
                    }
                }
                return i * 10;
            } finally {
                alive.decrementAndGet();
            }
        };
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(
                Flowable.range(0, n).doOnRequest(requests::add), fn, max, opts).test();

        // wake the paused jobs in a random order, each time once every started job has paused
        Random random = new Random(42);
        await("the first " + max + " jobs paused", () -> waiting.size() == max);
        for (int released = 0; released < n; released++) {
            int r = released;
            await("every started job paused", () -> !waiting.isEmpty() && waiting.size() == started.get() - r);
            waiting.remove(random.nextInt(waiting.size())).run();
        }

        ts.awaitDone(20, TimeUnit.SECONDS).assertNoErrors().assertComplete();
        assertThat(ts.values()).isEqualTo(IntStream.range(0, n).mapToObj(i -> i * 10).toList());
        assertThat(peak).as("peak of jobs alive at once").hasValue(max);
        assertThat(requests.get(0)).isEqualTo(max);
        assertThat(requests.subList(1, requests.size())).as("one more per job consumed").allMatch(r -> r == 1L);
    }

    @Test
    void downstreamDemandBoundsTheSource() {
        List<Long> requests = new CopyOnWriteArrayList<>();
        AtomicInteger started = new AtomicInteger();
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(Flowable.range(0, 50).doOnRequest(requests::add),
                i -> () -> {
                    started.incrementAndGet();
                    return i;
                }, 4, opts).test(0);
        await("the first jobs ran", () -> started.get() == 4);
        flush(loops);
        ts.assertNoValues();
        assertThat(requests).containsExactly(4L);
        assertThat(started).hasValue(4);

        ts.request(1);
        await("one more job", () -> started.get() == 5);
        ts.assertValuesOnly(0);
        assertThat(requests).containsExactly(4L, 1L);

        ts.request(2);
        await("two more jobs", () -> started.get() == 7);
        ts.assertValuesOnly(0, 1, 2);
        assertThat(requests).containsExactly(4L, 1L, 1L, 1L);

        ts.request(Long.MAX_VALUE);
        ts.awaitDone(10, TimeUnit.SECONDS).assertComplete();
        assertThat(ts.values()).isEqualTo(IntStream.range(0, 50).boxed().toList());
        assertThat(started).hasValue(50);
    }

    @Test
    void nullResultsAreSkipped() {
        AsyncFlowable.mapJobs(Flowable.range(0, 20), i -> () -> i % 2 == 0 ? i : null, 3, opts)
                .test().awaitDone(10, TimeUnit.SECONDS)
                .assertResult(0, 2, 4, 6, 8, 10, 12, 14, 16, 18);
    }

    @Test
    void defaultOptionsRunOnTheSharedLoops() {
        AsyncFlowable.mapJobs(Flowable.range(0, 5), i -> () -> Thread.currentThread().getName(), 2)
                .test().awaitDone(10, TimeUnit.SECONDS)
                .assertValueCount(5);
    }

    @Test
    void aJobFailureCancelsTheSourceAndTheJobsInFlight() {
        List<PausingJob<Integer>> jobs = pausingJobs(3);
        IOException boom = new IOException("job 3");
        PublishProcessor<Integer> source = PublishProcessor.create();
        TestSubscriber<Integer> ts = AsyncFlowable.<Integer, Integer>mapJobs(source,
                i -> i < 3 ? jobs.get(i) : () -> {
                    throw boom;
                }, 4, opts).test();
        for (int i = 0; i < 3; i++) {
            source.onNext(i);
        }
        jobs.forEach(PausingJob::awaitPaused);
        source.onNext(3);
        ts.awaitDone(10, TimeUnit.SECONDS).assertFailure(IOException.class).assertError(boom);
        assertThat(source.hasSubscribers()).as("source cancelled").isFalse();
        assertAllCancelled(jobs);
    }

    @Test
    void aSourceErrorCancelsTheJobsInFlight() {
        List<PausingJob<Integer>> jobs = pausingJobs(3);
        PublishProcessor<Integer> source = PublishProcessor.create();
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(source, jobs::get, 4, opts).test();
        for (int i = 0; i < 3; i++) {
            source.onNext(i);
        }
        jobs.forEach(PausingJob::awaitPaused);
        IOException upstream = new IOException("source");
        source.onError(upstream);
        ts.awaitDone(10, TimeUnit.SECONDS).assertError(upstream);
        assertAllCancelled(jobs);
    }

    @Test
    void cancelFromDownstreamCancelsTheSourceAndTheJobsInFlight() {
        List<PausingJob<Integer>> jobs = pausingJobs(3);
        PublishProcessor<Integer> source = PublishProcessor.create();
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(source, jobs::get, 4, opts).test();
        for (int i = 0; i < 3; i++) {
            source.onNext(i);
        }
        jobs.forEach(PausingJob::awaitPaused);
        ts.cancel();
        assertThat(source.hasSubscribers()).isFalse();
        assertAllCancelled(jobs);
        ts.assertEmpty();
    }

    @Test
    void sourceCompletionWaitsForTheJobsInFlight() {
        List<PausingJob<Integer>> jobs = pausingJobs(3);
        PublishProcessor<Integer> source = PublishProcessor.create();
        TestSubscriber<Integer> ts = AsyncFlowable.mapJobs(source, jobs::get, 4, opts).test();
        for (int i = 0; i < 3; i++) {
            source.onNext(i);
        }
        jobs.forEach(PausingJob::awaitPaused);
        source.onComplete();
        ts.assertNotComplete();
        jobs.get(2).signalFd();
        jobs.get(0).signalFd();
        jobs.get(1).signalFd();
        ts.awaitDone(10, TimeUnit.SECONDS).assertResult(0, 1, 2);
    }

    @Test
    void aMapperThatReturnsNullOrThrowsFailsTheFlowable() {
        AsyncFlowable.<Integer, Integer>mapJobs(Flowable.just(1), i -> null, 2, opts)
                .test().awaitDone(10, TimeUnit.SECONDS)
                .assertFailure(NullPointerException.class)
                .assertError(e -> e.getMessage().equals("The mapper returned a null JobFunction"));
        IOException boom = new IOException();
        AsyncFlowable.<Integer, Integer>mapJobs(Flowable.just(1), i -> {
            throw boom;
        }, 2, opts).test().awaitDone(10, TimeUnit.SECONDS).assertError(boom);
    }

    @Test
    void argumentsAreChecked() {
        Function<Integer, JobFunction<Integer>> fn = i -> () -> i;
        Flowable<Integer> src = Flowable.just(1);
        assertThatThrownBy(() -> AsyncFlowable.mapJobs(null, fn, 1)).hasMessage("source is null");
        assertThatThrownBy(() -> AsyncFlowable.<Integer, Integer>mapJobs(src, null, 1)).hasMessage("fn is null");
        assertThatThrownBy(() -> AsyncFlowable.mapJobs(src, fn, 1, null)).hasMessage("options is null");
        assertThatThrownBy(() -> AsyncFlowable.mapJobs(src, fn, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxInFlight > 0 required but it was 0");
        assertThatThrownBy(() -> AsyncFlowable.mapJobs(src, fn, -1)).isInstanceOf(IllegalArgumentException.class);
        // mapJobs launches on job loops: a confined placement is refused at assembly, not from
        // inside onNext (where an asynchronous source could lose the error)
        JobOptions confined = JobOptions.builder()
                .placement(JobPlacement.confined(AsyncSelector.shared(), 0)).build();
        assertThatThrownBy(() -> AsyncFlowable.mapJobs(src, fn, 1, confined))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("job loops");
    }

    private static List<PausingJob<Integer>> pausingJobs(int n) {
        List<PausingJob<Integer>> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(new PausingJob<>(i));
        }
        return jobs;
    }

    private static void assertAllCancelled(List<PausingJob<Integer>> jobs) {
        for (PausingJob<Integer> job : jobs) {
            job.awaitEnded();
            assertThat(job.cancelledSeen).isTrue();
            assertThat(job.cleanups).hasValue(1);
        }
        await("every job done", () -> loops.liveJobs() == 0);
    }
}
