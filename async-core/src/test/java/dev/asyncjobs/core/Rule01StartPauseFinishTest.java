package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 1: {@code start} with an idle handle starts {@code func}; it returns {@code PAUSE}
 * (handle's {@code job()} set, the same object {@code AsyncJob.current()} returns inside) or
 * {@code FINISH} ({@code job()} null, {@code result()}/{@code failure()} set). Passing the same
 * handle again resumes the paused job; {@code func} is then ignored.
 */
@Timeout(60)
class Rule01StartPauseFinishTest {

    @Test
    void aJobThatDoesNotPauseFinishesAtOnce() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> "done")).isEqualTo(StartStatus.FINISH);
            }
            assertThat(h.job()).isNull();
            assertThat(h.result()).isEqualTo("done");
            assertThat(h.failure()).isNull();
        });
    }

    @Test
    void aNullResultIsAFinishWithNeitherResultNorFailure() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    return null;
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            }
            assertThat(h.result()).isNull();
            assertThat(h.failure()).isNull();
            assertThat(h.job()).isNull();
        });
    }

    @Test
    void pauseSetsTheHandlesJobToTheObjectCurrentReturnsInside() {
        onNewThread(() -> {
            List<AsyncJob> seen = new ArrayList<>();
            JobHandle<Integer> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    seen.add(AsyncJob.current());
                    if (h.job() != AsyncJob.current()) {
                        throw new AssertionError("job() of a running job: " + h.job());
                    }
                    AsyncJob.pause();
                    seen.add(AsyncJob.current());
                    AsyncJob.pause();
                    seen.add(AsyncJob.current());
                    return 3;
                })).isEqualTo(StartStatus.PAUSE);
                AsyncJob paused = h.job();
                assertThat(paused).isNotNull().isSameAs(seen.get(0));
                assertThat(h.result()).as("no result while paused").isNull();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                assertThat(h.job()).as("same job across pauses").isSameAs(paused);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(seen).containsExactly(paused, paused, paused);
                assertThat(h.job()).isNull();
                assertThat(h.result()).isEqualTo(3);
            }
        });
    }

    @Test
    void insideTheJobWaitCtxIsTheCtxItWasStartedWith() {
        onNewThread(() -> {
            List<AsyncWaitCtx> seen = new ArrayList<>();
            JobHandle<Void> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                AsyncJob.start(h, ctx, () -> {
                    seen.add(AsyncJob.current().waitCtx());
                    AsyncJob.pause();
                    seen.add(AsyncJob.current().waitCtx());
                    return null;
                });
                assertThat(h.job().waitCtx()).isSameAs(ctx);
                AsyncJob.start(h, ctx, null);
                assertThat(seen).containsExactly(ctx, ctx);
            }
        });
    }

    @Test
    void resumingIgnoresTheFuncPassedAgain() {
        onNewThread(() -> {
            AtomicInteger otherCalls = new AtomicInteger();
            JobFunction<String> other = () -> {
                otherCalls.incrementAndGet();
                return "other";
            };
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    AsyncJob.pause();
                    return "original";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, other)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, other)).isEqualTo(StartStatus.FINISH);
            }
            assertThat(otherCalls).hasValue(0);
            assertThat(h.result()).isEqualTo("original");
        });
    }

    @Test
    void aResumeContinuesExactlyWhereThePauseStoppedWithItsLocalState() {
        onNewThread(() -> {
            int pauses = 1_000;
            JobHandle<Long> h = new JobHandle<>();
            AtomicInteger progress = new AtomicInteger();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    long sum = 0;
                    for (int i = 1; i <= pauses; i++) {
                        sum += i;
                        progress.set(i);
                        if (!AsyncJob.pause()) {
                            throw new AssertionError("pause failed at " + i);
                        }
                    }
                    return sum;
                });
                int resumes = 0;
                while (s == StartStatus.PAUSE) {
                    assertThat(progress).hasValue(resumes + 1);
                    resumes++;
                    s = AsyncJob.start(h, ctx, null);
                }
                assertThat(s).isEqualTo(StartStatus.FINISH);
                assertThat(resumes).isEqualTo(pauses);
            }
            assertThat(h.failure()).isNull();
            assertThat(h.result()).isEqualTo((long) pauses * (pauses + 1) / 2);
        });
    }

    @Test
    void aFinishedHandleStartsANewJobAndForgetsTheOldOutcome() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            IllegalStateException boom = new IllegalStateException("first job fails");
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    throw boom;
                })).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isSameAs(boom);
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    return "second";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(h.failure()).as("a new start clears the old failure").isNull();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("second");
                assertThat(h.failure()).isNull();
            }
        });
    }

    @Test
    void manyPausedJobsOnOneThreadAreIndependent() {
        onNewThread(() -> {
            int n = 200;
            List<JobHandle<Integer>> handles = new ArrayList<>();
            AtomicReference<String> error = new AtomicReference<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int i = 0; i < n; i++) {
                    JobHandle<Integer> h = new JobHandle<>();
                    int id = i;
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        int local = id * 10;
                        AsyncJob.pause();
                        local += 1;
                        AsyncJob.pause();
                        return local + 1;
                    })).isEqualTo(StartStatus.PAUSE);
                    handles.add(h);
                }
                // resume in reverse order, twice: each job keeps its own stack
                for (int round = 0; round < 2; round++) {
                    for (int i = n - 1; i >= 0; i--) {
                        StartStatus expected = round == 0 ? StartStatus.PAUSE : StartStatus.FINISH;
                        assertThat(AsyncJob.start(handles.get(i), ctx, null)).isEqualTo(expected);
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                assertThat(handles.get(i).result()).isEqualTo(i * 10 + 2);
            }
            assertThat(error.get()).isNull();
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }
}
