package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 4: {@code pause()} outside a job, or while pause is blocked, returns true at once and
 * does not pause. {@code blockPause} nests; {@code unblockPause} never goes below zero; both are
 * no-ops outside a job. The block count belongs to the running job (OpenSSL keeps it per thread,
 * so a job that finishes while blocked blocks the next one; the port does not).
 */
@Timeout(60)
class Rule04PauseBlockingTest {

    @Test
    void pauseOutsideAJobReturnsTrueAtOnce() {
        onNewThread(() -> {
            for (int i = 0; i < 1_000; i++) {
                assertThat(AsyncJob.pause()).isTrue();
            }
            assertThat(AsyncJob.current()).isNull();
            assertThat(CoreTestSupport.pool()).as("a pause outside a job makes no pool").isNull();
        });
    }

    @Test
    void aBlockedPauseReturnsTrueWithoutPausing() {
        onNewThread(() -> {
            List<Boolean> results = new ArrayList<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    AsyncJob.blockPause();
                    results.add(AsyncJob.pause());
                    results.add(AsyncJob.pause());
                    AsyncJob.unblockPause();
                    return "never paused";
                });
                assertThat(s).as("blocked pauses do not pause").isEqualTo(StartStatus.FINISH);
            }
            assertThat(results).containsExactly(true, true);
            assertThat(h.result()).isEqualTo("never paused");
        });
    }

    @Test
    void blockingNests() {
        onNewThread(() -> {
            List<String> trace = new ArrayList<>();
            JobHandle<Void> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    AsyncJob.blockPause();
                    AsyncJob.blockPause();
                    AsyncJob.blockPause();
                    AsyncJob.unblockPause();
                    trace.add("2 blocks: " + AsyncJob.pause());
                    AsyncJob.unblockPause();
                    trace.add("1 block: " + AsyncJob.pause());
                    AsyncJob.unblockPause();
                    trace.add("before the real pause");
                    trace.add("unblocked: " + AsyncJob.pause());
                    return null;
                });
                assertThat(s).isEqualTo(StartStatus.PAUSE);
                assertThat(trace).containsExactly("2 blocks: true", "1 block: true", "before the real pause");
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(trace).last().isEqualTo("unblocked: true");
            }
        });
    }

    @Test
    void unblockNeverGoesBelowZero() {
        onNewThread(() -> {
            JobHandle<Void> h = new JobHandle<>();
            List<Boolean> results = new ArrayList<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    AsyncJob.unblockPause();
                    AsyncJob.unblockPause();
                    AsyncJob.unblockPause();
                    // had the count gone to -3, this one block would leave it at -2 (unblocked)
                    AsyncJob.blockPause();
                    results.add(AsyncJob.pause());
                    AsyncJob.unblockPause();
                    return null;
                });
                assertThat(s).as("the single block still blocks").isEqualTo(StartStatus.FINISH);
            }
            assertThat(results).containsExactly(true);
        });
    }

    @Test
    void blockAndUnblockAreNoOpsOutsideAJob() {
        onNewThread(() -> {
            // a block outside a job must not leak into the next job
            AsyncJob.blockPause();
            AsyncJob.blockPause();
            JobHandle<Void> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, Rule03PoolTest.pauseOnce())).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                // and many unblocks outside a job do not pre-pay a later block
                for (int i = 0; i < 5; i++) {
                    AsyncJob.unblockPause();
                }
                List<Boolean> results = new ArrayList<>();
                JobHandle<Void> g = new JobHandle<>();
                assertThat(AsyncJob.start(g, ctx, () -> {
                    AsyncJob.blockPause();
                    results.add(AsyncJob.pause());
                    return null;
                })).isEqualTo(StartStatus.FINISH);
                assertThat(results).containsExactly(true);
            }
            assertThat(AsyncJob.pause()).isTrue();
        });
    }

    @Test
    void aJobThatFinishesWhileBlockedDoesNotBlockTheNextOne() {
        onNewThread(() -> {
            // max 1: the next job reuses the very same pooled job object
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                for (int i = 0; i < 3; i++) {
                    JobHandle<Void> blocked = new JobHandle<>();
                    assertThat(AsyncJob.start(blocked, ctx, () -> {
                        AsyncJob.blockPause();
                        AsyncJob.blockPause();
                        return null; // finishes blocked
                    })).isEqualTo(StartStatus.FINISH);
                    JobHandle<Void> next = new JobHandle<>();
                    assertThat(AsyncJob.start(next, ctx, Rule03PoolTest.pauseOnce()))
                            .as("the next job pauses").isEqualTo(StartStatus.PAUSE);
                    assertThat(AsyncJob.start(next, ctx, null)).isEqualTo(StartStatus.FINISH);
                }
            }
        });
    }

    @Test
    void theBlockCountBelongsToTheRunningJobNotTheThread() {
        onNewThread(() -> {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                // A pauses unblocked; B blocks (and stays blocked) while A is paused
                JobHandle<String> a = new JobHandle<>();
                assertThat(AsyncJob.start(a, ctx, () -> {
                    AsyncJob.pause();
                    AsyncJob.pause(); // must pause: B's block is B's
                    return "a";
                })).isEqualTo(StartStatus.PAUSE);

                JobHandle<String> b = new JobHandle<>();
                List<Boolean> bPauses = new ArrayList<>();
                assertThat(AsyncJob.start(b, ctx, () -> {
                    AsyncJob.blockPause();
                    bPauses.add(AsyncJob.pause());
                    AsyncJob.unblockPause();
                    AsyncJob.pause(); // a real pause, B unblocked now
                    AsyncJob.blockPause();
                    AsyncJob.pause(); // blocked again; finishes while blocked
                    return "b";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(bPauses).containsExactly(true);

                // A is resumed and its second pause is a real one
                assertThat(AsyncJob.start(a, ctx, null)).isEqualTo(StartStatus.PAUSE);
                // B: resumed, blocks, finishes without pausing
                assertThat(AsyncJob.start(b, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(b.result()).isEqualTo("b");
                assertThat(AsyncJob.start(a, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(a.result()).isEqualTo("a");

                // A blocks across nothing: its own block survives a pause of someone else.
                JobHandle<Void> c = new JobHandle<>();
                List<Boolean> cPauses = new ArrayList<>();
                assertThat(AsyncJob.start(c, ctx, () -> {
                    AsyncJob.pause();                // real pause
                    AsyncJob.blockPause();
                    cPauses.add(AsyncJob.pause());   // blocked
                    AsyncJob.unblockPause();
                    AsyncJob.pause();                // real pause
                    return null;
                })).isEqualTo(StartStatus.PAUSE);
                JobHandle<Void> d = new JobHandle<>();
                assertThat(AsyncJob.start(d, ctx, () -> {
                    AsyncJob.unblockPause();         // nothing to undo for d
                    AsyncJob.pause();
                    return null;
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(c, ctx, null)).isEqualTo(StartStatus.PAUSE);
                assertThat(cPauses).containsExactly(true);
                assertThat(AsyncJob.start(d, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(AsyncJob.start(c, ctx, null)).isEqualTo(StartStatus.FINISH);
            }
        });
    }
}
