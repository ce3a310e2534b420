package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 item 4: with an inline executor ({@code Runnable::run}, {@code Schedulers.immediate()})
 * a wake-up that comes from inside another job on the same thread used to run the resume right
 * there, where {@code start} returns {@code ERR}; the runner then failed and closed the ctx of a
 * job that was still paused and still held its slot. A paused job is never failed or closed while
 * paused: its resume waits until the running segment has ended, then runs on the same thread.
 */
@Timeout(120)
class FaultInlineResumeTest {
    private static final int ROUNDS = 5_000;
    private static final Executor INLINE = Runnable::run;

    @Test
    void aWakeFromInsideAnotherJobResumesThePausedJobOnceThatSegmentEnded() {
        onNewThread(() -> {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 2)).build();
            Thread owner = Thread.currentThread();
            for (int round = 0; round < ROUNDS; round++) {
                AtomicReference<WaitCallback> cbA = new AtomicReference<>();
                AtomicBoolean bRunning = new AtomicBoolean();
                AtomicBoolean aResumedDuringB = new AtomicBoolean();
                RecordingObserver<String> obsA = new RecordingObserver<>();
                JobTicket a = AsyncJobs.launch(() -> {
                    cbA.set(AsyncJob.current().waitCtx().getCallback());
                    boolean woken = AsyncJob.pause();
                    aResumedDuringB.set(bRunning.get());
                    return woken ? "A woken" : "A cancelled";
                }, opts, INLINE, obsA);
                assertThat(a.isDone()).isFalse();
                assertThat(CoreTestSupport.jobsInUse()).isEqualTo(1);

                AtomicBoolean aToldDuringB = new AtomicBoolean();
                RecordingObserver<String> obsB = new RecordingObserver<>();
                JobTicket b = AsyncJobs.launch(() -> {
                    bRunning.set(true);
                    boolean accepted = cbA.get().onWake(null);
                    aToldDuringB.set(obsA.isCalled());
                    bRunning.set(false);
                    return accepted ? "B" : "B: wake refused";
                }, opts, INLINE, obsB);

                assertThat(aToldDuringB).as("A's outcome while B still ran, round %d", round).isFalse();
                assertThat(aResumedDuringB).as("A resumed inside B, round %d", round).isFalse();
                RecordingObserver.Call ca = obsA.only();
                assertThat(ca.kind()).as("round %d: %s", round, ca.error()).isEqualTo("success");
                assertThat(ca.value()).isEqualTo("A woken");
                assertThat(ca.thread()).isSameAs(owner);
                assertThat(obsB.only().value()).isEqualTo("B");
                assertThat(a.isDone()).isTrue();
                assertThat(b.isDone()).isTrue();
                assertThat(CoreTestSupport.jobsInUse()).as("slots in use after round %d", round).isZero();
            }
        });
    }

    @Test
    void aWakeFromASegmentThatThenPausesIsServedAtThatPause() {
        onNewThread(() -> {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 2)).build();
            for (int round = 0; round < ROUNDS; round++) {
                AtomicReference<WaitCallback> cbA = new AtomicReference<>();
                AtomicReference<WaitCallback> cbB = new AtomicReference<>();
                RecordingObserver<String> obsA = new RecordingObserver<>();
                RecordingObserver<String> obsB = new RecordingObserver<>();
                AsyncJobs.launch(() -> {
                    cbA.set(AsyncJob.current().waitCtx().getCallback());
                    return AsyncJob.pause() ? "A" : "A cancelled";
                }, opts, INLINE, obsA);
                AsyncJobs.launch(() -> {
                    cbB.set(AsyncJob.current().waitCtx().getCallback());
                    cbA.get().onWake(null);
                    boolean woken = AsyncJob.pause();
                    return woken ? "B" : "B cancelled";
                }, opts, INLINE, obsB);
                assertThat(obsA.only().value()).as("round %d: %s", round, obsA.calls).isEqualTo("A");
                assertThat(obsB.isCalled()).isFalse();
                assertThat(CoreTestSupport.jobsInUse()).isEqualTo(1);
                assertThat(cbB.get().onWake(null)).isTrue();
                assertThat(obsB.only().value()).isEqualTo("B");
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
        });
    }

    /** Two jobs waking each other 20,000 times on one thread: every resume waits, none nests. */
    @Test
    void aLongPingPongOnOneThreadNeitherFailsNorGrowsTheStack() {
        onNewThread(512 * 1024, () -> {
            int n = 20_000;
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 2)).build();
            AtomicReference<WaitCallback> cbA = new AtomicReference<>();
            AtomicReference<WaitCallback> cbB = new AtomicReference<>();
            AtomicInteger turnsA = new AtomicInteger();
            AtomicInteger turnsB = new AtomicInteger();
            RecordingObserver<Integer> obsA = new RecordingObserver<>();
            RecordingObserver<Integer> obsB = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                cbB.set(AsyncJob.current().waitCtx().getCallback());
                for (int i = 0; i < n; i++) {
                    if (!AsyncJob.pause()) {
                        return -1;
                    }
                    turnsB.incrementAndGet();
                    cbA.get().onWake(null);
                }
                return turnsB.get();
            }, opts, INLINE, obsB);
            AsyncJobs.launch(() -> {
                cbA.set(AsyncJob.current().waitCtx().getCallback());
                for (int i = 0; i < n; i++) {
                    turnsA.incrementAndGet();
                    cbB.get().onWake(null);
                    if (!AsyncJob.pause()) {
                        return -1;
                    }
                }
                return turnsA.get();
            }, opts, INLINE, obsA);
            assertThat(obsA.only().value()).as("A: %s", obsA.calls).isEqualTo(n);
            assertThat(obsB.only().value()).as("B: %s", obsB.calls).isEqualTo(n);
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }

    /** A raw job (the caller drives start()) that wakes a launched job: resumed once start returned. */
    @Test
    void aWakeFromInsideARawJobIsServedBeforeThatStartReturns() {
        onNewThread(() -> {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 2)).build();
            for (int round = 0; round < 1_000; round++) {
                AtomicReference<WaitCallback> cbA = new AtomicReference<>();
                RecordingObserver<String> obsA = new RecordingObserver<>();
                AsyncJobs.launch(() -> {
                    cbA.set(AsyncJob.current().waitCtx().getCallback());
                    return AsyncJob.pause() ? "A" : "A cancelled";
                }, opts, INLINE, obsA);
                JobHandle<Boolean> h = new JobHandle<>();
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        cbA.get().onWake(null);
                        return obsA.isCalled();
                    })).isEqualTo(StartStatus.FINISH);
                }
                assertThat(h.result()).as("A finished inside the raw job").isFalse();
                assertThat(obsA.only().value()).as("round %d: %s", round, obsA.calls).isEqualTo("A");
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
        });
    }
}
