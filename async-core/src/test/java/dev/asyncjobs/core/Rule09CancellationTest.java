package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Racer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 9 (beyond OpenSSL): {@code JobHandle.cancel()} marks a paused job cancelled; when
 * the owner resumes it, the pause it was suspended in returns false, every later {@code pause()}
 * returns false at once, and {@code AsyncJob.current().isCancelled()} is true, so the job can
 * release what it holds and return.
 */
@Timeout(60)
class Rule09CancellationTest {

    @Test
    void aCancelledPausedJobSeesFalseFromItsPauseAndFromEveryLaterOne() {
        onNewThread(() -> {
            List<String> trace = new ArrayList<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob me = AsyncJob.current();
                    trace.add("cancelled at start " + me.isCancelled());
                    trace.add("first pause " + AsyncJob.pause());
                    trace.add("cancelled " + me.isCancelled());
                    trace.add("second pause " + AsyncJob.pause());
                    trace.add("third pause " + AsyncJob.pause());
                    trace.add("cancelled " + AsyncJob.current().isCancelled());
                    return "released";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(h.isCancelled()).isFalse();
                assertThat(h.job().isCancelled()).isFalse();
                assertThat(h.cancel()).isTrue();
                assertThat(h.isCancelled()).isTrue();
                assertThat(h.job().isCancelled()).isTrue();
                assertThat(trace).as("cancel only marks; the owner resumes").containsExactly("cancelled at start false");
                assertThat(AsyncJob.start(h, ctx, null))
                        .as("later pauses return at once, so the job runs to its end").isEqualTo(StartStatus.FINISH);
            }
            assertThat(trace).containsExactly("cancelled at start false", "first pause false", "cancelled true",
                    "second pause false", "third pause false", "cancelled true");
            assertThat(h.result()).isEqualTo("released");
            assertThat(h.failure()).isNull();
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }

    @Test
    void cancelOfAnIdleHandleReturnsFalseAndMarksNothing() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            assertThat(h.cancel()).isFalse();
            assertThat(h.isCancelled()).isFalse();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                List<Boolean> pauses = new ArrayList<>();
                assertThat(AsyncJob.start(h, ctx, () -> {
                    pauses.add(AsyncJob.pause());
                    return "x";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(pauses).containsExactly(true);
                // finished: idle again
                assertThat(h.cancel()).isFalse();
                assertThat(h.isCancelled()).isFalse();
            }
        });
    }

    @Test
    void aNewJobOnACancelledHandleStartsUncancelled() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> String.valueOf(AsyncJob.pause()))).isEqualTo(StartStatus.PAUSE);
                h.cancel();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("false");
                assertThat(AsyncJob.start(h, ctx, () -> AsyncJob.current().isCancelled() + " " + AsyncJob.pause()))
                        .isEqualTo(StartStatus.PAUSE);
                assertThat(h.isCancelled()).isFalse();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("false true");
            }
        });
    }

    @Test
    void cancelFromAnotherThreadIsSeenByTheOwnersResume() {
        onNewThread(() -> {
            JobHandle<Boolean> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, AsyncJob::pause)).isEqualTo(StartStatus.PAUSE);
                assertThat(CoreTestSupport.callOnNewThread(h::cancel)).isTrue();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isFalse();
            }
        });
    }

    @Test
    void aJobCancelledWhileRunningItsFirstSegmentSeesItAtItsFirstPause() {
        // JobHandle.cancel(): "true if a job was paused (or running) on this handle"
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            AtomicBoolean cancelResult = new AtomicBoolean();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    cancelResult.set(h.cancel()); // running, never paused yet
                    return AsyncJob.pause() + " " + AsyncJob.current().isCancelled();
                });
                assertThat(cancelResult).as("cancel() of a running job").isTrue();
                assertThat(s).as("the pause of a cancelled job returns at once").isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("false true");
            }
        });
    }

    @Test
    void aJobCancelledWhileRunningAfterAResumeSeesItAtItsNextPause() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            AtomicBoolean cancelResult = new AtomicBoolean();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    cancelResult.set(h.cancel());
                    return AsyncJob.pause() + " " + AsyncJob.current().isCancelled();
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(cancelResult).isTrue();
                assertThat(h.result()).isEqualTo("false true");
            }
        });
    }

    @Test
    void cancelIsIdempotent() {
        onNewThread(() -> {
            JobHandle<Boolean> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, AsyncJob::pause)).isEqualTo(StartStatus.PAUSE);
                assertThat(h.cancel()).isTrue();
                assertThat(h.cancel()).isTrue();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isFalse();
            }
        });
    }

    @Test
    void cancelRacingWithTheOwnersResumesAlwaysEndsTheJob() {
        // Each round: a job that pauses until a pause returns false. The owner keeps resuming it
        // while another thread cancels; whatever the interleaving, the job must end, see
        // isCancelled() afterwards, and every later pause must return false at once.
        onNewThread(() -> {
            try (Racer racer = new Racer(1, "cancel-vs-resume"); AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                int rounds = 3_000;
                for (int round = 0; round < rounds; round++) {
                    JobHandle<String> h = new JobHandle<>();
                    AtomicInteger truePauses = new AtomicInteger();
                    AtomicInteger resumesThisRound = new AtomicInteger();
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        while (AsyncJob.pause()) {
                            truePauses.incrementAndGet();
                        }
                        return "ended cancelled=" + AsyncJob.current().isCancelled() + " next=" + AsyncJob.pause();
                    })).isEqualTo(StartStatus.PAUSE);
                    int r = round;
                    racer.race(() -> {
                        StartStatus s;
                        int resumes = 0;
                        do {
                            s = AsyncJob.start(h, ctx, null);
                            resumes++;
                            if (resumes > 10_000_000) {
                                throw new AssertionError("round " + r + ": job never saw its cancel");
                            }
                        } while (s == StartStatus.PAUSE);
                        resumesThisRound.set(resumes);
                        assertThat(s).isEqualTo(StartStatus.FINISH);
                    }, () -> assertThat(h.cancel()).as("cancel of a paused job").isTrue());
                    assertThat(h.result()).as("round %d", round).isEqualTo("ended cancelled=true next=false");
                    // every resume returned from exactly one suspended pause: each true one, plus the
                    // false one if the cancel arrived while it was suspended (if it arrived while the
                    // job ran, that pause returned false at once, without suspending)
                    assertThat(resumesThisRound.get()).as("round %d resumes", round)
                            .isBetween(truePauses.get(), truePauses.get() + 1);
                    assertThat(h.job()).isNull();
                }
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
        });
    }
}
