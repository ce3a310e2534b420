package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.WakeupFd;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

/**
 * NO_JOBS waiter vs cancel vs slot release: a one-loop group with one job slot. Job A holds the slot,
 * paused on its engine; job B waits for a slot (NO_JOBS, FIFO). One thread completes A's engine (A
 * resumes, finishes and frees the slot, which goes to B), the other cancels B.
 *
 * <p>Result: A's terminal kind, B's terminal kind, B's function ran, terminal signals of A and B
 * together, a job C launched afterwards succeeded (the slot was not lost to the cancelled waiter),
 * live jobs left at the end. Each state has its own group (the pool is per loop), closed by the
 * arbiter.
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 2, 1, 0", expect = ACCEPTABLE, desc = "B got the slot and finished before the cancel was called")
@Outcome(id = "1, 3, 0, 2, 1, 0", expect = ACCEPTABLE, desc = "B cancelled while waiting: never ran, dropped; the slot went on to C")
@Outcome(id = "1, 3, 1, 2, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "B got the slot and ran before the cancel took: dropped")
@Outcome(expect = FORBIDDEN, desc = "lost, two terminal signals, a slot leaked to the cancelled waiter, or a live job left")
@State
public class NoJobsWaiterVsCancelStress {
    private final JobLoopGroup group = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name("stress-nojobs").build();
    private final Probe a = new Probe();
    private final Probe b = new Probe();
    private final JobTicket ticketB;
    private volatile AsyncWaitCtx ctxA;
    private volatile int bRan;

    public NoJobsWaiterVsCancelStress() {
        JobOptions opts = JobOptions.builder().loops(group).build();
        AsyncJobs.launch(() -> {
            AsyncWaitCtx c = AsyncJob.current().waitCtx();
            WakeupFd f = WakeupFd.open();
            c.setWaitFd(this, f.channel(), f, a.cleanup());
            ctxA = c;
            AsyncJob.pause();
            return "a";
        }, opts, a);
        ticketB = AsyncJobs.launch(() -> {
            bRan = 1;
            return "b";
        }, opts, b);
        Probe.barrier(group.loop(0)); // A paused, B waiting for the slot
    }

    @Actor
    public void releaseSlot() {
        AsyncWaitCtx c = ctxA;
        c.getCallback().onWake(c.getCallbackArg());
    }

    @Actor
    public void cancelWaiter() {
        ticketB.cancel();
    }

    @Arbiter
    public void arbiter(IIIIII_Result r) {
        r.r1 = a.awaitKind();
        r.r2 = b.awaitKind();
        r.r3 = bRan;
        r.r4 = a.terminals.get() + b.terminals.get() + 10 * Probe.hookErrors();
        Probe c = new Probe();
        AsyncJobs.launch(() -> "c", JobOptions.builder().loops(group).build(), c);
        r.r5 = c.awaitKind();
        Probe.barrier(group.loop(0));
        r.r6 = group.liveJobs();
        group.close();
    }
}
