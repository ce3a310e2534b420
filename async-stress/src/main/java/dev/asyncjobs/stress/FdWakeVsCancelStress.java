package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.WakeupFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * fd ready vs cancel on a job loop: a job paused with a {@link WakeupFd} armed in the loop's own
 * selector; one thread signals the fd, the other cancels the ticket.
 *
 * <p>Result: the pause returned true, terminal kind, terminal signals, segments, cleanups.
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 2, 1", expect = ACCEPTABLE, desc = "the fd resumed it and it finished before the cancel")
@Outcome(id = "1, 3, 1, 2, 1", expect = ACCEPTABLE, desc = "the fd resumed it; cancel came after the pause returned")
@Outcome(id = "0, 3, 1, 2, 1", expect = ACCEPTABLE_INTERESTING, desc = "cancel resumed it (or marked it before the fd's resume ran)")
@Outcome(expect = FORBIDDEN, desc = "lost, resumed twice, not exactly one terminal signal and cleanup")
@State
public class FdWakeVsCancelStress {
    private final FdPausedJob job = new FdPausedJob();
    private final JobTicket ticket;

    public FdWakeVsCancelStress() {
        ticket = AsyncJobs.launch(job.function(), JobOptions.builder().loops(Probe.LOOP).build(), job.probe);
        Probe.barrier(Probe.LOOP.loop(0));
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
