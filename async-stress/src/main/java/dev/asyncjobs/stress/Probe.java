package dev.asyncjobs.stress;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.WaitFdCleanup;
import dev.asyncjobs.core.WakeupFd;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One launched job as a test sees it: how many terminal signals it got and which, how many segments
 * it ran (start + resumes, counted through {@link JobObserver#onSegmentStart()}), and how many times
 * its wait fd's cleanup ran. The arbiter of each test waits for the terminal signal with a deadline
 * (a lost job shows up as {@link #LOST}, a forbidden outcome).
 */
final class Probe implements JobObserver<Object> {
    static final int NONE = 0;
    static final int SUCCESS = 1;
    static final int FAILURE = 2;
    static final int DROPPED = 3;
    static final int LOST = 9;

    /** Errors that reached the core's undeliverable-error hook in this fork (should stay 0). */
    static final AtomicInteger HOOK_ERRORS = new AtomicInteger();

    /** The one-loop group most tests launch on (per forked JVM). */
    static final JobLoopGroup LOOP;

    static {
        checkBackend();
        AsyncHooks.setOnError(e -> {
            HOOK_ERRORS.incrementAndGet();
            e.printStackTrace();
        });
        LOOP = JobLoopGroup.builder().threads(1).name("stress-loop").build();
    }

    final AtomicInteger terminals = new AtomicInteger();
    final AtomicInteger segments = new AtomicInteger();
    final AtomicInteger cleanups = new AtomicInteger();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile int kind = NONE;

    /** Fails the fork when it does not run the backend the runner asked for (no silent fallback). */
    static void checkBackend() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        if (expected != null && !expected.equals(AsyncJob.backend())) {
            throw new IllegalStateException("expected backend " + expected + " but got " + AsyncJob.backend()
                    + ": " + AsyncJob.continuationUnavailabilityCause());
        }
    }

    @Override
    public void onSuccess(Object value) {
        signal(SUCCESS);
    }

    @Override
    public void onFailure(Throwable error) {
        signal(FAILURE);
    }

    @Override
    public void onDropped(Object value, Throwable error) {
        signal(DROPPED);
    }

    @Override
    public AutoCloseable onSegmentStart() {
        segments.incrementAndGet();
        return null;
    }

    private void signal(int k) {
        if (terminals.incrementAndGet() == 1) {
            kind = k;
        } else {
            kind = k + 10; // a second terminal signal: visible in the outcome
        }
        done.countDown();
    }

    /** The cleanup to register with a {@link WakeupFd} as custom data: counts, then closes the fd. */
    WaitFdCleanup cleanup() {
        return (ctx, key, fd, data) -> {
            cleanups.incrementAndGet();
            ((WakeupFd) data).close();
        };
    }

    /** Waits for the terminal signal; {@link #LOST} if none came within 10 s. */
    int awaitKind() {
        try {
            if (!done.await(10, TimeUnit.SECONDS)) {
                return LOST;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LOST;
        }
        return kind;
    }

    /** Waits until everything queued on {@code executor} so far has run. */
    static void barrier(Executor executor) {
        CountDownLatch l = new CountDownLatch(1);
        executor.execute(l::countDown);
        try {
            if (!l.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the executor did not run a task within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** 1 once any error reached the hook in this fork. */
    static int hookErrors() {
        return HOOK_ERRORS.get() == 0 ? 0 : 1;
    }
}
