package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.JobOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The Reactive Streams rules the TCK skips for single-valued publishers (it needs at least 3 or 10
 * elements for them), checked on {@code toFlowable()} of a paused job seen by a plain {@link
 * Subscriber}: §3.9 (a non-positive request is an {@code IllegalArgumentException} and cancels),
 * §3.12/§3.13 (a cancel stops the signals and ends the job), §3.17 (demand beyond {@code
 * Long.MAX_VALUE} is not an error).
 */
@Timeout(60)
class SingleValuedSpecTest extends LoopTestSupport {
    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of("single", (BiFunction<PausingJob<String>, JobOptions, Publisher<String>>)
                        (job, o) -> AsyncSingle.fromJob(job, o).toFlowable(), 1),
                Arguments.of("maybe", (BiFunction<PausingJob<String>, JobOptions, Publisher<String>>)
                        (job, o) -> AsyncMaybe.fromJob(job, o).toFlowable(), 1),
                Arguments.of("completable", (BiFunction<PausingJob<String>, JobOptions, Publisher<String>>)
                        (job, o) -> AsyncCompletable.fromJob(job, o).<String>toFlowable(), 0));
    }

    static Stream<Arguments> kindsAndBadRequests() {
        return kinds().flatMap(k -> Stream.of(0L, -1L, Long.MIN_VALUE)
                .map(n -> Arguments.of(k.get()[0], k.get()[1], n)));
    }

    /** A plain Reactive Streams subscriber (not RxJava's), so the rules are RxJava's strict ones. */
    static final class PlainSubscriber<T> implements Subscriber<T> {
        volatile Subscription subscription;
        final List<T> values = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicInteger completions = new AtomicInteger();
        final CountDownLatch terminated = new CountDownLatch(1);

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
        }

        @Override
        public void onNext(T t) {
            values.add(t);
        }

        @Override
        public void onError(Throwable t) {
            errors.add(t);
            terminated.countDown();
        }

        @Override
        public void onComplete() {
            completions.incrementAndGet();
            terminated.countDown();
        }
    }

    @ParameterizedTest(name = "{0}: request({2})")
    @MethodSource("kindsAndBadRequests")
    void aNonPositiveRequestSignalsIllegalArgumentExceptionAndCancelsThePausedJob(String kind,
            BiFunction<PausingJob<String>, JobOptions, Publisher<String>> publisher, long n) {
        PausingJob<String> job = new PausingJob<>("v");
        PlainSubscriber<String> sub = new PlainSubscriber<>();
        publisher.apply(job, opts).subscribe(sub);
        job.awaitPaused();

        sub.subscription.request(n);

        await(sub.terminated);
        assertThat(sub.errors).singleElement().isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains("3.9"));
        job.awaitEnded();
        assertThat(job.cancelledSeen).as("the job was cancelled, not left paused").isTrue();
        assertThat(job.cleanups).hasValue(1);
        job.callBack(); // too late: nothing more may arrive
        await("the job is done", () -> loops.liveJobs() == 0);
        flush(loops);
        assertThat(sub.values).isEmpty();
        assertThat(sub.completions).hasValue(0);
        assertThat(sub.errors).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void aCancelStopsTheSignalsAndEndsThePausedJob(String kind,
            BiFunction<PausingJob<String>, JobOptions, Publisher<String>> publisher, int elements) {
        PausingJob<String> job = new PausingJob<>("v");
        PlainSubscriber<String> sub = new PlainSubscriber<>();
        publisher.apply(job, opts).subscribe(sub);
        sub.subscription.request(1);
        job.awaitPaused();

        sub.subscription.cancel();
        sub.subscription.cancel(); // §3.7: idempotent

        job.awaitEnded();
        assertThat(job.cancelledSeen).isTrue();
        assertThat(job.cleanups).hasValue(1);
        sub.subscription.request(1); // §3.6: a no-op after cancel
        await("the job is done", () -> loops.liveJobs() == 0);
        flush(loops);
        assertThat(sub.values).isEmpty();
        assertThat(sub.errors).isEmpty();
        assertThat(sub.completions).hasValue(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void demandBeyondLongMaxValueIsNotAnError(String kind,
            BiFunction<PausingJob<String>, JobOptions, Publisher<String>> publisher, int elements) {
        PausingJob<String> job = new PausingJob<>("v");
        PlainSubscriber<String> sub = new PlainSubscriber<>();
        publisher.apply(job, opts).subscribe(sub);
        sub.subscription.request(Long.MAX_VALUE);
        sub.subscription.request(Long.MAX_VALUE);
        job.awaitPaused();

        job.callBack();

        await(sub.terminated);
        assertThat(sub.errors).isEmpty();
        assertThat(sub.values).hasSize(elements).allMatch("v"::equals);
        assertThat(sub.completions).hasValue(1);
        assertThat(job.cancelledSeen).isFalse();
        assertThat(job.cleanups).hasValue(1);
    }
}
