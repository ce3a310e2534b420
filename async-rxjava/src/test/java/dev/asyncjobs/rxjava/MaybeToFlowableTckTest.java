package dev.asyncjobs.rxjava;

import java.io.IOException;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams TCK against {@code AsyncMaybe.fromJob(...).toFlowable()}, a job that pauses
 * and is resumed from another thread: 0 elements is a job returning {@code null} (empty), 1 one
 * returning a value.
 */
@Test
@SuppressWarnings("exports") // public for TestNG; the test classes are patched into the module, the TCK is not in it
public class MaybeToFlowableTckTest extends PublisherVerification<Long> {
    private final TckJobs jobs = new TckJobs("tck-maybe");

    public MaybeToFlowableTckTest() {
        super(TckJobs.environment());
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return AsyncMaybe.fromJob(elements == 0 ? jobs.<Long>pausingThenEmpty() : jobs.pausingThenReturning(elements),
                jobs.options).toFlowable();
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return AsyncMaybe.<Long>fromJob(jobs.pausingThenFailing(new IOException("failed")), jobs.options)
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
