package dev.asyncjobs.rxjava;

import java.io.IOException;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams TCK against {@code AsyncSingle.fromJob(...).toFlowable()}, a job that pauses
 * and is resumed from another thread. A Single has exactly one element: as RxJava's own TCK runs
 * for single-valued sources, the publisher for 0 elements is the 1-element one (the TCK only
 * subscribes to it, for the subscribe-time rules).
 */
@Test
@SuppressWarnings("exports") // public for TestNG; the test classes are patched into the module, the TCK is not in it
public class SingleToFlowableTckTest extends PublisherVerification<Long> {
    private final TckJobs jobs = new TckJobs("tck-single");

    public SingleToFlowableTckTest() {
        super(TckJobs.environment());
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return AsyncSingle.fromJob(jobs.pausingThenReturning(elements), jobs.options).toFlowable();
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return AsyncSingle.<Long>fromJob(jobs.pausingThenFailing(new IOException("failed")), jobs.options)
                .toFlowable();
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    @AfterClass(alwaysRun = true)
    public void everyJobEnded() {
        jobs.verifyAndClose();
    }
}
