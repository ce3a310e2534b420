package dev.asyncjobs.reactor;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the tests watch of one job: a job that hands out a {@link WakeupFd} (with a cleanup that
 * closes it and counts) and its ctx callback, then pauses until the fd was signalled or the
 * callback called, and counts every resume. A cancelled job throws {@link CancellationException}.
 */
final class Probe {
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger resumes = new AtomicInteger();
    final AtomicInteger cleanups = new AtomicInteger();
    final AtomicInteger cancelSeen = new AtomicInteger();
    final CountDownLatch paused = new CountDownLatch(1);
    volatile WakeupFd fd;
    volatile WaitCallback callback;
    volatile Object callbackArg;
    /** Set before the callback is called, so the resumed job knows why it woke. */
    volatile boolean called;

    /** A job that waits for its fd or its callback and then returns {@code value}. */
    <R> JobFunction<R> job(R value) {
        return () -> {
            waitForWake();
            return value;
        };
    }

    /** A job with no wait fd: only its ctx callback (or a cancel) wakes it. */
    <R> JobFunction<R> callbackOnlyJob(R value) {
        return () -> {
            started.incrementAndGet();
            AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
            callbackArg = ctx.getCallbackArg();
            callback = ctx.getCallback();
            paused.countDown();
            for (;;) {
                boolean ok = AsyncJob.pause();
                resumes.incrementAndGet();
                if (!ok) {
                    cancelSeen.incrementAndGet();
                    throw new CancellationException("cancelled while paused");
                }
                if (called) {
                    return value;
                }
            }
        };
    }

    /** Inside a job: publish fd and callback, pause until one of them fires; throws if cancelled. */
    void waitForWake() {
        started.incrementAndGet();
        WakeupFd f = WakeupFd.open();
        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
        ctx.setWaitFd(this, f.channel(), f, (c, k, ch, data) -> {
            cleanups.incrementAndGet();
            ((WakeupFd) data).close();
        });
        fd = f;
        callbackArg = ctx.getCallbackArg();
        callback = ctx.getCallback();
        paused.countDown();
        for (;;) {
            boolean ok = AsyncJob.pause();
            resumes.incrementAndGet();
            if (!ok) {
                cancelSeen.incrementAndGet();
                throw new CancellationException("cancelled while paused");
            }
            if (f.drain() || called) {
                return;
            }
        }
    }

    /** Waits until the job has published its fd and callback (it pauses right after). */
    Probe awaitPaused() throws InterruptedException {
        if (!paused.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the job did not reach its pause");
        }
        return this;
    }

    void signalFd() {
        fd.signal();
    }

    boolean callBack() {
        called = true;
        return callback.onWake(callbackArg);
    }
}
