package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Pipes;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * OpenSSL's {@code test/asynctest.c}, test for test. Each runs on a fresh thread, as each C test
 * starts with {@code ASYNC_init_thread} and ends with {@code ASYNC_cleanup_thread}. Not ported:
 * {@code start_job_ex} (the per-job library context; the Java analogue is
 * {@code JobObserver.onSegmentStart}, tested with the launch tests) and {@code set_mem_functions}
 * (stacks are the JVM's).
 */
@Timeout(60)
class AsyncTestPortTest {

    /** {@code only_pause}. */
    private static final JobFunction<Integer> ONLY_PAUSE = () -> {
        AsyncJob.pause();
        return 1;
    };

    @Test
    void initThread() {
        onNewThread(() -> {
            JobHandle<Integer> job1 = new JobHandle<>();
            JobHandle<Integer> job2 = new JobHandle<>();
            JobHandle<Integer> job3 = new JobHandle<>();
            assertThat(AsyncJob.initThread(2, 0)).isTrue();
            try (AsyncWaitCtx waitctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(job1, waitctx, ONLY_PAUSE)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(job2, waitctx, ONLY_PAUSE)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(job3, waitctx, ONLY_PAUSE)).isEqualTo(StartStatus.NO_JOBS);
                assertThat(job3.job()).as("NO_JOBS leaves the handle idle").isNull();
                assertThat(AsyncJob.start(job1, waitctx, ONLY_PAUSE)).isEqualTo(StartStatus.FINISH);
                // the finished job freed its slot
                assertThat(AsyncJob.start(job3, waitctx, ONLY_PAUSE)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(job2, waitctx, ONLY_PAUSE)).isEqualTo(StartStatus.FINISH);
                assertThat(AsyncJob.start(job3, waitctx, ONLY_PAUSE)).isEqualTo(StartStatus.FINISH);
                assertThat(job1.result()).isEqualTo(1);
                assertThat(job2.result()).isEqualTo(1);
                assertThat(job3.result()).isEqualTo(1);
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
            AsyncJob.cleanupThread();
        });
    }

    @Test
    void callbackStatus() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            Object setArg = 100;
            AtomicInteger calls = new AtomicInteger();
            WaitCallback testCallback = arg -> {
                calls.incrementAndGet();
                return true;
            };
            try (AsyncWaitCtx waitctx = new AsyncWaitCtx()) {
                assertThat(waitctx.getCallback()).isNull();
                assertThat(waitctx.getCallbackArg()).isNull();
                assertThat(waitctx.getStatus()).as("default status").isEqualTo(WaitStatus.UNSUPPORTED);
                assertThat(waitctx.setCallback(testCallback, setArg)).isTrue();
                WaitCallback getCallback = waitctx.getCallback();
                Object getArg = waitctx.getCallbackArg();
                assertThat(getCallback).isSameAs(testCallback);
                assertThat(getArg).isSameAs(setArg);
                assertThat(getCallback.onWake(getArg)).isTrue();
                assertThat(calls).hasValue(1);
                for (WaitStatus s : WaitStatus.values()) {
                    waitctx.setStatus(s);
                    assertThat(waitctx.getStatus()).isEqualTo(s);
                }
                waitctx.setStatus(WaitStatus.OK);
                assertThat(waitctx.getStatus()).isEqualTo(WaitStatus.OK);
                // a second set replaces both callback and arg
                WaitCallback other = arg -> false;
                waitctx.setCallback(other, null);
                assertThat(waitctx.getCallback()).isSameAs(other);
                assertThat(waitctx.getCallbackArg()).isNull();
            }
            AsyncJob.cleanupThread();
        });
    }

    @Test
    void startJob() {
        onNewThread(() -> {
            AtomicInteger ctr = new AtomicInteger();
            JobFunction<Integer> addTwo = () -> {
                ctr.incrementAndGet();
                AsyncJob.pause();
                ctr.incrementAndGet();
                return 2;
            };
            JobHandle<Integer> job = new JobHandle<>();
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            try (AsyncWaitCtx waitctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(job, waitctx, addTwo)).isEqualTo(StartStatus.PAUSE);
                assertThat(ctr).hasValue(1);
                assertThat(AsyncJob.start(job, waitctx, addTwo)).isEqualTo(StartStatus.FINISH);
                assertThat(ctr).hasValue(2);
                assertThat(job.result()).isEqualTo(2);
                assertThat(job.failure()).isNull();
                assertThat(job.job()).isNull();
            }
            AsyncJob.cleanupThread();
        });
    }

    @Test
    void getCurrentJob() {
        onNewThread(() -> {
            AtomicReference<AsyncJob> currjob = new AtomicReference<>();
            JobFunction<Integer> saveCurrent = () -> {
                currjob.set(AsyncJob.current());
                AsyncJob.pause();
                return 1;
            };
            JobHandle<Integer> job = new JobHandle<>();
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            try (AsyncWaitCtx waitctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.current()).as("outside a job").isNull();
                assertThat(AsyncJob.start(job, waitctx, saveCurrent)).isEqualTo(StartStatus.PAUSE);
                assertThat(currjob.get()).isNotNull().isSameAs(job.job());
                assertThat(AsyncJob.current()).as("outside a job, while one is paused").isNull();
                assertThat(AsyncJob.start(job, waitctx, saveCurrent)).isEqualTo(StartStatus.FINISH);
                assertThat(job.result()).isEqualTo(1);
            }
            AsyncJob.cleanupThread();
        });
    }

    @Test
    void waitCtxGetAllFds() {
        onNewThread(() -> {
            Pipe magic = Pipes.open();
            SelectableChannel magicWaitFd = magic.source();
            // waitfd(): the key is the wait ctx itself, as in the C test
            JobFunction<Integer> waitfd = () -> {
                AsyncJob job = AsyncJob.current();
                if (job == null) {
                    return 0;
                }
                AsyncWaitCtx waitctx = job.waitCtx();
                // First case: no fd added or removed
                AsyncJob.pause();
                // Second case: one fd added
                if (!waitctx.setWaitFd(waitctx, magicWaitFd, null, null)) {
                    return 0;
                }
                AsyncJob.pause();
                // Third case: all fd removed
                if (!waitctx.clearFd(waitctx)) {
                    return 0;
                }
                AsyncJob.pause();
                // Last case: fd added and immediately removed
                if (!waitctx.setWaitFd(waitctx, magicWaitFd, null, null)) {
                    return 0;
                }
                if (!waitctx.clearFd(waitctx)) {
                    return 0;
                }
                return 1;
            };
            JobHandle<Integer> job = new JobHandle<>();
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            try (AsyncWaitCtx waitctx = new AsyncWaitCtx()) {
                // On first run we're not expecting any wait fds
                assertThat(AsyncJob.start(job, waitctx, waitfd)).isEqualTo(StartStatus.PAUSE);
                assertThat(waitctx.getAllFds()).isEmpty();
                assertThat(waitctx.getChangedFds().added()).isEmpty();
                assertThat(waitctx.getChangedFds().deleted()).isEmpty();
                // On second run we're expecting one added fd
                assertThat(AsyncJob.start(job, waitctx, waitfd)).isEqualTo(StartStatus.PAUSE);
                assertThat(waitctx.getAllFds()).containsExactly(magicWaitFd);
                assertThat(waitctx.getChangedFds().added()).containsExactly(magicWaitFd);
                assertThat(waitctx.getChangedFds().deleted()).isEmpty();
                // On third run we expect one deleted fd
                assertThat(AsyncJob.start(job, waitctx, waitfd)).isEqualTo(StartStatus.PAUSE);
                assertThat(waitctx.getAllFds()).isEmpty();
                assertThat(waitctx.getChangedFds().added()).isEmpty();
                assertThat(waitctx.getChangedFds().deleted()).containsExactly(magicWaitFd);
                // On last run we are not expecting any wait fd
                assertThat(AsyncJob.start(job, waitctx, waitfd)).isEqualTo(StartStatus.FINISH);
                assertThat(waitctx.getAllFds()).isEmpty();
                assertThat(waitctx.getChangedFds().added()).isEmpty();
                assertThat(waitctx.getChangedFds().deleted()).isEmpty();
                assertThat(job.result()).isEqualTo(1);
            } finally {
                Pipes.close(magic);
            }
            AsyncJob.cleanupThread();
        });
    }

    @Test
    void blockPause() {
        onNewThread(() -> {
            JobFunction<Integer> blockpause = () -> {
                AsyncJob.blockPause();
                AsyncJob.pause();
                AsyncJob.unblockPause();
                AsyncJob.pause();
                return 1;
            };
            JobHandle<Integer> job = new JobHandle<>();
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            try (AsyncWaitCtx waitctx = new AsyncWaitCtx()) {
                // the blocked pause does not pause: the first PAUSE is the unblocked one
                assertThat(AsyncJob.start(job, waitctx, blockpause)).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(job, waitctx, blockpause)).isEqualTo(StartStatus.FINISH);
                assertThat(job.result()).isEqualTo(1);
            }
            AsyncJob.cleanupThread();
        });
    }
}
