package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.Test;

/**
 * The Reactive Streams TCK against {@code AsyncSingle.fromJob(job, options, scheduler).toFlowable()}
 * on a user scheduler ({@code Schedulers.from} a single-thread executor): the job starts and is
 * resumed through its subscription's worker, the path where a cancel's resume goes through the
 * worker too.
 */
@Test
@SuppressWarnings("exports") // public for TestNG; the test classes are patched into the module, the TCK is not in it
public class SingleOnWorkerTckTest extends PublisherVerification<Long> {
    private final TckJobs jobs = new TckJobs("tck-single-worker");
    private final ExecutorService exec = Executors.newSingleThreadExecutor(r -> new Thread(r, "tck-worker"));
    private final Scheduler scheduler = Schedulers.from(exec);

    public SingleOnWorkerTckTest() {
        super(TckJobs.environment());
    }

    @Override
    public Publisher<Long> createPublisher(long elements) {
        return AsyncSingle.fromJob(jobs.pausingThenReturning(elements), JobOptions.defaults(), scheduler).toFlowable();
    }

    @Override
    public Publisher<Long> createFailedPublisher() {
        return AsyncSingle.<Long>fromJob(jobs.pausingThenFailing(new IOException("failed")), JobOptions.defaults(), scheduler)
                .toFlowable();
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    @AfterClass(alwaysRun = true)
    public void everyJobEnded() {
        try {
            jobs.verifyAndClose();
        } finally {
            exec.shutdown();
        }
    }
}
