package dev.asyncjobs.rxjava;

import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.FlowableSubscriber;
import java.io.IOException;
import java.util.Objects;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams TCK against {@link AsyncFlowable#mapJobs} with the TCK's subscriber handed
 * over as a {@link FlowableSubscriber}, the way RxJava operators subscribe to each other: RxJava
 * then does not wrap it in its {@code StrictSubscriber}, so the TCK talks to the operator's own
 * {@code Subscription} and every rule (§3.9 included) is the operator's to keep. {@link
 * FlowableMapJobsTckTest} covers the plain {@code Publisher.subscribe} path.
 */
@Test
@SuppressWarnings("exports") // public for TestNG; the test classes are patched into the module, the TCK is not in it
public class FlowableMapJobsDirectTckTest extends PublisherVerification<Long> {
    private final TckJobs jobs = new TckJobs("tck-mapjobs-direct");

    public FlowableMapJobsDirectTckTest() {
        super(TckJobs.environment());
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return direct(AsyncFlowable.mapJobs(Flowable.rangeLong(0, elements), jobs::pausingThenReturning, 4,
                jobs.options));
    }

    /** The first job fails after its pause: an error with no demand at all (§1.4, §1.9). */
    @Override
    public Publisher<Long> createFailedPublisher() {
        return direct(AsyncFlowable.mapJobs(Flowable.just(0L, 1L),
                i -> jobs.pausingThenFailing(new IOException("job " + i + " failed")), 4, jobs.options));
    }

    @AfterClass(alwaysRun = true)
    public void everyJobEnded() {
        jobs.verifyAndClose();
    }

    private static Publisher<Long> direct(Flowable<Long> flowable) {
        return subscriber -> {
            Objects.requireNonNull(subscriber, "subscriber"); // §1.9, as Flowable.subscribe does
            flowable.subscribe(new Direct<>(subscriber));
        };
    }

    /** Passes every signal through; being a FlowableSubscriber is all it is for. */
    private record Direct<T>(Subscriber<? super T> subscriber) implements FlowableSubscriber<T> {
        @Override
        public void onSubscribe(Subscription s) {
            subscriber.onSubscribe(s);
        }

        @Override
        public void onNext(T t) {
            subscriber.onNext(t);
        }

        @Override
        public void onError(Throwable t) {
            subscriber.onError(t);
        }

        @Override
        public void onComplete() {
            subscriber.onComplete();
        }
    }
}
