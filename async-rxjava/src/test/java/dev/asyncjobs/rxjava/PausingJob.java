package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.WakeupFd;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A job that pauses until woken, the way an engine's job does, and records what happened: it opens
 * its own {@link WakeupFd} (cleanup counted, closes it) and pauses until the fd was signalled
 * ({@link #signalFd()}) or the ctx callback was called after {@link #wake} was set ({@link
 * #callBack()}); a spurious wake pauses again. A {@code pause()} returning {@code false} ends it
 * with {@link #onCancel} (a {@link CancellationException} by default).
 */
final class PausingJob<R> implements JobFunction<R> {
    final R value;
    final AtomicInteger starts = new AtomicInteger();
    final AtomicInteger ends = new AtomicInteger();
    final AtomicInteger cleanups = new AtomicInteger();
    final AtomicInteger resumes = new AtomicInteger();
    final AtomicBoolean wake = new AtomicBoolean();
    final CountDownLatch paused = new CountDownLatch(1);
    final CountDownLatch ended = new CountDownLatch(1);
    volatile @Nullable Boolean cancelledSeen;
    private volatile @Nullable WakeupFd fd;
    private volatile @Nullable Runnable callback;
    private volatile @Nullable Exception onCancel;
    private volatile @Nullable Exception afterResume;
    private volatile boolean ignoreCancel;

    PausingJob(R value) {
        this.value = value;
    }

    /** Ends a cancelled job by throwing {@code e} instead of a {@code CancellationException}. */
    PausingJob<R> failOnCancel(Exception e) {
        this.onCancel = e;
        return this;
    }

    /** Throws {@code e} after the first resume, whatever {@code pause()} returned. */
    PausingJob<R> failAfterResume(Exception e) {
        this.afterResume = e;
        return this;
    }

    /** Returns the value even when cancelled. */
    PausingJob<R> ignoreCancel() {
        this.onCancel = null;
        this.ignoreCancel = true;
        return this;
    }

    @Override
    public R run() throws Exception {
        starts.incrementAndGet();
        try {
            WakeupFd f = TestSupport.waitFd(cleanups);
            fd = f;
            callback = TestSupport.callback();
            paused.countDown();
            for (;;) {
                boolean ok = AsyncJob.pause();
                resumes.incrementAndGet();
                Exception after = afterResume;
                if (after != null) {
                    cancelledSeen = !ok;
                    throw after;
                }
                if (!ok) {
                    cancelledSeen = true;
                    if (ignoreCancel) {
                        return value;
                    }
                    Exception e = onCancel;
                    throw e != null ? e : new CancellationException("disposed");
                }
                if (f.drain() || wake.get()) {
                    cancelledSeen = false;
                    return value;
                }
            }
        } finally {
            ends.incrementAndGet();
            ended.countDown();
        }
    }

    void awaitPaused() {
        TestSupport.await(paused);
    }

    /** Waits until the job has returned and its ctx was closed (the cleanup ran). */
    void awaitEnded() {
        TestSupport.await(ended);
        TestSupport.await("the ctx closed", () -> cleanups.get() > 0);
    }

    /** Signals the job's fd (after it was set). */
    void signalFd() {
        WakeupFd f = fd;
        if (f == null) {
            throw new IllegalStateException("the job has not set its fd yet");
        }
        f.signal();
    }

    /** Calls the job's ctx callback, after marking the wake wanted. */
    void callBack() {
        Runnable cb = callback;
        if (cb == null) {
            throw new IllegalStateException("the job has not started yet");
        }
        wake.set(true);
        cb.run();
    }
}
