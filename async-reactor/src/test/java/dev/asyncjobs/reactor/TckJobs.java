package dev.asyncjobs.reactor;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.tck.TestEnvironment;

/**
 * What the Reactive Streams TCK runs on: jobs that really pause and are resumed from another
 * thread, as an engine would resume them. Even-numbered jobs hand out a {@link WakeupFd} that an
 * "engine" thread signals (the loop's selector wakes the job); odd ones pause with no fd and the
 * engine thread calls their ctx callback. Each TCK class has its own loops and engine thread and
 * checks, when done, that its jobs did pause and resume and that none is left alive.
 */
final class TckJobs implements AutoCloseable {
    /** Generous for the 2-core CI box: expectations return as soon as the signal arrives. */
    static final TestEnvironment ENV = new TestEnvironment(2_000, 50, 20);
    static final long GC_TIMEOUT_MILLIS = 2_000;

    final JobLoopGroup loops;
    final JobOptions options;
    final ExecutorService engine;
    final AtomicLong started = new AtomicLong();
    final AtomicLong resumed = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();

    TckJobs(String name) {
        loops = JobLoopGroup.builder().threads(2).name(name).build();
        options = JobOptions.builder().loops(loops).build();
        engine = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name + "-engine");
            t.setDaemon(true);
            return t;
        });
    }

    /** A job that pauses until the engine thread resumes it, then returns {@code value}. */
    <R> JobFunction<R> pausing(long n, R value) {
        return () -> {
            pauseUntilResumedFromElsewhere(n);
            return value;
        };
    }

    /** A job that pauses until the engine thread resumes it, then fails. */
    <R> JobFunction<R> failing(long n) {
        return () -> {
            pauseUntilResumedFromElsewhere(n);
            throw new IllegalStateException("job " + n + " failed after its pause");
        };
    }

    private void pauseUntilResumedFromElsewhere(long n) {
        started.incrementAndGet();
        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
        if (n % 2 == 0) {
            WakeupFd fd = WakeupFd.open();
            ctx.setWaitFd(this, fd.channel(), fd, (c, k, ch, data) -> ((WakeupFd) data).close());
            engine.execute(fd::signal);
            do {
                awaitResume();
            } while (!fd.drain());
        } else {
            AtomicBoolean done = new AtomicBoolean();
            WaitCallback callback = ctx.getCallback();
            Object arg = ctx.getCallbackArg();
            engine.execute(() -> {
                done.set(true);
                callback.onWake(arg);
            });
            do {
                awaitResume();
            } while (!done.get());
        }
    }

    private void awaitResume() {
        boolean ok = AsyncJob.pause();
        resumed.incrementAndGet();
        if (!ok) {
            cancelled.incrementAndGet();
            throw new CancellationException("cancelled while paused");
        }
    }

    /** Every job paused and was resumed; none is left alive; the loops and the engine stop. */
    @Override
    public void close() {
        try {
            TestSupport.await(() -> loops.liveJobs() == 0, () -> "no live jobs, still " + loops.liveJobs());
            if (started.get() == 0 || resumed.get() < started.get()) {
                throw new AssertionError("jobs started " + started + ", resumed " + resumed
                        + ": every job must have paused and been resumed");
            }
        } finally {
            loops.close();
            engine.shutdown();
            try {
                if (!engine.awaitTermination(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("engine thread did not stop");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while the engine stops", e);
            }
        }
    }
}
