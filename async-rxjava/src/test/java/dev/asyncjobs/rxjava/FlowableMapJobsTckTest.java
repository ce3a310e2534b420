package dev.asyncjobs.rxjava;

import io.reactivex.rxjava3.core.Flowable;
import java.io.IOException;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams TCK (run by TestNG on the JUnit Platform) against {@link
 * AsyncFlowable#mapJobs}: each element is a job that pauses and is resumed from another thread.
 */
@Test
@SuppressWarnings("exports") // public for TestNG; the test classes are patched into the module, the TCK is not in it
public class FlowableMapJobsTckTest extends PublisherVerification<Long> {
    private final TckJobs jobs = new TckJobs("tck-mapjobs");

    public FlowableMapJobsTckTest() {
        super(TckJobs.environment());
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return AsyncFlowable.mapJobs(Flowable.rangeLong(0, elements), jobs::pausingThenReturning, 4, jobs.options);
    }

    /** The first job fails after its pause: an error with no demand at all (§1.4, §1.9). */
    @Override
    public Publisher<Long> createFailedPublisher() {
        return AsyncFlowable.mapJobs(Flowable.just(0L, 1L),
                i -> jobs.pausingThenFailing(new IOException("job " + i + " failed")), 4, jobs.options);
    }

    @AfterClass(alwaysRun = true)
    public void everyJobEnded() {
        jobs.verifyAndClose();
    }
}
