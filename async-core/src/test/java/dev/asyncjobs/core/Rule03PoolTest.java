package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 3: {@code initThread(max, init)} builds this thread's pool ({@code max == 0}:
 * unlimited). With {@code max} jobs alive, a further start returns {@code NO_JOBS}; a finished job
 * (value or failure) frees its slot. {@code initThread} returns false for negative sizes, for
 * {@code max > 0 && init > max}, and when this thread already has a pool (explicit or implicit).
 */
@Timeout(60)
class Rule03PoolTest {

    @Test
    void negativeSizesAreRefused() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(-1, 0)).isFalse();
            assertThat(AsyncJob.initThread(0, -1)).isFalse();
            assertThat(AsyncJob.initThread(-5, -5)).isFalse();
            assertThat(AsyncJob.initThread(Integer.MIN_VALUE, 0)).isFalse();
            assertThat(CoreTestSupport.pool()).as("a refused init builds nothing").isNull();
            assertThat(AsyncJob.initThread(1, 0)).as("and leaves the thread free to init").isTrue();
        });
    }

    @Test
    void initLargerThanAPositiveMaxIsRefused() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(2, 3)).isFalse();
            assertThat(AsyncJob.initThread(1, Integer.MAX_VALUE)).isFalse();
            assertThat(CoreTestSupport.pool()).isNull();
            assertThat(AsyncJob.initThread(2, 2)).as("init == max is fine").isTrue();
            assertThat(CoreTestSupport.pool().idleCount()).as("init jobs made up front").isEqualTo(2);
        });
    }

    @Test
    void anUnlimitedPoolAcceptsAnyInitSize() {
        // OpenSSL refuses init > max even with max == 0; the port does not (max 0 = no limit)
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(0, 5)).isTrue();
            assertThat(CoreTestSupport.pool().idleCount()).isEqualTo(5);
            assertThat(CoreTestSupport.pool().size()).isEqualTo(5);
        });
    }

    @Test
    void aSecondExplicitInitIsRefusedAndKeepsTheFirstPool() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            JobPool first = CoreTestSupport.pool();
            assertThat(AsyncJob.initThread(1, 0)).isFalse();
            assertThat(AsyncJob.initThread(0, 0)).isFalse();
            assertThat(AsyncJob.initThread(10, 3)).isFalse();
            assertThat(CoreTestSupport.pool()).isSameAs(first);
            // still max 1
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<Void> a = new JobHandle<>();
                assertThat(AsyncJob.start(a, ctx, pauseOnce())).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(new JobHandle<Void>(), ctx, pauseOnce())).isEqualTo(StartStatus.NO_JOBS);
                assertThat(AsyncJob.start(a, ctx, null)).isEqualTo(StartStatus.FINISH);
            }
        });
    }

    @Test
    void theImplicitPoolOfTheFirstStartCountsAsAPool() {
        onNewThread(() -> {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<Void> h = new JobHandle<>();
                assertThat(AsyncJob.start(h, ctx, () -> null)).isEqualTo(StartStatus.FINISH);
            }
            assertThat(CoreTestSupport.pool()).as("the first start made an unlimited pool").isNotNull();
            assertThat(CoreTestSupport.pool().max).isZero();
            assertThat(AsyncJob.initThread(2, 0)).isFalse();
        });
    }

    @Test
    void initThreadInsideAJobIsRefused() {
        onNewThread(() -> {
            AtomicBoolean inside = new AtomicBoolean(true);
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<Void> h = new JobHandle<>();
                assertThat(AsyncJob.start(h, ctx, () -> {
                    inside.set(AsyncJob.initThread(5, 0));
                    return null;
                })).isEqualTo(StartStatus.FINISH);
            }
            assertThat(inside).isFalse();
        });
    }

    @Test
    void aFullPoolSaysNoJobsUntilAJobFinishesWithAValueOrAFailure() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(2, 0)).isTrue();
            AtomicInteger ran = new AtomicInteger();
            JobFunction<Void> counted = () -> {
                ran.incrementAndGet();
                AsyncJob.pause();
                return null;
            };
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<Void> a = new JobHandle<>();
                JobHandle<Void> b = new JobHandle<>();
                JobHandle<Void> c = new JobHandle<>();
                assertThat(AsyncJob.start(a, ctx, counted)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(b, ctx, () -> {
                    ran.incrementAndGet();
                    AsyncJob.pause();
                    throw new IllegalStateException("b fails");
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(c, ctx, counted)).isEqualTo(StartStatus.NO_JOBS);
                assertThat(AsyncJob.start(c, ctx, counted)).isEqualTo(StartStatus.NO_JOBS);
                assertThat(ran).as("NO_JOBS does not run func").hasValue(2);
                assertThat(c.job()).isNull();
                assertThat(CoreTestSupport.jobsInUse()).isEqualTo(2);

                // a failure frees its slot
                assertThat(AsyncJob.start(b, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(b.failure()).hasMessage("b fails");
                assertThat(AsyncJob.start(c, ctx, counted)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(new JobHandle<Void>(), ctx, counted)).isEqualTo(StartStatus.NO_JOBS);

                // a value frees its slot
                assertThat(AsyncJob.start(a, ctx, null)).isEqualTo(StartStatus.FINISH);
                JobHandle<Void> d = new JobHandle<>();
                assertThat(AsyncJob.start(d, ctx, counted)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(c, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(AsyncJob.start(d, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(CoreTestSupport.jobsInUse()).isZero();
                assertThat(CoreTestSupport.pool().size()).as("never more jobs than max").isEqualTo(2);
            }
        });
    }

    @Test
    void finishedJobsAreReusedSoThePoolDoesNotGrow() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(0, 0)).isTrue();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int i = 0; i < 2_000; i++) {
                    JobHandle<Void> h = new JobHandle<>();
                    assertThat(AsyncJob.start(h, ctx, pauseOnce())).isEqualTo(StartStatus.PAUSE);
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                }
                assertThat(CoreTestSupport.pool().size()).isEqualTo(1);
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
        });
    }

    @Test
    void anUnlimitedPoolNeverSaysNoJobs() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(0, 0)).isTrue();
            List<JobHandle<Void>> handles = new ArrayList<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int i = 0; i < 5_000; i++) {
                    JobHandle<Void> h = new JobHandle<>();
                    assertThat(AsyncJob.start(h, ctx, pauseOnce())).isEqualTo(StartStatus.PAUSE);
                    handles.add(h);
                }
                assertThat(CoreTestSupport.jobsInUse()).isEqualTo(5_000);
                for (JobHandle<Void> h : handles) {
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                }
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
        });
    }

    @Test
    void poolsArePerThread() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<Void> mine = new JobHandle<>();
                assertThat(AsyncJob.start(mine, ctx, pauseOnce())).isEqualTo(StartStatus.PAUSE);
                // another thread's pool is its own: it can init and start while ours is full
                onNewThread(() -> {
                    assertThat(CoreTestSupport.pool()).isNull();
                    assertThat(AsyncJob.initThread(1, 0)).isTrue();
                    try (AsyncWaitCtx other = new AsyncWaitCtx()) {
                        JobHandle<Void> theirs = new JobHandle<>();
                        assertThat(AsyncJob.start(theirs, other, pauseOnce())).isEqualTo(StartStatus.PAUSE);
                        assertThat(AsyncJob.start(theirs, other, null)).isEqualTo(StartStatus.FINISH);
                    }
                });
                assertThat(AsyncJob.start(new JobHandle<Void>(), ctx, pauseOnce())).isEqualTo(StartStatus.NO_JOBS);
                assertThat(AsyncJob.start(mine, ctx, null)).isEqualTo(StartStatus.FINISH);
            }
        });
    }

    static JobFunction<Void> pauseOnce() {
        return () -> {
            AsyncJob.pause();
            return null;
        };
    }
}
