package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link AsyncJob#pauseOrThrow()}: a pause that a cancel turns into a {@link
 * CancellationException}, so a job cannot ignore it; otherwise it behaves as {@link
 * AsyncJob#pause()} (no pause outside a job, while blocked, or when the JVM refuses).
 */
@Timeout(60)
class PauseOrThrowTest {

    @Test
    void outsideAJobItReturnsAtOnce() {
        AsyncJob.pauseOrThrow();
        assertThat(AsyncJob.current()).isNull();
    }

    @Test
    void itPausesAndResumesLikePause() {
        onNewThread(() -> {
            List<String> trace = new ArrayList<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    trace.add("before");
                    AsyncJob.pauseOrThrow();
                    trace.add("resumed");
                    AsyncJob.pauseOrThrow();
                    return "end";
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(trace).containsExactly("before");
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            }
            assertThat(trace).containsExactly("before", "resumed");
            assertThat(h.result()).isEqualTo("end");
        });
    }

    @Test
    void aCancelDuringThePauseThrowsAndEndsTheJob() {
        try (HookRecorder hooks = new HookRecorder()) {
            onNewThread(() -> {
                List<String> trace = new ArrayList<>();
                JobHandle<String> h = new JobHandle<>();
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    assertThat(AsyncJob.start(h, ctx, () -> {
                        try {
                            AsyncJob.pauseOrThrow();
                            trace.add("not cancelled");
                        } catch (CancellationException e) {
                            trace.add("cancelled " + AsyncJob.current().isCancelled());
                            throw e;
                        }
                        return "never";
                    })).isEqualTo(StartStatus.PAUSE);
                    h.cancel();
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                }
                assertThat(trace).containsExactly("cancelled true");
                assertThat(h.failure()).isInstanceOf(CancellationException.class);
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            });
            assertThat(hooks.errors).as("an expected cancel is not reported").isEmpty();
        }
    }

    @Test
    void aJobCancelledBeforeThePauseThrowsWithoutPausingAndEvenWhileBlocked() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    h.cancel(); // while running
                    AsyncJob.blockPause();
                    AsyncJob.pauseOrThrow();
                    return "never";
                })).as("no pause: thrown at once").isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isInstanceOf(CancellationException.class);
                // thrown every time, never counted towards the ignored-pause bound
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    int thrown = 0;
                    for (int i = 0; i < AsyncJob.MAX_IGNORED_PAUSES * 2; i++) {
                        try {
                            AsyncJob.pauseOrThrow();
                        } catch (CancellationException e) {
                            thrown++;
                        }
                    }
                    return "thrown " + thrown + ", then pause() " + AsyncJob.pause();
                })).isEqualTo(StartStatus.PAUSE);
                h.cancel();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("thrown " + AsyncJob.MAX_IGNORED_PAUSES * 2 + ", then pause() false");
            }
        });
    }

    @Test
    void whilePausingIsBlockedItReturnsWithoutPausing() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.blockPause();
                    AsyncJob.pauseOrThrow();
                    AsyncJob.unblockPause();
                    return "ran through";
                })).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("ran through");
            }
        });
    }

    @Test
    void aRefusedPauseReturnsWithoutPausing() throws Exception {
        if (!CoreTestSupport.continuationBackend()) {
            return; // a virtual thread parks under any frame: nothing refuses (Rule08's note)
        }
        java.lang.reflect.Method pin = Class.forName("jdk.internal.vm.Continuation").getMethod("pin");
        java.lang.reflect.Method unpin = Class.forName("jdk.internal.vm.Continuation").getMethod("unpin");
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    pin.invoke(null);
                    try {
                        AsyncJob.pauseOrThrow();
                    } finally {
                        unpin.invoke(null);
                    }
                    return "went on";
                })).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("went on");
            }
        });
    }

    @Test
    void onAJobLoopACancelEndsTheJobThroughTheException() {
        String name = CoreTestSupport.uniqueName("pause-or-throw");
        JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name).build();
        try (HookRecorder hooks = new HookRecorder()) {
            WakeupFd fd = WakeupFd.open();
            CountDownLatch paused = new CountDownLatch(1);
            RecordingObserver<String> obs = new RecordingObserver<>();
            JobTicket t = AsyncJobs.launch(() -> {
                AsyncJob.current().waitCtx().setWaitFd("k", fd.channel(), fd, (c, k, ch, d) -> ((WakeupFd) d).close());
                paused.countDown();
                do {
                    AsyncJob.pauseOrThrow(); // WakeupFd's javadoc loop, cancellable
                } while (!fd.drain());
                return "never";
            }, JobOptions.builder().loops(group).build(), obs);
            CoreTestSupport.await(paused, "the job to pause");
            CoreTestSupport.flush(group.loop(0));
            t.cancel();
            RecordingObserver.Call c = obs.await();
            CoreTestSupport.flush(group.loop(0));
            assertThat(obs.only().kind()).isEqualTo("dropped");
            assertThat(c.error()).isInstanceOf(CancellationException.class);
            assertThat(fd.channel().isOpen()).as("the ctx closed, its cleanup ran").isFalse();
            assertThat(group.liveJobs()).isZero();
            assertThat(hooks.errors).isEmpty();
        } finally {
            group.close();
            CoreTestSupport.assertNoThreadsLeft(name);
        }
    }
}
