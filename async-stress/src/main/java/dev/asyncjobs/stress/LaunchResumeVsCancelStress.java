package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

/**
 * Resume vs cancel through {@link AsyncJobs#launch}: a job paused on a one-loop group waits for its
 * engine (it holds a wait fd nobody signals, so only the ctx callback can wake it); one thread is the
 * engine completing (the ctx callback), the other cancels the ticket.
 *
 * <p>Result: callback returned true, the pause returned true, terminal signal kind, terminal signals,
 * segments (start + resumes), cleanups of the wait fd. Whatever wins, the job is resumed exactly once
 * (2 segments), gets exactly one terminal signal and its cleanup runs once; a pause that returned false
 * always ends in onDropped.
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 1, 2, 1", expect = ACCEPTABLE, desc = "the callback resumed it; it finished before the cancel: onSuccess")
@Outcome(id = "1, 1, 3, 1, 2, 1", expect = ACCEPTABLE, desc = "the callback resumed it; cancel came after the pause returned: onDropped")
@Outcome(id = "1, 0, 3, 1, 2, 1", expect = ACCEPTABLE_INTERESTING, desc = "resumed once, cancel marked before the resume ran: pause false, onDropped")
@Outcome(id = "0, 0, 3, 1, 2, 1", expect = ACCEPTABLE, desc = "cancel resumed it; the callback came too late: onDropped")
@Outcome(expect = FORBIDDEN, desc = "lost, resumed twice, two terminal signals, a cleanup not run once, or a cancel the job never saw")
@State
public class LaunchResumeVsCancelStress {
    private final Probe probe = new Probe();
    private final JobTicket ticket;
    private volatile AsyncWaitCtx ctx;
    private volatile int pauseResult = -1;

    public LaunchResumeVsCancelStress() {
        ticket = AsyncJobs.launch(() -> {
            AsyncWaitCtx c = AsyncJob.current().waitCtx();
            WakeupFd fd = WakeupFd.open();
            c.setWaitFd(this, fd.channel(), fd, probe.cleanup());
            ctx = c;
            pauseResult = AsyncJob.pause() ? 1 : 0;
            return "done";
        }, JobOptions.builder().loops(Probe.LOOP).build(), probe);
        Probe.barrier(Probe.LOOP.loop(0)); // the job has paused and its fd is armed
    }

    @Actor
    public void engine(IIIIII_Result r) {
        AsyncWaitCtx c = ctx;
        WaitCallback cb = c.getCallback();
        r.r1 = cb.onWake(c.getCallbackArg()) ? 1 : 0;
    }

    @Actor
    public void canceller() {
        ticket.cancel();
    }

    @Arbiter
    public void arbiter(IIIIII_Result r) {
        int kind = probe.awaitKind();
        r.r2 = pauseResult;
        r.r3 = kind;
        r.r4 = probe.terminals.get() + 10 * Probe.hookErrors();
        r.r5 = probe.segments.get();
        r.r6 = probe.cleanups.get();
    }
}
