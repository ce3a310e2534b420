package dev.asyncjobs.rxjava;

import java.io.IOException;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams TCK against {@code AsyncCompletable.fromJob(...).toFlowable()}: no element,
 * only the end of a job that pauses and is resumed from another thread.
 */
@Test
@SuppressWarnings("exports") // public for TestNG; the test classes are patched into the module, the TCK is not in it
public class CompletableToFlowableTckTest extends PublisherVerification<Long> {
    private final TckJobs jobs = new TckJobs("tck-completable");

    public CompletableToFlowableTckTest() {
        super(TckJobs.environment());
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return AsyncCompletable.fromJob(jobs.pausingThenReturning(elements), jobs.options).toFlowable();
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return AsyncCompletable.fromJob(jobs.pausingThenFailing(new IOException("failed")), jobs.options)
                .toFlowable();
    }

    @Override
    public long maxElementsFromPublisher() {
        return 0;
    }

    @AfterClass(alwaysRun = true)
    public void everyJobEnded() {
        jobs.verifyAndClose();
    }
}
