package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.StartStatus;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * Resume vs cancel on the raw OpenSSL-style API: the owner starts a job that pauses once and resumes
 * it at once with {@link AsyncJob#start}, while another thread calls {@link JobHandle#cancel()}.
 *
 * <p>Result: cancel() returned true, the pause returned true, the job saw itself cancelled after the
 * pause, first status, second status (ordinals: PAUSE=2, FINISH=3; the second is the first when the
 * job finished at once). {@link JobHandle#job()} is set from the start, so a cancel is accepted
 * while the job runs or is paused: if it lands before the pause, the pause returns false at once and
 * the job finishes in its first segment; if it lands while the job is paused, the pause returns
 * false on the resume. A refused cancel (the handle idle: not started yet, or finished) is never
 * seen by the job.
 */
@JCStressTest
@Outcome(id = "0, 1, 0, 2, 3", expect = ACCEPTABLE, desc = "cancel before the job started, or after it finished: refused, unseen")
@Outcome(id = "1, 0, 1, 2, 3", expect = ACCEPTABLE, desc = "cancel while paused: the pause returned false")
@Outcome(id = "1, 0, 1, 3, 3", expect = ACCEPTABLE_INTERESTING, desc = "cancel while the first segment ran: the pause returned false at once, finished without pausing")
@Outcome(id = "1, 1, 0, 2, 3", expect = ACCEPTABLE_INTERESTING, desc = "cancel accepted while the resumed job ran past its pause: nothing left to cancel")
@Outcome(id = "1, 1, 1, 2, 3", expect = ACCEPTABLE_INTERESTING, desc = "cancel accepted while the resumed job ran, seen by isCancelled only")
@Outcome(expect = FORBIDDEN, desc = "a refused cancel seen by the job, a lost cancel, or a wrong status")
@State
public class RawResumeVsCancelStress {
    private final JobHandle<String> handle = new JobHandle<>();
    private final AsyncWaitCtx ctx = new AsyncWaitCtx();
    private int pauseResult = -1;
    private int sawCancel = -1;

    @Actor
    public void owner(IIIII_Result r) {
        StartStatus first = AsyncJob.start(handle, ctx, () -> {
            pauseResult = AsyncJob.pause() ? 1 : 0;
            sawCancel = AsyncJob.current().isCancelled() ? 1 : 0;
            return "done";
        });
        StartStatus second = first == StartStatus.PAUSE ? AsyncJob.start(handle, ctx, null) : first;
        r.r2 = pauseResult;
        r.r3 = sawCancel;
        r.r4 = first.ordinal();
        r.r5 = second.ordinal();
        ctx.close();
    }

    @Actor
    public void canceller(IIIII_Result r) {
        r.r1 = handle.cancel() ? 1 : 0;
    }
}
