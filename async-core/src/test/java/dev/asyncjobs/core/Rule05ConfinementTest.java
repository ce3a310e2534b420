package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.callOnNewThread;
import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 5: a paused job is resumed on the thread that started it, with the ctx it was
 * started with. {@code start} on another thread or with another ctx returns {@code ERR} and leaves
 * the job paused and intact; {@code start} of a job from inside itself, or of any job from inside
 * a running job, returns {@code ERR} and leaves the running job intact.
 */
@Timeout(60)
class Rule05ConfinementTest {

    /** Pauses three times, keeping a local sum across the pauses. */
    private static JobFunction<Integer> threePauses(AtomicInteger segments) {
        return () -> {
            int local = 0;
            for (int i = 1; i <= 3; i++) {
                local += i;
                segments.incrementAndGet();
                AsyncJob.pause();
            }
            return local * 10;
        };
    }

    @Test
    void aResumeOnAnotherThreadIsAnErrorAndTheJobStaysResumableOnItsOwn() {
        onNewThread(() -> {
            AtomicInteger segments = new AtomicInteger();
            JobHandle<Integer> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, threePauses(segments))).isEqualTo(StartStatus.PAUSE);
                AsyncJob paused = h.job();
                for (int attempt = 0; attempt < 3; attempt++) {
                    StartStatus elsewhere = callOnNewThread(() -> AsyncJob.start(h, ctx, null));
                    assertThat(elsewhere).isEqualTo(StartStatus.ERR);
                    assertThat(h.job()).as("still paused on the handle").isSameAs(paused);
                    assertThat(segments).as("the job did not run").hasValue(1);
                }
                // on its own thread it goes on exactly where it stopped
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                assertThat(segments).hasValue(2);
                assertThat(callOnNewThread(() -> AsyncJob.start(h, ctx, null))).isEqualTo(StartStatus.ERR);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo(60);
                assertThat(h.failure()).isNull();
            }
        });
    }

    @Test
    void aForeignThreadWithItsOwnRunningPoolStillGetsAnError() {
        onNewThread(() -> {
            AtomicInteger segments = new AtomicInteger();
            JobHandle<Integer> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, threePauses(segments))).isEqualTo(StartStatus.PAUSE);
                StartStatus elsewhere = callOnNewThread(() -> {
                    assertThat(AsyncJob.initThread(4, 1)).isTrue();
                    try (AsyncWaitCtx mine = new AsyncWaitCtx()) {
                        JobHandle<Void> own = new JobHandle<>();
                        assertThat(AsyncJob.start(own, mine, Rule03PoolTest.pauseOnce())).isEqualTo(StartStatus.PAUSE);
                        StartStatus s = AsyncJob.start(h, ctx, null);
                        assertThat(AsyncJob.start(own, mine, null)).isEqualTo(StartStatus.FINISH);
                        return s;
                    }
                });
                assertThat(elsewhere).isEqualTo(StartStatus.ERR);
                while (AsyncJob.start(h, ctx, null) == StartStatus.PAUSE) {
                    // drive it to its end on the right thread
                }
                assertThat(h.result()).isEqualTo(60);
                assertThat(segments).hasValue(3);
            }
        });
    }

    @Test
    void aResumeWithAnotherCtxIsAnErrorAndTheJobStaysIntact() {
        onNewThread(() -> {
            AtomicInteger segments = new AtomicInteger();
            List<AsyncWaitCtx> seen = new ArrayList<>();
            JobHandle<Integer> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx(); AsyncWaitCtx other = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    seen.add(AsyncJob.current().waitCtx());
                    segments.incrementAndGet();
                    AsyncJob.pause();
                    seen.add(AsyncJob.current().waitCtx());
                    segments.incrementAndGet();
                    return 7;
                })).isEqualTo(StartStatus.PAUSE);
                AsyncJob paused = h.job();
                assertThat(AsyncJob.start(h, other, null)).isEqualTo(StartStatus.ERR);
                assertThat(AsyncJob.start(h, other, () -> 99)).isEqualTo(StartStatus.ERR);
                assertThat(h.job()).isSameAs(paused);
                assertThat(segments).hasValue(1);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo(7);
                assertThat(seen).containsExactly(ctx, ctx);
            }
        });
    }

    @Test
    void aNestedStartInsideAJobIsAnErrorAndTheRunningJobGoesOn() {
        onNewThread(() -> {
            AtomicInteger innerRuns = new AtomicInteger();
            AtomicReference<StartStatus> nested = new AtomicReference<>();
            JobHandle<Void> inner = new JobHandle<>();
            JobHandle<String> outer = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx(); AsyncWaitCtx innerCtx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(outer, ctx, () -> {
                    AsyncJob me = AsyncJob.current();
                    nested.set(AsyncJob.start(inner, innerCtx, () -> {
                        innerRuns.incrementAndGet();
                        return null;
                    }));
                    // the running job is intact: still current, can pause and resume
                    if (AsyncJob.current() != me) {
                        throw new AssertionError("current job changed by the nested start");
                    }
                    AsyncJob.pause();
                    return "outer";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(nested.get()).isEqualTo(StartStatus.ERR);
                assertThat(innerRuns).hasValue(0);
                assertThat(inner.job()).isNull();
                assertThat(AsyncJob.start(outer, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(outer.result()).isEqualTo("outer");
                assertThat(outer.failure()).isNull();
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
        });
    }

    @Test
    void aJobStartingItselfIsAnErrorAndGoesOn() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            List<StartStatus> reentrant = new ArrayList<>();
            AtomicInteger runs = new AtomicInteger();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobFunction<String> body = () -> {
                    runs.incrementAndGet();
                    AsyncJob.pause();
                    // after the first pause h.job() is this very job: resume it from inside
                    reentrant.add(AsyncJob.start(h, ctx, null));
                    reentrant.add(AsyncJob.start(h, ctx, () -> "other"));
                    AsyncJob.pause();
                    return "self";
                };
                assertThat(AsyncJob.start(h, ctx, body)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                assertThat(reentrant).containsExactly(StartStatus.ERR, StartStatus.ERR);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("self");
                assertThat(runs).hasValue(1);
            }
        });
    }

    @Test
    void resumingAnotherPausedJobFromInsideAJobIsAnErrorAndBothStayIntact() {
        onNewThread(() -> {
            JobHandle<String> other = new JobHandle<>();
            JobHandle<String> runner = new JobHandle<>();
            AtomicReference<StartStatus> fromInside = new AtomicReference<>();
            AtomicInteger otherSegments = new AtomicInteger();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(other, ctx, () -> {
                    otherSegments.incrementAndGet();
                    AsyncJob.pause();
                    otherSegments.incrementAndGet();
                    return "other";
                })).isEqualTo(StartStatus.PAUSE);
                AsyncJob otherJob = other.job();
                assertThat(AsyncJob.start(runner, ctx, () -> {
                    fromInside.set(AsyncJob.start(other, ctx, null));
                    AsyncJob.pause();
                    return "runner";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(fromInside.get()).isEqualTo(StartStatus.ERR);
                assertThat(other.job()).isSameAs(otherJob);
                assertThat(otherSegments).hasValue(1);
                assertThat(AsyncJob.start(other, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(AsyncJob.start(runner, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(other.result()).isEqualTo("other");
                assertThat(runner.result()).isEqualTo("runner");
            }
        });
    }
}
