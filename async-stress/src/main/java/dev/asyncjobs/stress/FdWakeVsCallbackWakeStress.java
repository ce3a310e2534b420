package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.WakeupFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * fd wake vs callback wake: a job paused on a one-loop group with a {@link WakeupFd} armed in the
 * loop's selector; one thread signals the fd, the other calls the ctx callback, as an engine that
 * uses both would. Exactly one of them resumes the job.
 *
 * <p>Result: callback returned true, terminal kind, terminal signals, segments, cleanups. The
 * callback may return true (it won, or it arrived while the job ran again after the fd won, which
 * marks a wake for the next pause) or false (the fd's resume was already queued or done).
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 2, 1", expect = ACCEPTABLE, desc = "resumed once, the callback's wake was taken")
@Outcome(id = "0, 1, 1, 2, 1", expect = ACCEPTABLE, desc = "resumed once by the fd; the callback came late")
@Outcome(expect = FORBIDDEN, desc = "lost, resumed twice, or not exactly one terminal signal and cleanup")
@State
public class FdWakeVsCallbackWakeStress {
    private final FdPausedJob job = new FdPausedJob();

    public FdWakeVsCallbackWakeStress() {
        AsyncJobs.launch(job.function(), JobOptions.builder().loops(Probe.LOOP).build(), job.probe);
        Probe.barrier(Probe.LOOP.loop(0));
    }

    @Actor
    public void fd() {
        job.fd.signal();
    }

    @Actor
    public void callback(IIIII_Result r) {
        AsyncWaitCtx c = job.ctx;
        r.r1 = c.getCallback().onWake(c.getCallbackArg()) ? 1 : 0;
    }

    @Arbiter
    public void arbiter(IIIII_Result r) {
        job.record(r);
    }
}
