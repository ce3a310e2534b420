package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cancelled job that ignores what {@link AsyncJob#pause()} returns (the classic {@code for (;;)
 * AsyncJob.pause();} or {@code do { pause(); } while (!fd.drain())}) used to spin on its thread for
 * ever: 100% CPU on its loop and a {@link JobLoopGroup#close()} that never returned. Now {@code
 * pause()} returns {@code false} {@link AsyncJob#MAX_IGNORED_PAUSES} times after the cancel and
 * then throws a {@link CancellationException} that says what went wrong, which ends the job; the
 * loop goes on with its other jobs.
 */
@Timeout(60)
class IgnoredCancelTest {

    static void assertIgnoredCancelError(Throwable e) {
        assertThat(e).isInstanceOf(CancellationException.class);
        assertThat(e.getMessage()).contains("ignored its cancellation")
                .contains(String.valueOf(AsyncJob.MAX_IGNORED_PAUSES))
                .contains("pauseOrThrow").contains("await");
    }

    @Test
    void aCancelledJobThatKeepsPausingIsEndedAfterTheBoundWithAClearError() {
        try (HookRecorder hooks = new HookRecorder()) {
            onNewThread(() -> {
                AtomicInteger falses = new AtomicInteger();
                JobHandle<String> h = new JobHandle<>();
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        for (;;) {
                            if (!AsyncJob.pause()) {
                                falses.incrementAndGet();
                            }
                        }
                    })).isEqualTo(StartStatus.PAUSE);
                    h.cancel();
                    // before the bound existed this start never returned (the class @Timeout ends it)
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                }
                assertThat(falses).as("pause() returned false this often first").hasValue(AsyncJob.MAX_IGNORED_PAUSES);
                assertIgnoredCancelError(h.failure());
                assertThat(h.result()).isNull();
                assertThat(CoreTestSupport.jobsInUse()).isZero();
                assertThat(hooks.errors).as("reported once, as the adapters drop a cancelled job's CancellationException")
                        .containsExactly(h.failure());
            });
        }
    }

    @Test
    void everyPauseAfterTheBoundThrowsAgainSoCatchingItDoesNotRestartTheSpin() {
        try (HookRecorder hooks = new HookRecorder()) {
            onNewThread(() -> {
                JobHandle<Integer> h = new JobHandle<>();
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        int thrown = 0;
                        AsyncJob.pause();
                        for (int i = 0; i < AsyncJob.MAX_IGNORED_PAUSES + 5; i++) {
                            try {
                                AsyncJob.pause();
                            } catch (CancellationException e) {
                                thrown++;
                            }
                        }
                        return thrown;
                    })).isEqualTo(StartStatus.PAUSE);
                    h.cancel();
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                }
                // the first MAX (the resumed one included) return false, the 6 after them throw
                assertThat(h.result()).isEqualTo(6);
                assertThat(hooks.errors).as("reported once per job").hasSize(1);
            });
        }
    }

    @Test
    void aJobThatHandlesItsCancelWithAFewMorePausesIsNotTouched() {
        try (HookRecorder hooks = new HookRecorder()) {
            onNewThread(() -> {
                JobHandle<String> h = new JobHandle<>();
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        if (AsyncJob.pause()) {
                            return "resumed";
                        }
                        int falses = 0;
                        for (int i = 0; i < 10; i++) { // releasing things, each may pause
                            falses += AsyncJob.pause() ? 0 : 1;
                        }
                        return "released after " + falses;
                    })).isEqualTo(StartStatus.PAUSE);
                    h.cancel();
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                    assertThat(h.result()).isEqualTo("released after 10");
                    // the count belongs to the job: a new job on the handle starts from zero
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        AsyncJob.pause();
                        int falses = 0;
                        for (int i = 0; i < AsyncJob.MAX_IGNORED_PAUSES - 1; i++) {
                            falses += AsyncJob.pause() ? 0 : 1;
                        }
                        return "second job " + falses;
                    })).isEqualTo(StartStatus.PAUSE);
                    h.cancel();
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                    assertThat(h.result()).isEqualTo("second job " + (AsyncJob.MAX_IGNORED_PAUSES - 1));
                }
                assertThat(h.failure()).isNull();
                assertThat(hooks.errors).isEmpty();
            });
        }
    }

    @Test
    void onAJobLoopTheSpinningJobIsEndedAndTheLoopRunsItsOtherJobs() {
        String name = CoreTestSupport.uniqueName("ignored-cancel");
        JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name).build();
        try (HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            CountDownLatch paused = new CountDownLatch(2);
            RecordingObserver<String> spinner = new RecordingObserver<>();
            JobTicket t = AsyncJobs.launch(() -> {
                paused.countDown();
                for (;;) {
                    AsyncJob.pause(); // no fd, no callback: paused until cancelled, then it spins
                }
            }, opts, spinner);
            AtomicReference<WaitCallback> wake = new AtomicReference<>();
            AtomicBoolean go = new AtomicBoolean();
            RecordingObserver<String> other = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                wake.set(AsyncJob.current().waitCtx().getCallback());
                paused.countDown();
                while (!go.get()) {
                    if (!AsyncJob.pause()) {
                        return "cancelled";
                    }
                }
                return "other";
            }, opts, other);
            CoreTestSupport.await(paused, "both jobs to pause");
            CoreTestSupport.flush(group.loop(0));

            t.cancel();
            RecordingObserver.Call c = spinner.await();
            assertThat(c.kind()).isEqualTo("dropped");
            assertIgnoredCancelError(c.error());
            assertThat(c.thread()).isSameAs(group.loop(0).thread());

            go.set(true);
            wake.get().onWake(null);
            assertThat(other.await().value()).isEqualTo("other");
            CoreTestSupport.flush(group.loop(0));
            assertThat(spinner.calls).hasSize(1);
            assertThat(other.calls).hasSize(1);
            assertThat(group.liveJobs()).isZero();
            assertThat(hooks.errors).containsExactly(c.error());
        } finally {
            assertTimeoutPreemptively(Duration.ofSeconds(20), group::close);
            CoreTestSupport.assertNoThreadsLeft(name);
        }
    }

    @Test
    void closingAGroupWithAJobThatIgnoresItsCancelReturns() {
        String name = CoreTestSupport.uniqueName("ignored-close");
        JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name).build();
        try (HookRecorder hooks = new HookRecorder()) {
            CountDownLatch paused = new CountDownLatch(1);
            RecordingObserver<String> spinner = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                WakeupFd fd = WakeupFd.open(); // never signalled
                AsyncJob.current().waitCtx().setWaitFd("k", fd.channel(), fd, (ctx, k, ch, d) -> ((WakeupFd) d).close());
                paused.countDown();
                do {
                    AsyncJob.pause(); // WakeupFd's old javadoc example: the result ignored
                } while (!fd.drain());
                return "never";
            }, JobOptions.builder().loops(group).build(), spinner);
            CoreTestSupport.await(paused, "the job to pause");

            assertTimeoutPreemptively(Duration.ofSeconds(20), group::close, "close() must return");

            RecordingObserver.Call c = spinner.only();
            assertThat(c.kind()).as("a shutdown cancel is a failure for the observer").isEqualTo("failure");
            assertIgnoredCancelError(c.error());
            assertThat(group.liveJobs()).isZero();
            assertThat(hooks.errors).containsExactly(c.error());
        } finally {
            group.close();
            CoreTestSupport.assertNoThreadsLeft(name);
        }
    }
}
