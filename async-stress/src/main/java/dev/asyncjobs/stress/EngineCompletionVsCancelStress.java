package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.engine.OffloadEngine;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Engine completion vs cancel: a job paused in {@link OffloadEngine#call} on a one-loop group, its
 * work held at a gate; one thread opens the gate (a device thread then completes the call and wakes
 * the job through its ctx callback), the other cancels the ticket.
 *
 * <p>Result: what call() gave the job (1: the value, 2: CancellationException), terminal kind,
 * terminal signals, the work ran (0: withdrawn from the queue before a device took it). A cancel
 * that wins returns from call() at once (the work is withdrawn, or abandoned if running); a
 * completion that wins delivers the value; either way exactly one terminal signal.
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "completed and finished before the cancel: onSuccess")
@Outcome(id = "1, 3, 1, 1", expect = ACCEPTABLE, desc = "completed; the cancel came after call() returned: onDropped")
@Outcome(id = "2, 3, 1, [01]", expect = ACCEPTABLE_INTERESTING, desc = "cancelled in call(): work withdrawn (0) or abandoned (1)")
@Outcome(expect = FORBIDDEN, desc = "lost, two terminal signals, a value after a cancel won, or a cancel that waited for the work")
@State
public class EngineCompletionVsCancelStress {
    static final OffloadEngine ENGINE;

    static {
        Probe.checkBackend();
        ENGINE = OffloadEngine.builder().threads(2).queueCapacity(1_024).name("stress-engine").build();
    }

    private final Probe probe = new Probe();
    private final CountDownLatch gate = new CountDownLatch(1);
    private final JobTicket ticket;
    private volatile int callResult;
    private volatile int workRan;

    public EngineCompletionVsCancelStress() {
        ticket = AsyncJobs.launch(() -> {
            try {
                ENGINE.call(() -> {
                    workRan = 1;
                    gate.await();
                    return "v";
                });
                callResult = 1;
            } catch (CancellationException e) {
                callResult = 2;
            }
            return "done";
        }, JobOptions.builder().loops(Probe.LOOP).build(), probe);
        Probe.barrier(Probe.LOOP.loop(0)); // paused in call()
    }

    @Actor
    public void device() {
        gate.countDown();
    }

    @Actor
    public void canceller() {
        ticket.cancel();
    }

    @Arbiter
    public void arbiter(IIII_Result r) {
        r.r2 = probe.awaitKind();
        r.r1 = callResult;
        r.r3 = probe.terminals.get() + 10 * Probe.hookErrors();
        r.r4 = workRan;
    }
}
