package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.ClosedSelectorException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 item 3: one unexpected throwable must not end a job loop and strand its paused jobs.
 * A turn of the loop that throws is reported and the loop goes on (as netty's event loops do); a
 * loop that does stop for good (its selector closed) fails every job it still owns, and a resume
 * or launch that arrives afterwards is refused with an error instead of queued to a dead thread.
 */
@Timeout(120)
class FaultLoopSurvivesTest {
    private final List<Throwable> hook = new CopyOnWriteArrayList<>();

    @AfterEach
    void resetHooks() {
        AsyncHooks.resetOnError();
    }

    /** A job that publishes its callback and pauses once; "cancelled" if resumed cancelled. */
    private static JobFunction<String> pausing(AtomicReference<WaitCallback> cb, AtomicBoolean sawCancel) {
        return () -> {
            cb.set(AsyncJob.current().waitCtx().getCallback());
            if (AsyncJob.pause()) {
                return "woken";
            }
            sawCancel.set(true); // the job can release what it holds
            return "cancelled";
        };
    }

    @Test
    void anErrorThrownOutOfShutdownDoesNotStrandTheLoopsOtherJobs() throws Exception {
        AsyncHooks.setOnError(hook::add);
        for (int round = 0; round < 20; round++) {
            String name = CoreTestSupport.uniqueName("survive-close");
            JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name).build();
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<RecordingObserver<String>> others = new ArrayList<>();
            List<AtomicBoolean> sawCancel = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                RecordingObserver<String> o = new RecordingObserver<>();
                AtomicBoolean s = new AtomicBoolean();
                others.add(o);
                sawCancel.add(s);
                AsyncJobs.launch(pausing(new AtomicReference<>(), s), opts, o);
            }
            OutOfMemoryError oom = new OutOfMemoryError("test");
            AtomicReference<WaitCallback> cb0 = new AtomicReference<>();
            RecordingObserver<String> obs0 = new RecordingObserver<>();
            // launched last, so the loop cancels it first as it stops (its live list is LIFO).
            // Resumed cancelled by the shutdown, it throws a fatal error, which is rethrown out of
            // the cancel the loop makes while it stops (user code reached through shutdown)
            JobTicket t0 = AsyncJobs.launch(() -> {
                cb0.set(AsyncJob.current().waitCtx().getCallback());
                if (!AsyncJob.pause()) {
                    throw oom;
                }
                return "woken";
            }, opts, obs0);
            CoreTestSupport.spinUntil("the jobs to pause", () -> cb0.get() != null && group.liveJobs() == 5);

            Thread closer = new Thread(group::close, name + "-closer");
            closer.start();
            for (int i = 0; i < others.size(); i++) {
                RecordingObserver.Call c = others.get(i).await();
                assertThat(c.kind()).as("round %d, job %d: %s", round, i, c.error()).isEqualTo("success");
                assertThat(c.value()).isEqualTo("cancelled");
                assertThat(sawCancel.get(i)).isTrue();
            }
            closer.join(20_000);
            assertThat(closer.isAlive()).as("close() returned").isFalse();
            assertThat(group.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThat(t0.isDone()).isTrue();
            assertThat(obs0.calls).as("a fatal error is no outcome").isEmpty();
            assertThat(hook).as("round %d", round).contains(oom);
            assertThat(group.liveJobs()).isZero();
            hook.clear();
            CoreTestSupport.assertNoThreadsLeft(name);
        }
    }

    @Test
    void aLoopWhoseSelectorIsClosedStopsAndFailsEveryJobItOwns() throws Exception {
        AsyncHooks.setOnError(hook::add);
        int fdBaseline = CoreTestSupport.fdBaseline();
        for (int round = 0; round < 20; round++) {
            String name = CoreTestSupport.uniqueName("survive-selector");
            JobLoopGroup group = JobLoopGroup.builder().threads(1).maxJobsPerLoop(3).name(name).build();
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<RecordingObserver<String>> obs = new ArrayList<>();
            List<AtomicBoolean> sawCancel = new ArrayList<>();
            List<AtomicReference<WaitCallback>> cbs = new ArrayList<>();
            for (int i = 0; i < 2; i++) { // paused on their callback
                obs.add(new RecordingObserver<>());
                sawCancel.add(new AtomicBoolean());
                cbs.add(new AtomicReference<>());
                AsyncJobs.launch(pausing(cbs.get(i), sawCancel.get(i)), opts, obs.get(i));
            }
            // paused on a wait fd, which the loop's selector watches
            AtomicInteger cleanups = new AtomicInteger();
            AtomicBoolean fdSawCancel = new AtomicBoolean();
            RecordingObserver<String> fdObs = new RecordingObserver<>();
            AtomicBoolean fdArmed = new AtomicBoolean();
            AsyncJobs.launch(() -> {
                WakeupFd fd = WakeupFd.open();
                AsyncJob.current().waitCtx().setWaitFd("fd", fd.channel(), null, (c, k, ch, d) -> {
                    cleanups.incrementAndGet();
                    fd.close();
                });
                fdArmed.set(true);
                if (AsyncJob.pause()) {
                    return "woken";
                }
                fdSawCancel.set(true);
                return "cancelled";
            }, opts, fdObs);
            // waiting for a slot (the loop's pool holds 3)
            List<RecordingObserver<String>> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(new RecordingObserver<>());
                AsyncJobs.launch(() -> "ran", opts, waiters.get(i));
            }
            CoreTestSupport.flush(group.loop(0));
            assertThat(group.liveJobs()).isEqualTo(5);
            assertThat(fdArmed).isTrue();

            group.loop(0).loop.selector.close(); // a selector failure the loop cannot recover from

            List<RecordingObserver<String>> all = new ArrayList<>(obs);
            all.add(fdObs);
            all.addAll(waiters);
            for (RecordingObserver<String> o : all) {
                RecordingObserver.Call c = o.await();
                assertThat(c.kind()).as("round %d: %s %s", round, c.value(), c.error()).isEqualTo("failure");
                assertThat(c.error()).isInstanceOf(RejectedExecutionException.class)
                        .hasRootCauseInstanceOf(ClosedSelectorException.class);
            }
            assertThat(sawCancel).allMatch(AtomicBoolean::get);
            assertThat(fdSawCancel).as("the job paused on the fd was resumed cancelled").isTrue();
            assertThat(cleanups).as("its ctx was closed").hasValue(1);
            assertThat(group.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThat(group.liveJobs()).isZero();

            // afterwards: a wake-up finds nothing to resume, a launch is refused, nothing hangs
            assertThat(cbs.get(0).get().onWake(null)).isFalse();
            RecordingObserver<String> late = new RecordingObserver<>();
            AsyncJobs.launch(() -> "late", opts, late);
            assertThat(late.await().error()).isInstanceOf(RejectedExecutionException.class);
            for (RecordingObserver<String> o : all) {
                assertThat(o.calls).hasSize(1);
            }
            group.close();
            CoreTestSupport.assertNoThreadsLeft(name);
            hook.clear();
        }
        CoreTestSupport.assertFdsBackTo(fdBaseline);
    }

    /** A wake-up that races with the loop's death: the job is failed exactly once, never stranded. */
    @Test
    void aResumeRacingTheLoopsDeathEndsTheJobOnce() throws Exception {
        AsyncHooks.setOnError(hook::add);
        for (int round = 0; round < 300; round++) {
            String name = CoreTestSupport.uniqueName("survive-race");
            JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name).build();
            JobOptions opts = JobOptions.builder().loops(group).build();
            AtomicReference<WaitCallback> cb = new AtomicReference<>();
            RecordingObserver<String> o = new RecordingObserver<>();
            JobTicket t = AsyncJobs.launch(pausing(cb, new AtomicBoolean()), opts, o);
            CoreTestSupport.spinUntil("the job to pause", () -> cb.get() != null && group.liveJobs() == 1);
            CoreTestSupport.flush(group.loop(0));
            AtomicBoolean go = new AtomicBoolean();
            Thread waker = new Thread(() -> {
                while (!go.get()) {
                    Thread.onSpinWait();
                }
                cb.get().onWake(null);
            });
            waker.start();
            go.set(true);
            group.loop(0).loop.selector.close();
            waker.join(20_000);
            RecordingObserver.Call c = o.await();
            assertThat(c.kind()).as("round %d: %s %s", round, c.value(), c.error()).isIn("success", "failure");
            if (c.kind().equals("failure")) {
                assertThat(c.error()).isInstanceOf(RejectedExecutionException.class);
            } else {
                assertThat(c.value()).as("resumed by the wake before the loop died").isEqualTo("woken");
            }
            CoreTestSupport.spinUntil("the ticket to be done", t::isDone);
            assertThat(group.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThat(o.calls).hasSize(1);
            assertThat(group.liveJobs()).isZero();
            group.close();
            hook.clear();
        }
    }

    /**
     * Turns that throw (injected where a broken selector would throw) are reported, backed off
     * and survived: the loop still resumes its paused jobs, by callback and by fd, and runs new ones.
     */
    @Test
    void turnsThatKeepFailingAreReportedAndTheLoopGoesOnServingItsJobs() throws Exception {
        AsyncHooks.setOnError(hook::add);
        String name = CoreTestSupport.uniqueName("survive-turns");
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).name(name).build()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<RecordingObserver<String>> obs = new ArrayList<>();
            List<AtomicReference<WaitCallback>> cbs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                obs.add(new RecordingObserver<>());
                cbs.add(new AtomicReference<>());
                AsyncJobs.launch(pausing(cbs.get(i), new AtomicBoolean()), opts, obs.get(i));
            }
            WakeupFd fd = WakeupFd.open();
            RecordingObserver<String> fdObs = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                AsyncJob.current().waitCtx().setWaitFd("fd", fd.channel(), null, null);
                while (!fd.drain()) {
                    if (!AsyncJob.pause()) {
                        return "cancelled";
                    }
                }
                return "fd ready";
            }, opts, fdObs);
            CoreTestSupport.flush(group.loop(0));
            assertThat(group.liveJobs()).isEqualTo(4);

            int n = 30;
            AtomicInteger failed = new AtomicInteger();
            EventThread loop = group.loop(0).loop;
            loop.turnFault = () -> {
                if (failed.incrementAndGet() >= n) {
                    loop.turnFault = null;
                }
                throw new IllegalStateException("injected turn failure " + failed.get());
            };
            group.loop(0).execute(() -> { }); // wake the loop: its next turns fail
            CoreTestSupport.spinUntil("the injected failures", () -> failed.get() >= n);

            for (int i = 0; i < 3; i++) {
                assertThat(cbs.get(i).get().onWake(null)).isTrue();
                assertThat(obs.get(i).await().value()).isEqualTo("woken");
            }
            fd.signal();
            assertThat(fdObs.await().value()).isEqualTo("fd ready");
            RecordingObserver<String> fresh = new RecordingObserver<>();
            AsyncJobs.launch(() -> "fresh", opts, fresh);
            assertThat(fresh.await().value()).isEqualTo("fresh");
            assertThat(hook).hasSize(n).allMatch(e -> e instanceof IllegalStateException
                    && e.getMessage().startsWith("injected turn failure"));
            CoreTestSupport.flush(group.loop(0));
            assertThat(group.liveJobs()).isZero();
            fd.close();
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }
}
