package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The public means an engine outside async-core needs (issue 12, "the engine on public API only"):
 * {@link AsyncJob#isPauseBlocked()}, {@link AsyncJob#relay(Throwable)} and {@link
 * AsyncJobs#loopOf(AsyncWaitCtx)}, each with what it promises and where it answers no.
 */
@Timeout(60)
class EngineSpiTest {
    private final List<Throwable> hookErrors = new CopyOnWriteArrayList<>();

    @AfterEach
    void resetHooks() {
        AsyncHooks.resetOnError();
    }

    @Test
    void pauseIsBlockedOutsideAJobAndInsideOneOnlyWhileBlockPauseIsInForce() {
        onNewThread(() -> {
            assertThat(AsyncJob.isPauseBlocked()).as("outside a job pause() does not pause").isTrue();
            List<Boolean> seen = new ArrayList<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    seen.add(AsyncJob.isPauseBlocked());     // false
                    AsyncJob.blockPause();
                    AsyncJob.blockPause();
                    seen.add(AsyncJob.isPauseBlocked());     // true (nested)
                    AsyncJob.unblockPause();
                    seen.add(AsyncJob.isPauseBlocked());     // still true
                    AsyncJob.unblockPause();
                    seen.add(AsyncJob.isPauseBlocked());     // false again
                    AsyncJob.pause();
                    seen.add(AsyncJob.isPauseBlocked());     // false after a real resume
                    return "done";
                })).isEqualTo(StartStatus.PAUSE);
                h.cancel();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            }
            assertThat(seen).containsExactly(false, true, true, false, false);
            assertThat(h.result()).isEqualTo("done");
        });
    }

    @Test
    void aRelayedFatalErrorIsTheJobsFailureAndAnotherOneIsStillRethrown() {
        onNewThread(() -> {
            OutOfMemoryError relayed = new OutOfMemoryError("from a device thread");
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    throw AsyncJob.relay(relayed);
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isSameAs(relayed);

                // the mark belongs to that job and that error: the next job's own OOM is fatal again
                OutOfMemoryError own = new OutOfMemoryError("the job's own");
                assertThatThrownBy(() -> AsyncJob.start(h, ctx, () -> {
                    AsyncJob.relay(new OutOfMemoryError("another one"));
                    throw own;
                })).isSameAs(own);
                OutOfMemoryError stale = new OutOfMemoryError("relayed by an earlier job");
                assertThat(AsyncJob.start(h, ctx, () -> {
                    throw AsyncJob.relay(stale);
                })).isEqualTo(StartStatus.FINISH);
                assertThatThrownBy(() -> AsyncJob.start(h, ctx, () -> {
                    throw stale; // relayed in the job before: not this job's relay
                })).isSameAs(stale);
            }
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
        // outside a job it only hands the error back
        IllegalStateException e = new IllegalStateException("x");
        assertThat(AsyncJob.relay(e)).isSameAs(e);
        CoreTestSupport.assertNpeNaming("error", () -> AsyncJob.relay(null));
    }

    @Test
    void loopOfNamesTheLoopOfALaunchedJobAndNothingElse() throws Exception {
        AsyncHooks.setOnError(hookErrors::add);
        try (JobLoopGroup group = JobLoopGroup.builder().threads(2).name(CoreTestSupport.uniqueName("spi")).build()) {
            JobOptions options = JobOptions.builder().loops(group).build();
            AtomicReference<JobLoop> seen = new AtomicReference<>();
            RecordingObserver<String> obs = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                seen.set(AsyncJobs.loopOf(AsyncJob.current().waitCtx()));
                return "ok";
            }, options, obs);
            RecordingObserver.Call call = obs.await();
            assertThat(call.value()).isEqualTo("ok");
            // the observer runs on the job's loop thread (inside the job, with the virtual-thread
            // backend, the current thread is the job's own)
            assertThat(seen.get()).isNotNull();
            assertThat(seen.get().group()).isSameAs(group);
            assertThat(seen.get().name()).isEqualTo(call.thread().getName());

            // a job on a confined executor, and a ctx whose callback is not the launcher's
            ExecutorService single = Executors.newSingleThreadExecutor();
            try {
                RecordingObserver<Boolean> onExecutor = new RecordingObserver<>();
                AsyncJobs.launch(() -> AsyncJobs.loopOf(AsyncJob.current().waitCtx()) == null, JobOptions.defaults(), single,
                        onExecutor);
                assertThat(onExecutor.await().value()).isEqualTo(true);
            } finally {
                single.shutdown();
                assertThat(single.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            }
            RecordingObserver<Boolean> replaced = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                WaitCallback mine = arg -> true;
                ctx.setCallback(mine, null);
                return AsyncJobs.loopOf(ctx) == null;
            }, options, replaced);
            assertThat(replaced.await().value()).isEqualTo(true);
        }
        try (AsyncWaitCtx plain = new AsyncWaitCtx()) {
            assertThat(AsyncJobs.loopOf(plain)).isNull();
        }
        CoreTestSupport.assertNpeNaming("ctx", () -> AsyncJobs.loopOf(null));
        assertThat(hookErrors).isEmpty();
    }

    @Test
    void aBatchTaskOnTheLoopResumesEveryJobRightBehindItWithNoWakeUp() throws Exception {
        // the promise an engine builds on: callbacks called in one task on the job's loop queue the
        // jobs' resumes on that loop from its own thread (appends, no wake-up), so they run right
        // behind the batch task, before anything queued after it: one wake-up per batch
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("spi-batch")).build()) {
            JobOptions options = JobOptions.builder().loops(group).build();
            int n = 50;
            List<AsyncWaitCtx> ctxs = new CopyOnWriteArrayList<>();
            List<RecordingObserver<Integer>> observers = new ArrayList<>();
            CountDownLatch allPaused = new CountDownLatch(n);
            List<Thread> resumedOn = new CopyOnWriteArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                RecordingObserver<Integer> obs = new RecordingObserver<>();
                observers.add(obs);
                AsyncJobs.launch(() -> {
                    ctxs.add(AsyncJob.current().waitCtx());
                    allPaused.countDown();
                    AsyncJob.pauseOrThrow();
                    resumedOn.add(Thread.currentThread());
                    return id;
                }, options, obs);
            }
            assertThat(allPaused.await(30, TimeUnit.SECONDS)).isTrue();
            JobLoop loop = AsyncJobs.loopOf(ctxs.get(0));
            assertThat(loop).isNotNull();
            CoreTestSupport.flush(loop); // every job has paused (its PAUSE handled) by now
            // a task the batch queues after its callbacks runs once every resume has run
            CompletableFuture<Integer> doneInBatch = new CompletableFuture<>();
            CompletableFuture<Integer> doneBehind = new CompletableFuture<>();
            loop.execute(() -> {
                for (AsyncWaitCtx c : ctxs) {
                    assertThat(AsyncJobs.loopOf(c)).isSameAs(loop);
                    c.getCallback().onWake(c.getCallbackArg());
                }
                doneInBatch.complete(finished(observers));
                loop.execute(() -> doneBehind.complete(finished(observers)));
            });
            for (int i = 0; i < n; i++) {
                assertThat(observers.get(i).await().value()).isEqualTo(i);
            }
            assertThat(doneInBatch.get(30, TimeUnit.SECONDS)).as("no job resumed inside the caller's task").isZero();
            assertThat(doneBehind.get(30, TimeUnit.SECONDS)).as("every job finished right behind the batch task").isEqualTo(n);
            assertThat(resumedOn).hasSize(n);
        }
    }

    private static int finished(List<RecordingObserver<Integer>> observers) {
        int done = 0;
        for (RecordingObserver<Integer> o : observers) {
            done += o.isCalled() ? 1 : 0;
        }
        return done;
    }
}
