package dev.asyncjobs.stress;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.WakeupFd;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * The job of the fd-wake races: it opens a {@link WakeupFd} of its own (its cleanup, the probe's,
 * counts and closes it), sets it as its wait fd, pauses once and returns {@code "done"}. Launch
 * {@link #function()} with {@link #probe} as the observer, then wait (a barrier on the executor that
 * started it) until it has paused: {@link #fd} and {@link #ctx} are set by then.
 */
final class FdPausedJob {
    final Probe probe = new Probe();
    volatile WakeupFd fd;
    volatile AsyncWaitCtx ctx;
    /** What the pause returned: 1 true (resumed), 0 false (cancelled), -1 not yet. */
    volatile int pauseResult = -1;

    JobFunction<String> function() {
        return () -> {
            AsyncWaitCtx c = AsyncJob.current().waitCtx();
            WakeupFd f = WakeupFd.open();
            c.setWaitFd(this, f.channel(), f, probe.cleanup());
            fd = f;
            ctx = c;
            pauseResult = AsyncJob.pause() ? 1 : 0;
            return "done";
        };
    }

    /**
     * Waits for the job's terminal signal, then records r2 to r5: terminal kind, terminal signals
     * (+10 once an error reached the hook), segments, cleanups. The caller's r1 is its own.
     */
    void record(IIIII_Result r) {
        r.r2 = probe.awaitKind();
        r.r3 = probe.terminals.get() + 10 * Probe.hookErrors();
        r.r4 = probe.segments.get();
        r.r5 = probe.cleanups.get();
    }
}
