package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.WaitCallback;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.tck.TestEnvironment;

/**
 * What the Reactive Streams TCK runs through the adapters: jobs that really pause and are resumed
 * from another thread (the ctx callback, called by a resumer thread, as an engine would), on job
 * loops of their own, so each verification can check at its end that every job ended and that
 * the jobs did pause and resume.
 */
final class TckJobs {
    /** Calls the ctx callbacks: the "engine" that finishes the jobs' work. */
    private static final ExecutorService RESUMER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tck-resumer");
        t.setDaemon(true);
        return t;
    });

    final JobLoopGroup loops;
    final JobOptions options;
    /** Pauses that ended in a resume from the resumer thread (not cancelled). */
    final AtomicLong resumed = new AtomicLong();
    /** Jobs that started, and those that reached their end (value, failure or cancel). */
    final AtomicLong started = new AtomicLong();
    final AtomicLong ended = new AtomicLong();

    TckJobs(String name) {
        loops = JobLoopGroup.builder().threads(2).name(name).build();
        options = JobOptions.builder().loops(loops).build();
    }

    /**
     * The TCK's timeouts: generous for signals (a job start and resume crosses threads on a shared
     * 2-core machine), short for "no signal expected" waits, which every such check pays in full.
     */
    static TestEnvironment environment() {
        return new TestEnvironment(2_000, 100, 50);
    }

    /** A job that pauses until resumed from the resumer thread, then returns {@code value}. */
    <T> JobFunction<T> pausingThenReturning(T value) {
        return () -> {
            pauseUntilResumedFromAnotherThread();
            return value;
        };
    }

    /** A job that pauses until resumed from the resumer thread, then fails with {@code error}. */
    <T> JobFunction<T> pausingThenFailing(Exception error) {
        return () -> {
            pauseUntilResumedFromAnotherThread();
            throw error;
        };
    }

    /** A job that pauses until resumed from the resumer thread, then returns null (empty for a Maybe). */
    <T> JobFunction<T> pausingThenEmpty() {
        return () -> {
            pauseUntilResumedFromAnotherThread();
            return null;
        };
    }

    private void pauseUntilResumedFromAnotherThread() {
        started.incrementAndGet();
        try {
            pauseUntilWoken();
        } finally {
            ended.incrementAndGet();
        }
    }

    private void pauseUntilWoken() {
        AsyncWaitCtx ctx = Objects.requireNonNull(AsyncJob.current(), "in a job").waitCtx();
        WaitCallback cb = Objects.requireNonNull(ctx.getCallback(), "the core's callback");
        Object arg = ctx.getCallbackArg();
        AtomicBoolean woken = new AtomicBoolean();
        RESUMER.execute(() -> {
            woken.set(true);
            cb.onWake(arg);
        });
        do {
            if (!AsyncJob.pause()) {
                throw new CancellationException("cancelled while paused"); // the subscription was cancelled
            }
        } while (!woken.get());
        resumed.incrementAndGet();
    }

    /**
     * The verification's end: every job ended (cancelled ones too), some really paused and were
     * resumed, and the loops close. The TCK cancels some subscriptions while their job is paused:
     * those jobs must still be resumed cancelled and end.
     */
    void verifyAndClose() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (loops.liveJobs() != 0 || ended.get() != started.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("jobs still alive after the TCK: " + loops.liveJobs() + " on the loops, "
                        + (started.get() - ended.get()) + " started and not ended");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        if (resumed.get() == 0) {
            throw new AssertionError("no job paused and was resumed: the TCK did not exercise the pause path");
        }
        loops.close();
    }
}
