package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 100,000 jobs paused at once on one thread, all resumed and finished, every pool slot freed.
 * (Issue 2; OpenSSL needs 5.5 KB of RSS per paused job, the continuation backend ~240 B of heap.)
 * Both backends run the full 100,000: on the virtual-thread backend that is 100,000 parked
 * virtual threads, which fits the default heap and finishes well inside the time budget.
 */
@Timeout(120)
class ScaleTest {
    static final int JOBS = 100_000;

    @Test
    void aHundredThousandJobsPausedAtOnceOnOneThread() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(0, 0)).isTrue();
            @SuppressWarnings("unchecked") // no generic array creation in Java; the array stays in here
            JobHandle<Integer>[] handles = (JobHandle<Integer>[]) new JobHandle<?>[JOBS];
            long t0 = System.nanoTime();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int i = 0; i < JOBS; i++) {
                    JobHandle<Integer> h = handles[i] = new JobHandle<>();
                    int id = i;
                    StartStatus s = AsyncJob.start(h, ctx, () -> {
                        int local = id;
                        AsyncJob.pause();
                        return local + 1;
                    });
                    if (s != StartStatus.PAUSE) {
                        throw new AssertionError("job " + i + ": " + s);
                    }
                }
                long t1 = System.nanoTime();
                assertThat(CoreTestSupport.jobsInUse()).as("all paused at once").isEqualTo(JOBS);
                // resume in an order unrelated to the start order
                for (int k = 0; k < JOBS; k++) {
                    int i = (int) ((k * 7_919L) % JOBS);
                    JobHandle<Integer> h = handles[i];
                    StartStatus s = AsyncJob.start(h, ctx, null);
                    if (s != StartStatus.FINISH || h.result() != i + 1) {
                        throw new AssertionError("job " + i + ": " + s + " " + h.result() + " " + h.failure());
                    }
                }
                long t2 = System.nanoTime();
                assertThat(CoreTestSupport.jobsInUse()).as("every slot freed").isZero();
                // and the burst's memory is not held for good: only a capped number stay idle
                assertThat(CoreTestSupport.pool().idleCount()).isEqualTo(Math.min(JOBS, JobPool.IDLE_CAP));
                System.out.printf("%s backend: %,d jobs started+paused in %d ms, resumed+finished in %d ms%n",
                        AsyncJob.backend(), JOBS, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
            }
            AsyncJob.cleanupThread();
        });
    }
}
