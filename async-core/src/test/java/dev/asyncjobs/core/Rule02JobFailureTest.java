package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 2: a {@code func} that throws makes {@code start} return {@code FINISH} with
 * {@code failure()} set to what it threw; issue 2: it never kills the calling thread or leaves
 * the job slot taken, and deep recursion ends in a {@link StackOverflowError} reported as the
 * job's failure (OpenSSL's fixed 32 KiB stacks corrupt memory instead).
 */
@Timeout(60)
class Rule02JobFailureTest {

    /** An Error of our own, so nothing else in the JVM could have thrown it. */
    static final class CustomError extends Error {
        private static final long serialVersionUID = 1L;

        CustomError(String message) {
            super(message);
        }
    }

    @Test
    void aCheckedExceptionIsTheFailure() {
        assertFailureIsReportedAndSlotFreed(new IOException("checked"), false);
        assertFailureIsReportedAndSlotFreed(new IOException("checked, after a pause"), true);
    }

    @Test
    void aRuntimeExceptionIsTheFailure() {
        assertFailureIsReportedAndSlotFreed(new IllegalArgumentException("runtime"), false);
        assertFailureIsReportedAndSlotFreed(new IllegalArgumentException("runtime, after a pause"), true);
    }

    @Test
    void anErrorIsTheFailure() {
        assertFailureIsReportedAndSlotFreed(new CustomError("error"), false);
        assertFailureIsReportedAndSlotFreed(new CustomError("error, after a pause"), true);
    }

    private static void assertFailureIsReportedAndSlotFreed(Throwable thrown, boolean pauseFirst) {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    if (pauseFirst) {
                        AsyncJob.pause();
                    }
                    throwIt(thrown);
                    return "unreachable";
                });
                if (pauseFirst) {
                    assertThat(s).isEqualTo(StartStatus.PAUSE);
                    s = AsyncJob.start(h, ctx, null);
                }
                // the calling thread is alive and gets FINISH
                assertThat(s).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isSameAs(thrown);
                assertThat(h.result()).isNull();
                assertThat(h.job()).isNull();
                assertThat(AsyncJob.current()).isNull();
                // the only slot of the pool is free again: a new job starts, pauses and finishes
                assertThat(CoreTestSupport.jobsInUse()).isZero();
                JobHandle<String> next = new JobHandle<>();
                assertThat(AsyncJob.start(next, ctx, () -> {
                    AsyncJob.pause();
                    return "next";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(next, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(next.result()).isEqualTo("next");
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwIt(Throwable t) throws T {
        throw (T) t;
    }

    @Test
    void deepRecursionEndsInAStackOverflowErrorReportedAsTheFailure() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            JobHandle<Integer> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause(); // overflow in a resumed segment, the harder case
                    return recurse(0);
                });
                assertThat(s).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isInstanceOf(StackOverflowError.class);
                assertThat(h.result()).isNull();
                assertThat(CoreTestSupport.jobsInUse()).isZero();

                // nothing is corrupted: the same thread (and the recycled job) runs pausing jobs,
                // with moderately deep stacks, and gets the right results
                for (int i = 0; i < 50; i++) {
                    JobHandle<Integer> next = new JobHandle<>();
                    int depth = 500 + i;
                    assertThat(AsyncJob.start(next, ctx, () -> pausingRecursion(depth))).isEqualTo(StartStatus.PAUSE);
                    StartStatus st;
                    do {
                        st = AsyncJob.start(next, ctx, null);
                    } while (st == StartStatus.PAUSE);
                    assertThat(st).isEqualTo(StartStatus.FINISH);
                    assertThat(next.failure()).isNull();
                    assertThat(next.result()).isEqualTo(depth);
                }
                // and it can overflow again, still cleanly
                JobHandle<Integer> again = new JobHandle<>();
                assertThat(AsyncJob.start(again, ctx, () -> recurse(0))).isEqualTo(StartStatus.FINISH);
                assertThat(again.failure()).isInstanceOf(StackOverflowError.class);
            }
        });
    }

    private static int recurse(int n) {
        return recurse(n + 1) + 1;
    }

    /** Recurses {@code depth} deep, pausing every 100 frames, and returns the depth. */
    private static int pausingRecursion(int depth) {
        if (depth == 0) {
            return 0;
        }
        if (depth % 100 == 0 && !AsyncJob.pause()) {
            throw new AssertionError("pause failed at depth " + depth);
        }
        return pausingRecursion(depth - 1) + 1;
    }

    @Test
    void failingJobsNeverLeaveSlotsTaken() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(3, 0)).isTrue();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int i = 0; i < 1_000; i++) {
                    JobHandle<Void> h = new JobHandle<>();
                    int kind = i % 3;
                    StartStatus s = AsyncJob.start(h, ctx, () -> {
                        AsyncJob.pause();
                        switch (kind) {
                            case 0 -> throw new IOException("io");
                            case 1 -> throw new IllegalStateException("ise");
                            default -> throw new CustomError("err");
                        }
                    });
                    assertThat(s).isEqualTo(StartStatus.PAUSE);
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                    assertThat(h.failure()).isNotNull();
                }
                assertThat(CoreTestSupport.jobsInUse()).isZero();
                assertThat(CoreTestSupport.pool().size()).as("jobs made by the pool").isLessThanOrEqualTo(3);
            }
        });
    }
}
