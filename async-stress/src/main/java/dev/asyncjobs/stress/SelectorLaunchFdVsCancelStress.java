package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.JobTicket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * fd ready vs cancel for a job on a user's thread-confined executor, whose fds an
 * {@link AsyncSelector} watches: the watch's {@code onReady} and the ticket's cancel race to resume
 * the job, and the resume then cancels the registration.
 *
 * <p>Result: the pause returned true, terminal kind, terminal signals, segments, cleanups.
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 2, 1", expect = ACCEPTABLE, desc = "the selector resumed it and it finished before the cancel")
@Outcome(id = "1, 3, 1, 2, 1", expect = ACCEPTABLE, desc = "the selector resumed it; cancel came after the pause returned")
@Outcome(id = "0, 3, 1, 2, 1", expect = ACCEPTABLE_INTERESTING, desc = "cancel resumed it (or marked it before the selector's resume ran)")
@Outcome(expect = FORBIDDEN, desc = "lost, resumed twice, not exactly one terminal signal and cleanup")
@State
public class SelectorLaunchFdVsCancelStress {
    static final AsyncSelector SELECTOR;
    static final ExecutorService CONFINED;

    static {
        Probe.checkBackend();
        SELECTOR = AsyncSelector.open("stress-launch-selector");
        CONFINED = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stress-confined");
            t.setDaemon(true);
            return t;
        });
    }

    private final FdPausedJob job = new FdPausedJob();
    private final JobTicket ticket;

    public SelectorLaunchFdVsCancelStress() {
        ticket = AsyncJobs.launch(job.function(), JobOptions.builder().placement(JobPlacement.confined(SELECTOR, 0)).build(),
                CONFINED, job.probe);
        Probe.barrier(CONFINED);
    }

    @Actor
    public void fd() {
        job.fd.signal();
    }

    @Actor
    public void canceller() {
        ticket.cancel();
    }

    @Arbiter
    public void arbiter(IIIII_Result r) {
        job.record(r); // first: it waits for the job's end
        r.r1 = job.pauseResult;
    }
}
