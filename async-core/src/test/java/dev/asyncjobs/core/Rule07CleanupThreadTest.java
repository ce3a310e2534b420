package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 7: {@code cleanupThread()} frees this thread's idle jobs; jobs still paused are not
 * leaked (OpenSSL leaks them): they can still be resumed, finish normally and are then discarded.
 * A later {@code initThread} builds a new pool.
 */
@Timeout(60)
class Rule07CleanupThreadTest {

    @Test
    void cleanupFreesTheIdleJobsAndForgetsThePool() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(4, 3)).isTrue();
            JobPool pool = CoreTestSupport.pool();
            assertThat(pool.idleCount()).isEqualTo(3);
            AsyncJob.cleanupThread();
            assertThat(CoreTestSupport.pool()).isNull();
            assertThat(pool.idleCount()).isZero();
            assertThat(pool.size()).isZero();
            assertThat(AsyncJob.initThread(2, 1)).as("initThread works again after cleanup").isTrue();
            assertThat(CoreTestSupport.pool()).isNotSameAs(pool);
            assertThat(CoreTestSupport.pool().max).isEqualTo(2);
        });
    }

    @Test
    void cleanupWithoutAPoolIsANoOp() {
        onNewThread(() -> {
            AsyncJob.cleanupThread();
            AsyncJob.cleanupThread();
            assertThat(CoreTestSupport.pool()).isNull();
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
        });
    }

    @Test
    void pausedJobsSurviveCleanupFinishNormallyAndAreThenDiscarded() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(3, 0)).isTrue();
            JobPool old = CoreTestSupport.pool();
            List<JobHandle<Integer>> paused = new ArrayList<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int i = 0; i < 3; i++) {
                    JobHandle<Integer> h = new JobHandle<>();
                    int id = i;
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        int local = id;
                        AsyncJob.pause();
                        local += 100;
                        AsyncJob.pause();
                        return local;
                    })).isEqualTo(StartStatus.PAUSE);
                    paused.add(h);
                }
                AsyncJob.cleanupThread();
                assertThat(CoreTestSupport.pool()).isNull();
                assertThat(old.size()).as("the paused jobs are still accounted for").isEqualTo(3);

                // a new pool works next to the old paused jobs (they do not count against it)
                assertThat(AsyncJob.initThread(1, 0)).isTrue();
                JobHandle<Integer> fresh = new JobHandle<>();
                assertThat(AsyncJob.start(fresh, ctx, () -> {
                    AsyncJob.pause();
                    return -1;
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(new JobHandle<Integer>(), ctx, () -> 0)).isEqualTo(StartStatus.NO_JOBS);

                // the old jobs resume and finish normally
                for (JobHandle<Integer> h : paused) {
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                }
                for (int i = 0; i < paused.size(); i++) {
                    assertThat(AsyncJob.start(paused.get(i), ctx, null)).isEqualTo(StartStatus.FINISH);
                    assertThat(paused.get(i).result()).isEqualTo(i + 100);
                    assertThat(paused.get(i).failure()).isNull();
                }
                // ... and are discarded, not returned to the old pool
                assertThat(old.size()).isZero();
                assertThat(old.idleCount()).isZero();
                // they did not land in the new pool either
                assertThat(CoreTestSupport.pool().size()).isEqualTo(1);
                assertThat(AsyncJob.start(fresh, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(fresh.result()).isEqualTo(-1);
            }
        });
    }

    @Test
    void cleanupInsideAJobIsANoOp() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(2, 0)).isTrue();
            JobPool pool = CoreTestSupport.pool();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<Void> h = new JobHandle<>();
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.cleanupThread();
                    AsyncJob.pause();
                    return null;
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(CoreTestSupport.pool()).isSameAs(pool);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(pool.idleCount()).as("the job went back to the still-open pool").isEqualTo(1);
            }
        });
    }

    @Test
    void repeatedInitAndCleanupCyclesWithPausedJobsLeakNothing() {
        onNewThread(() -> {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int cycle = 0; cycle < 200; cycle++) {
                    assertThat(AsyncJob.initThread(2, 1)).isTrue();
                    JobPool pool = CoreTestSupport.pool();
                    JobHandle<Integer> h = new JobHandle<>();
                    int c = cycle;
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        AsyncJob.pause();
                        return c;
                    })).isEqualTo(StartStatus.PAUSE);
                    AsyncJob.cleanupThread();
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                    assertThat(h.result()).isEqualTo(cycle);
                    assertThat(pool.size()).isZero();
                }
            }
        });
    }
}
