package dev.asyncjobs.core;

import dev.asyncjobs.engine.OffloadEngine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.engine.OffloadEngine;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A launched job paused in an engine call on a single-thread executor whose thread then ends (the
 * executor shut down under it): when the call completes, the job still ends, once, with the
 * executor's refusal, its ctx closed. On the virtual-thread backend the job's body runs out on its
 * own as soon as its owner is gone (its pause returns false and the engine waits for the call in
 * place), so no wake-up ever reaches its runner: before the fix the observer was never told (the
 * soak's RX_SHUTDOWN unit lost ~4% of its jobs on that backend). On the continuation backend the
 * call's completion wakes it, and the refused resume finishes it off its thread.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OwnerDiesMidCallTest {
    private final AtomicInteger hookErrors = new AtomicInteger();

    @Test
    void aJobWhoseOwnerEndsDuringAnEngineCallEndsOnceWhenTheCallCompletes() throws Exception {
        AsyncHooks.setOnError(e -> hookErrors.incrementAndGet());
        ExecutorService owner = Executors.newSingleThreadExecutor(r -> new Thread(r, "owner-dies-mid-call"));
        OffloadEngine engine = OffloadEngine.builder().threads(1).name("owner-dies-engine").build();
        CountDownLatch finishCall = new CountDownLatch(1);
        try {
            CountDownLatch inCall = new CountDownLatch(1);
            AtomicInteger cleanups = new AtomicInteger();
            AtomicInteger ends = new AtomicInteger();
            RecordingObserver<Integer> obs = new RecordingObserver<>(cleanups::get);
            AsyncJobs.launch(() -> {
                try {
                    AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                    WakeupFd fd = WakeupFd.open();
                    ctx.setWaitFd(this, fd.channel(), fd, (c, k, ch, d) -> {
                        cleanups.incrementAndGet();
                        fd.close();
                    });
                    return engine.call(() -> {
                        inCall.countDown();
                        finishCall.await();
                        return 42;
                    });
                } finally {
                    ends.incrementAndGet();
                }
            }, JobOptions.defaults(), owner, obs);
            CoreTestSupport.await(inCall, "the engine call");
            owner.shutdown(); // the job is paused: nothing is queued, so the thread ends
            assertThat(owner.awaitTermination(20, TimeUnit.SECONDS)).isTrue();

            finishCall.countDown();

            RecordingObserver.Call c = obs.await();
            assertThat(c.kind()).isEqualTo("failure");
            assertThat(c.error()).isInstanceOf(RejectedExecutionException.class);
            assertThat(c.probe()).as("ctx closed before the observer was told").isEqualTo(1);
            CoreTestSupport.await("the body ended", Duration.ofSeconds(10), () -> ends.get() == 1);
            assertThat(obs.only()).isSameAs(c);
            assertThat(ends).hasValue(1);
            assertThat(cleanups).hasValue(1);
            assertThat(hookErrors).as("nothing reached AsyncHooks").hasValue(0);
        } finally {
            finishCall.countDown();
            engine.close();
            owner.shutdownNow();
            AsyncHooks.resetOnError();
        }
    }
}
