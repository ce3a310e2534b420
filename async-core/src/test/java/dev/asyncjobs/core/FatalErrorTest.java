package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onLoop;
import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 item 9c: a {@link VirtualMachineError} other than {@link StackOverflowError} thrown by
 * a job function is the JVM's, not the job's outcome. It is rethrown (to the caller of {@code
 * start()}, the thread that ran the runner's task, or on a job loop to {@link AsyncHooks}), never
 * delivered as the job's failure; the job is still finished, its ctx closed and its slot freed. A
 * real {@link StackOverflowError} stays the job's failure.
 */
@Timeout(60)
class FatalErrorTest {

    @AfterEach
    void resetHooks() {
        AsyncHooks.resetOnError();
    }

    private static int recurse(int n) {
        return recurse(n + 1) + 1;
    }

    @Test
    void rawStartRethrowsAnOutOfMemoryErrorAfterFreeingTheSlot() {
        onNewThread(() -> {
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                OutOfMemoryError oom = new OutOfMemoryError("test");
                assertThatThrownBy(() -> AsyncJob.start(h, ctx, () -> {
                    throw oom;
                })).isSameAs(oom);
                assertThat(h.job()).isNull();
                assertThat(CoreTestSupport.jobsInUse()).as("slot freed").isZero();

                // thrown in a resumed segment
                InternalError internal = new InternalError("test");
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    throw internal;
                })).isEqualTo(StartStatus.PAUSE);
                assertThatThrownBy(() -> AsyncJob.start(h, ctx, null)).isSameAs(internal);
                assertThat(h.job()).isNull();
                assertThat(CoreTestSupport.jobsInUse()).isZero();

                // the only slot is usable again, by a pausing job
                assertThat(AsyncJob.start(h, ctx, () -> AsyncJob.pause() ? "ok" : "cancelled"))
                        .isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("ok");
            }
        });
    }

    @Test
    void aRealStackOverflowStaysTheJobsFailure() {
        onNewThread(() -> {
            JobHandle<Integer> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    return recurse(0);
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isInstanceOf(StackOverflowError.class);
                assertThat(CoreTestSupport.jobsInUse()).isZero();
            }
        });
    }

    @Test
    void launchOnAnInlineExecutorRethrowsToTheCallerAndNeverTellsTheObserver() {
        onNewThread(() -> {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 1)).build();
            Executor inline = Runnable::run;
            AtomicInteger cleanups = new AtomicInteger();
            RecordingObserver<String> obs = new RecordingObserver<>();
            OutOfMemoryError oom = new OutOfMemoryError("test");
            assertThatThrownBy(() -> AsyncJobs.launch(() -> {
                WakeupFd fd = WakeupFd.open();
                AsyncJob.current().waitCtx().setWaitFd("k", fd.channel(), null,
                        (c, k, ch, d) -> {
                            cleanups.incrementAndGet();
                            fd.close();
                        });
                throw oom;
            }, opts, inline, obs)).isSameAs(oom);
            assertThat(obs.calls).as("a fatal error is not the job's outcome").isEmpty();
            assertThat(cleanups).as("ctx closed").hasValue(1);
            assertThat(CoreTestSupport.jobsInUse()).as("slot freed").isZero();

            // paused first, then the fatal error in the segment a wake-up resumes inline
            WaitCallback[] cb = new WaitCallback[1];
            RecordingObserver<String> obs2 = new RecordingObserver<>();
            JobTicket t = AsyncJobs.launch(() -> {
                cb[0] = AsyncJob.current().waitCtx().getCallback();
                AsyncJob.pause();
                throw oom;
            }, opts, inline, obs2);
            assertThat(t.isDone()).isFalse();
            assertThatThrownBy(() -> cb[0].onWake(null)).isSameAs(oom);
            assertThat(t.isDone()).isTrue();
            assertThat(obs2.calls).isEmpty();
            assertThat(CoreTestSupport.jobsInUse()).isZero();

            // the one slot serves the next launch
            RecordingObserver<String> obs3 = new RecordingObserver<>();
            AsyncJobs.launch(() -> "next", opts, inline, obs3);
            assertThat(obs3.only().value()).isEqualTo("next");

            // a StackOverflowError is the job's failure
            RecordingObserver<Integer> obs4 = new RecordingObserver<>();
            AsyncJobs.launch(() -> recurse(0), opts, inline, obs4);
            assertThat(obs4.only().error()).isInstanceOf(StackOverflowError.class);
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }

    /** An executor on one thread of its own that hands what a task throws to that thread's handler. */
    static final class OwnThreadExecutor implements Executor {
        final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
        final List<Throwable> uncaught = new CopyOnWriteArrayList<>();
        final Thread thread = new Thread(this::work, "fatal-exec");

        OwnThreadExecutor() {
            thread.setUncaughtExceptionHandler((th, e) -> uncaught.add(e));
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void execute(Runnable r) {
            queue.add(r);
        }

        private void work() {
            for (;;) {
                Runnable r;
                try {
                    r = queue.take();
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    r.run();
                } catch (Throwable e) {
                    thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
                }
            }
        }

        <T> T call(java.util.concurrent.Callable<T> c) throws Exception {
            java.util.concurrent.FutureTask<T> f = new java.util.concurrent.FutureTask<>(c);
            execute(f);
            return f.get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void aResumeOnAUserExecutorRethrowsToItsThread() throws Exception {
        OwnThreadExecutor exec = new OwnThreadExecutor();
        try {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 1)).build();
            AtomicReference<WaitCallback> cb = new AtomicReference<>();
            RecordingObserver<String> obs = new RecordingObserver<>();
            OutOfMemoryError oom = new OutOfMemoryError("test");
            JobTicket t = AsyncJobs.launch(() -> {
                cb.set(AsyncJob.current().waitCtx().getCallback());
                AsyncJob.pause();
                throw oom;
            }, opts, exec, obs);
            CoreTestSupport.spinUntil("the job to pause", () -> cb.get() != null);
            assertThat(cb.get().onWake(null)).isTrue(); // from this thread; the resume runs on exec
            CoreTestSupport.spinUntil("the fatal error to reach the thread's handler", () -> !exec.uncaught.isEmpty());
            assertThat(exec.uncaught).containsExactly(oom);
            assertThat(t.isDone()).isTrue();
            assertThat(obs.calls).isEmpty();
            assertThat(exec.call(CoreTestSupport::jobsInUse)).isZero();
        } finally {
            exec.thread.interrupt();
        }
    }

    @Test
    void onAJobLoopTheErrorGoesToTheHookAndTheLoopGoesOn() {
        List<Throwable> hook = new CopyOnWriteArrayList<>();
        AsyncHooks.setOnError(hook::add);
        String name = CoreTestSupport.uniqueName("fatal-loop");
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name(name).build()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            for (int round = 0; round < 200; round++) {
                AtomicReference<WaitCallback> cb = new AtomicReference<>();
                RecordingObserver<String> obs = new RecordingObserver<>();
                OutOfMemoryError oom = new OutOfMemoryError("test " + round);
                JobTicket t = AsyncJobs.launch(() -> {
                    cb.set(AsyncJob.current().waitCtx().getCallback());
                    AsyncJob.pause();
                    throw oom;
                }, opts, obs);
                CoreTestSupport.spinUntil("the job to pause", () -> cb.get() != null);
                cb.get().onWake(null);
                CoreTestSupport.spinUntil("the job to end", t::isDone);
                // done is set as the job ends; the rethrown error reaches the hook right after
                CoreTestSupport.spinUntil("the error to reach the hook", () -> !hook.isEmpty());
                assertThat(hook).as("round %d", round).containsExactly(oom);
                hook.clear();
                assertThat(obs.calls).isEmpty();
                assertThat(group.liveJobs()).isZero();
                // the loop and its only slot still serve jobs
                RecordingObserver<String> next = new RecordingObserver<>();
                AsyncJobs.launch(() -> "next", opts, next);
                assertThat(next.await().value()).isEqualTo("next");
            }
            assertThat(onLoop(group.loop(0), CoreTestSupport::jobsInUse)).isZero();
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }
}
