package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.flush;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link AsyncJobs#launch} and the job loops, one job at a time: outcomes delivered once on the
 * job's thread after its ctx closed, fd and callback wake-ups, the segment hook, inline launch,
 * thread-confined and non-confined executors, and errors that must never kill a loop.
 */
@Timeout(60)
class JobLoopLaunchTest {
    static final Object KEY = new Object();
    private static final int MONITOR_ROUNDS = 5_000;

    private String name;
    private JobLoopGroup group;
    private JobOptions options;
    private final List<Throwable> hooked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startLoops() {
        name = CoreTestSupport.uniqueName("jl-launch");
        group = JobLoopGroup.builder().threads(1).name(name).build();
        options = JobOptions.builder().loops(group).build();
        AsyncHooks.setOnError(hooked::add);
    }

    @AfterEach
    void stopLoops() {
        AsyncHooks.resetOnError();
        group.close();
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    /** A job that waits on a WakeupFd whose cleanup counts and closes it. */
    static JobFunction<String> waitOnFd(WakeupFd fd, AtomicInteger cleanups, CountDownLatch pausing) {
        return () -> {
            AsyncWaitCtx c = AsyncJob.current().waitCtx();
            c.setWaitFd(KEY, fd.channel(), fd, (ctx, k, ch, d) -> {
                cleanups.incrementAndGet();
                ((WakeupFd) d).close();
            });
            pausing.countDown();
            do { // pauses at least once, whenever the signal comes
                if (!AsyncJob.pause()) {
                    return "cancelled " + AsyncJob.current().isCancelled();
                }
            } while (!fd.drain());
            return "woken";
        };
    }

    @Test
    void aValueIsDeliveredOnceOnTheLoopThread() {
        RecordingObserver<String> obs = new RecordingObserver<>();
        JobTicket t = AsyncJobs.launch(() -> "value", options, obs);
        RecordingObserver.Call c = obs.await();
        flush(group.loop(0));
        assertThat(obs.only()).isEqualTo(c);
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.value()).isEqualTo("value");
        assertThat(c.thread().getName()).isEqualTo(name + "-0");
        assertThat(t.isDone()).isTrue();
        assertThat(group.liveJobs()).isZero();
    }

    @Test
    void theTicketIsDoneOnlyOnceTheObserverHasReturned() {
        CountDownLatch inObserver = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JobTicket t = AsyncJobs.launch(() -> "v", options, new JobObserver<String>() {
            @Override
            public void onSuccess(String value) {
                inObserver.countDown();
                CoreTestSupport.await(release, "release");
            }

            @Override
            public void onFailure(Throwable error) {
            }
        });
        CoreTestSupport.await(inObserver, "the observer");
        assertThat(t.isDone()).as("the observer is still running").isFalse();
        release.countDown();
        CoreTestSupport.spinUntil("isDone", t::isDone);
    }

    @Test
    void aFailureIsDeliveredOnceOnTheLoopThread() {
        IOException boom = new IOException("job fails");
        RecordingObserver<String> obs = new RecordingObserver<>();
        AsyncJobs.launch(() -> {
            AsyncJob.current().waitCtx().getCallback().onWake(null); // wake ourselves: a yield
            AsyncJob.pause();
            throw boom;
        }, options, obs);
        obs.await();
        flush(group.loop(0));
        RecordingObserver.Call c = obs.only();
        assertThat(c.kind()).isEqualTo("failure");
        assertThat(c.error()).isSameAs(boom);
        assertThat(c.thread()).isSameAs(group.loop(0).thread());
    }

    @Test
    void aNullResultIsDeliveredAsASuccess() {
        RecordingObserver<String> obs = new RecordingObserver<>();
        AsyncJobs.launch(() -> null, options, obs);
        obs.await();
        flush(group.loop(0));
        RecordingObserver.Call c = obs.only();
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.value()).isNull();
    }

    @Test
    void anFdMakesThePausedJobResumeOnItsLoopAndItsCleanupRunsOnceBeforeTheObserver() {
        WakeupFd fd = WakeupFd.open();
        AtomicInteger cleanups = new AtomicInteger();
        CountDownLatch pausing = new CountDownLatch(1);
        RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
        JobTicket t = AsyncJobs.launch(waitOnFd(fd, cleanups, pausing), options, obs);
        CoreTestSupport.await(pausing, "the job to set its fd");
        flush(group.loop(0));
        assertThat(obs.isCalled()).as("paused: no outcome yet").isFalse();
        assertThat(group.liveJobs()).isEqualTo(1);
        assertThat(t.isDone()).isFalse();
        fd.signal();
        RecordingObserver.Call c = obs.await();
        flush(group.loop(0));
        assertThat(obs.only().kind()).isEqualTo("success");
        assertThat(c.value()).isEqualTo("woken");
        assertThat(c.probe()).as("cleanups run before the observer").isEqualTo(1);
        assertThat(cleanups).hasValue(1);
        assertThat(fd.channel().isOpen()).isFalse();
        assertThat(c.thread()).isSameAs(group.loop(0).thread());
        assertThat(group.liveJobs()).isZero();
        assertThat(CoreTestSupport.onLoop(group.loop(0), CoreTestSupport::jobsInUse)).isZero();
    }

    @Test
    void theCtxCallbackIsInstalledBeforeTheFirstStartAndWakesThePausedJob() {
        AtomicReference<WaitCallback> cb = new AtomicReference<>();
        AtomicReference<Object> arg = new AtomicReference<>();
        AtomicReference<WaitStatus> status = new AtomicReference<>();
        AtomicBoolean completed = new AtomicBoolean();
        RecordingObserver<String> obs = new RecordingObserver<>();
        AsyncJobs.launch(() -> {
            AsyncWaitCtx c = AsyncJob.current().waitCtx();
            status.set(c.getStatus());
            arg.set(c.getCallbackArg());
            cb.set(c.getCallback()); // there at the very first segment
            while (!completed.get()) {
                if (!AsyncJob.pause()) {
                    return "cancelled";
                }
            }
            return "called back";
        }, options, obs);
        CoreTestSupport.await("the job to publish its callback", java.time.Duration.ofSeconds(10), () -> cb.get() != null);
        assertThat(status.get()).as("the status is the engine's to set").isEqualTo(WaitStatus.UNSUPPORTED);
        flush(group.loop(0));
        assertThat(obs.isCalled()).isFalse();
        // the engine completes on its own thread and calls the callback
        Thread engine = new Thread(() -> {
            completed.set(true);
            assertThat(cb.get().onWake(arg.get())).isTrue();
        });
        engine.start();
        RecordingObserver.Call c = obs.await();
        assertThat(c.value()).isEqualTo("called back");
        assertThat(c.thread()).isSameAs(group.loop(0).thread());
        flush(group.loop(0));
        assertThat(obs.calls).hasSize(1);
        // a late callback after the end is harmless
        assertThat(cb.get().onWake(arg.get())).isFalse();
        flush(group.loop(0));
        assertThat(obs.calls).hasSize(1);
    }

    @Test
    void theSegmentHookRunsAtStartAndAtEveryResumeAndItsScopeClosesAtEveryPauseAndAtTheEnd() {
        ThreadLocal<String> context = new ThreadLocal<>();
        List<String> events = new CopyOnWriteArrayList<>();
        AtomicInteger opens = new AtomicInteger();
        RecordingObserver<String> obs = new RecordingObserver<>() {
            @Override
            public AutoCloseable onSegmentStart() {
                int n = opens.incrementAndGet();
                String saved = context.get();
                context.set("job-context");
                events.add("open " + n);
                return () -> {
                    events.add("close " + n);
                    context.set(saved);
                };
            }
        };
        AsyncJobs.launch(() -> {
            WaitCallback cb = AsyncJob.current().waitCtx().getCallback();
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < 3; i++) {
                seen.append(context.get()).append(';');
                cb.onWake(null); // cooperative yield: resumed right after the pause
                AsyncJob.pause();
            }
            seen.append(context.get());
            return seen.toString();
        }, options, obs);
        RecordingObserver.Call c = obs.await();
        assertThat(c.value()).isEqualTo("job-context;job-context;job-context;job-context");
        assertThat(events).containsExactly("open 1", "close 1", "open 2", "close 2", "open 3", "close 3",
                "open 4", "close 4");
        // outside the job (on the loop thread) the context was restored
        assertThat(CoreTestSupport.onLoop(group.loop(0), context::get)).isNull();
    }

    @Test
    void aLaunchOnALoopThreadStartsOnThatLoopRightBehindTheCurrentTaskNeverInsideIt() {
        // never inside the caller's code (it may hold a monitor: see the test below), and no hop
        AtomicBoolean ranBeforeLaunchReturned = new AtomicBoolean();
        RecordingObserver<String> obs = new RecordingObserver<>();
        List<String> order = new CopyOnWriteArrayList<>();
        AtomicReference<JobLoop> ranOn = new AtomicReference<>();
        CoreTestSupport.onLoop(group.loop(0), () -> {
            AsyncJobs.launch(() -> {
                order.add("job");
                ranOn.set(AsyncJobs.loopOf(AsyncJob.current().waitCtx()));
                return "on the loop";
            }, options, obs);
            ranBeforeLaunchReturned.set(!order.isEmpty());
            group.loop(0).execute(() -> order.add("task queued after the launch"));
            order.add("launching task ends");
            return null;
        });
        assertThat(obs.await().value()).isEqualTo("on the loop");
        flush(group.loop(0));
        assertThat(ranBeforeLaunchReturned).isFalse();
        assertThat(ranOn.get()).isSameAs(group.loop(0));
        assertThat(order).containsExactly("launching task ends", "job", "task queued after the launch");
    }

    /*
     * Code on a job loop may hold a monitor when it launches or wakes a job there (a framework that
     * subscribes or completes a future under a lock). On the continuation backend a job that pauses
     * in a segment run inside that code would take the running thread's monitors with it (JDK 25), so
     * the loop never runs a job inside such code: the start and the resume are tasks of the loop, run
     * with nothing held. These rounds launch and wake paused jobs from inside {@code synchronized}
     * blocks on the loop thread; every monitor must be released by the code that took it and every job
     * must finish.
     */
    @Test
    void aJobLaunchedAndWokenUnderAMonitorOnItsLoopPausesAndFinishesWithTheMonitorsKeptByTheirOwner()
            throws Exception {
        JobLoop loop = group.next();
        Object launchLock = new Object();
        Object wakeLock = new Object();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger finished = new AtomicInteger();
        for (int round = 0; round < MONITOR_ROUNDS; round++) {
            CompletableFuture<String> gate = new CompletableFuture<>();
            CountDownLatch done = new CountDownLatch(1);
            List<String> got = new ArrayList<>(1);
            loop.execute(() -> {
                try {
                    synchronized (launchLock) {
                        AsyncJobs.launch(() -> AsyncJob.await(gate), options, new JobObserver<String>() {
                            @Override
                            public void onSuccess(String value) {
                                got.add(value);
                                finished.incrementAndGet();
                                done.countDown();
                            }

                            @Override
                            public void onFailure(Throwable error) {
                                errors.add(error);
                                done.countDown();
                            }
                        });
                        // the launching code still owns its monitor, whatever the job did
                        assertThat(Thread.holdsLock(launchLock)).isTrue();
                    }
                    assertThat(Thread.holdsLock(launchLock)).isFalse();
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            // wake it from the loop thread too, under another monitor
            loop.execute(() -> {
                try {
                    synchronized (wakeLock) {
                        gate.complete("v");
                        assertThat(Thread.holdsLock(wakeLock)).isTrue();
                    }
                    assertThat(Thread.holdsLock(wakeLock)).isFalse();
                } catch (Throwable t) {
                    errors.add(t);
                }
            });
            assertThat(done.await(10, TimeUnit.SECONDS)).as("round %d finished", round).isTrue();
            assertThat(errors).as("round %d", round).isEmpty();
            assertThat(got).containsExactly("v");
        }
        assertThat(finished).hasValue(MONITOR_ROUNDS);
        assertThat(hooked).isEmpty();
    }

    @Test
    void jobLoopExecuteOnItsOwnThreadQueuesTheTaskBehindTheCurrentOne() {
        // JobLoop.execute: "Runs task on the loop thread, after the tasks already queued"
        List<String> order = new CopyOnWriteArrayList<>();
        CoreTestSupport.onLoop(group.loop(0), () -> {
            group.loop(0).execute(() -> order.add("queued task"));
            order.add("current task ends");
            return null;
        });
        flush(group.loop(0));
        assertThat(order).containsExactly("current task ends", "queued task");
    }

    @Test
    void aJobLaunchingAJobFromInsideItselfWorks() {
        RecordingObserver<String> inner = new RecordingObserver<>();
        RecordingObserver<String> outer = new RecordingObserver<>();
        AsyncJobs.launch(() -> {
            JobTicket t = AsyncJobs.launch(() -> "inner", options, inner);
            assertThat(t).isNotNull();
            return "outer";
        }, options, outer);
        assertThat(outer.await().value()).isEqualTo("outer");
        RecordingObserver.Call c = inner.await();
        assertThat(c.error()).as("the inner job's failure").isNull();
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.value()).isEqualTo("inner");
    }

    @Test
    void aThreadConfinedExecutorRunsTheWholeJobWithFdsWatchedByTheGivenSelector() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor(r -> new Thread(r, name + "-single"));
        try (AsyncSelector sel = AsyncSelector.open(name + "-sel")) {
            Thread executorThread = single.submit(Thread::currentThread).get();
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(sel, 4)).build();
            for (int i = 0; i < 20; i++) {
                WakeupFd fd = WakeupFd.open();
                AtomicInteger cleanups = new AtomicInteger();
                CountDownLatch pausing = new CountDownLatch(1);
                RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
                AsyncJobs.launch(waitOnFd(fd, cleanups, pausing), opts, single, obs);
                CoreTestSupport.await(pausing, "the job to set its fd");
                fd.signal();
                RecordingObserver.Call c = obs.await();
                assertThat(c.kind()).isEqualTo("success");
                assertThat(c.value()).isEqualTo("woken");
                assertThat(c.thread()).isSameAs(executorThread);
                assertThat(c.probe()).isEqualTo(1);
                single.submit(() -> { }).get(); // flush
                assertThat(obs.calls).hasSize(1);
            }
            // the executor thread got a pool of poolSize, and every slot is free
            assertThat(single.submit(() -> CoreTestSupport.pool().max).get()).isEqualTo(4);
            assertThat(single.submit(CoreTestSupport::jobsInUse).get()).isZero();
        } finally {
            single.shutdown();
            assertThat(single.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void anExecutorThatBreaksThreadConfinementFailsTheJobWhichStillFinishes() throws Exception {
        // four single-thread executors used in turn: every task lands on another thread
        List<ExecutorService> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int n = i;
            threads.add(Executors.newSingleThreadExecutor(r -> new Thread(r, name + "-rot-" + n)));
        }
        AtomicInteger next = new AtomicInteger();
        Executor rotating = task -> threads.get(next.getAndIncrement() % threads.size()).execute(task);
        try (AsyncSelector sel = AsyncSelector.open(name + "-sel")) {
            WakeupFd fd = WakeupFd.open();
            AtomicInteger cleanups = new AtomicInteger();
            CountDownLatch pausing = new CountDownLatch(1);
            AtomicReference<String> jobEnd = new AtomicReference<>();
            RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
            JobFunction<String> job = waitOnFd(fd, cleanups, pausing);
            AsyncJobs.launch(() -> {
                String r = job.run();
                jobEnd.set(r);
                return r;
            }, JobOptions.builder().placement(JobPlacement.confined(sel, 0)).build(), rotating, obs);
            CoreTestSupport.await(pausing, "the job to set its fd");
            fd.signal();
            RecordingObserver.Call c = obs.await();
            assertThat(c.kind()).isEqualTo("failure");
            assertThat(c.error()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(name + "-rot-0")
                    .hasMessageContaining("thread that")
                    .hasMessageContaining("scheduler");
            assertThat(jobEnd.get()).as("the job was finished (cancelled), not abandoned").isEqualTo("cancelled true");
            assertThat(c.probe()).as("its ctx was closed first").isEqualTo(1);
            CoreTestSupport.sleepMillis(50);
            assertThat(obs.calls).hasSize(1);
            assertThat(cleanups).hasValue(1);
        } finally {
            for (ExecutorService e : threads) {
                e.shutdown();
                assertThat(e.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    void aTicketCancelledBeforeTheJobStartsNeverRunsIt() {
        CountDownLatch release = new CountDownLatch(1);
        group.loop(0).execute(() -> CoreTestSupport.await(release, "release")); // keep the loop busy
        AtomicInteger runs = new AtomicInteger();
        RecordingObserver<String> obs = new RecordingObserver<>();
        JobTicket t = AsyncJobs.launch(() -> "ran " + runs.incrementAndGet(), options, obs);
        assertThat(t.isDone()).isFalse();
        t.cancel();
        release.countDown();
        RecordingObserver.Call c = obs.await();
        flush(group.loop(0));
        assertThat(obs.only().kind()).isEqualTo("dropped");
        assertThat(c.value()).isNull();
        assertThat(c.error()).isNull();
        assertThat(runs).hasValue(0);
        assertThat(t.isDone()).isTrue();
        assertThat(group.liveJobs()).isZero();
    }

    @Test
    void cancellingAPausedJobResumesItCancelledClosesItsCtxAndDropsItsOutcome() {
        WakeupFd fd = WakeupFd.open();
        AtomicInteger cleanups = new AtomicInteger();
        CountDownLatch pausing = new CountDownLatch(1);
        RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
        JobTicket t = AsyncJobs.launch(waitOnFd(fd, cleanups, pausing), options, obs);
        CoreTestSupport.await(pausing, "the job to set its fd");
        flush(group.loop(0));
        t.cancel();
        RecordingObserver.Call c = obs.await();
        flush(group.loop(0));
        assertThat(obs.only().kind()).isEqualTo("dropped");
        assertThat(c.value()).as("the job saw pause() == false and isCancelled()").isEqualTo("cancelled true");
        assertThat(c.error()).isNull();
        assertThat(c.probe()).isEqualTo(1);
        assertThat(c.thread()).isSameAs(group.loop(0).thread());
        assertThat(fd.channel().isOpen()).isFalse();
        assertThat(t.isDone()).isTrue();
        assertThat(group.liveJobs()).isZero();
        assertThat(CoreTestSupport.onLoop(group.loop(0), CoreTestSupport::jobsInUse)).isZero();
        t.cancel(); // idempotent, after the end
        flush(group.loop(0));
        assertThat(obs.calls).hasSize(1);
    }

    @Test
    void aJobCancelledWhileItRunsSeesFalseAtItsNextPause() {
        AtomicReference<JobTicket> ticket = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        RecordingObserver<String> obs = new RecordingObserver<>();
        ticket.set(AsyncJobs.launch(() -> {
            CoreTestSupport.await(go, "the ticket");
            ticket.get().cancel(); // cancelled while running its first segment
            boolean first = AsyncJob.pause();
            boolean second = AsyncJob.pause();
            return first + " " + second + " " + AsyncJob.current().isCancelled();
        }, options, obs));
        go.countDown();
        RecordingObserver.Call c = obs.await();
        assertThat(c.kind()).isEqualTo("dropped");
        assertThat(c.value()).isEqualTo("false false true");
    }

    @Test
    void aJobCancelledFromInsideAfterAResumeSeesFalseAtItsNextPause() {
        AtomicReference<JobTicket> ticket = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        RecordingObserver<String> obs = new RecordingObserver<>();
        ticket.set(AsyncJobs.launch(() -> {
            CoreTestSupport.await(go, "the ticket");
            AsyncJob.current().waitCtx().getCallback().onWake(null); // a yield
            boolean yielded = AsyncJob.pause();
            ticket.get().cancel();
            boolean next = AsyncJob.pause();
            return yielded + " " + next;
        }, options, obs));
        go.countDown();
        RecordingObserver.Call c = obs.await();
        assertThat(c.kind()).isEqualTo("dropped");
        assertThat(c.value()).isEqualTo("true false");
    }

    @Test
    void onAPlainFixedThreadPoolEachJobEitherFinishesOrFailsCleanlyNeverHangs() throws Exception {
        // newFixedThreadPool(4) gives no thread confinement: a resume lands on whichever worker is
        // free. Jobs resumed on their own thread finish; the others fail with the confinement
        // error and are still run to their end (cancelled). Each is told exactly once.
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> new Thread(r, name + "-fixed"));
        try (AsyncSelector sel = AsyncSelector.open(name + "-sel")) {
            int jobs = 100;
            List<WakeupFd> fds = new ArrayList<>();
            List<AtomicInteger> cleanups = new ArrayList<>();
            List<RecordingObserver<String>> obs = new ArrayList<>();
            List<AtomicReference<String>> ends = new ArrayList<>();
            CountDownLatch pausing = new CountDownLatch(jobs);
            for (int i = 0; i < jobs; i++) {
                WakeupFd fd = WakeupFd.open();
                AtomicInteger cleanup = new AtomicInteger();
                AtomicReference<String> end = new AtomicReference<>();
                RecordingObserver<String> o = new RecordingObserver<>(cleanup::get);
                JobFunction<String> job = waitOnFd(fd, cleanup, pausing);
                AsyncJobs.launch(() -> {
                    String r = job.run();
                    end.set(r);
                    return r;
                }, JobOptions.builder().placement(JobPlacement.confined(sel, 0)).build(), pool, o);
                fds.add(fd);
                cleanups.add(cleanup);
                obs.add(o);
                ends.add(end);
            }
            CoreTestSupport.await(pausing, "all jobs to set their fds");
            fds.forEach(WakeupFd::signal);
            int failed = 0;
            for (int i = 0; i < jobs; i++) {
                RecordingObserver.Call c = obs.get(i).await();
                assertThat(c.probe()).as("job %d: ctx closed first", i).isEqualTo(1);
                if (c.kind().equals("failure")) {
                    failed++;
                    assertThat(c.error()).isInstanceOf(IllegalStateException.class).hasMessageContaining("scheduler");
                    assertThat(ends.get(i).get()).as("job %d finished cancelled", i).isEqualTo("cancelled true");
                } else {
                    assertThat(c.kind()).isEqualTo("success");
                    assertThat(c.value()).isEqualTo("woken");
                }
            }
            pool.submit(() -> { }).get();
            CoreTestSupport.sleepMillis(50);
            for (int i = 0; i < jobs; i++) {
                assertThat(obs.get(i).calls).as("job %d", i).hasSize(1);
                assertThat(cleanups.get(i)).as("job %d", i).hasValue(1);
            }
            System.out.printf("fixed pool of 4: %d of %d jobs resumed on another thread and failed%n", failed, jobs);
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aThrowingJobDoesNotKillTheLoop() {
        Thread loopThread = group.loop(0).thread();
        RecordingObserver<String> failing = new RecordingObserver<>();
        Rule02JobFailureTest.CustomError error = new Rule02JobFailureTest.CustomError("job error");
        AsyncJobs.launch(() -> {
            throw error;
        }, options, failing);
        assertThat(failing.await().error()).isSameAs(error);
        RecordingObserver<String> next = new RecordingObserver<>();
        AsyncJobs.launch(() -> "still serving", options, next);
        assertThat(next.await().value()).isEqualTo("still serving");
        assertThat(next.await().thread()).isSameAs(loopThread);
        assertThat(loopThread.isAlive()).isTrue();
    }

    @Test
    void aThrowingCleanupFailsItsJobOnceAndDoesNotKillTheLoop() {
        IllegalStateException cleanupError = new IllegalStateException("cleanup fails");
        RecordingObserver<String> obs = new RecordingObserver<>();
        AtomicInteger otherCleanup = new AtomicInteger();
        try (WakeupFd a = WakeupFd.open(); WakeupFd b = WakeupFd.open()) {
            AsyncJobs.launch(() -> {
                AsyncWaitCtx c = AsyncJob.current().waitCtx();
                c.setWaitFd("other", a.channel(), null, (x, k, fd, d) -> otherCleanup.incrementAndGet());
                c.setWaitFd("bad", b.channel(), null, (x, k, fd, d) -> {
                    throw cleanupError;
                });
                return "value";
            }, options, obs);
            obs.await();
            flush(group.loop(0));
            // JobObserver: exactly one of onSuccess / onFailure / onDropped, once
            RecordingObserver.Call c = obs.only();
            assertThat(c.kind()).isEqualTo("failure");
            assertThat(c.error()).isSameAs(cleanupError);
            assertThat(otherCleanup).as("the other cleanup still ran").hasValue(1);
        }
        RecordingObserver<String> next = new RecordingObserver<>();
        AsyncJobs.launch(() -> "next", options, next);
        assertThat(next.await().value()).isEqualTo("next");
    }

    @Test
    void aFailingJobWhoseCleanupAlsoThrowsGetsOneFailureWithTheCleanupErrorSuppressed() {
        IOException jobError = new IOException("job fails");
        IllegalStateException cleanupError = new IllegalStateException("cleanup fails");
        RecordingObserver<String> obs = new RecordingObserver<>();
        try (WakeupFd fd = WakeupFd.open()) {
            AsyncJobs.launch(() -> {
                AsyncJob.current().waitCtx().setWaitFd("bad", fd.channel(), null, (x, k, ch, d) -> {
                    throw cleanupError;
                });
                throw jobError;
            }, options, obs);
            obs.await();
            flush(group.loop(0));
            RecordingObserver.Call c = obs.only();
            assertThat(c.kind()).isEqualTo("failure");
            assertThat(c.error()).isSameAs(jobError);
            assertThat(jobError.getSuppressed()).containsExactly(cleanupError);
        }
    }

    @Test
    void undeliverableErrorsGoToAsyncHooksAndTheLoopKeepsServing() {
        // 1. an observer that throws
        IllegalStateException observerError = new IllegalStateException("observer fails");
        CountDownLatch called = new CountDownLatch(1);
        AsyncJobs.launch(() -> "v", options, new JobObserver<String>() {
            @Override
            public void onSuccess(String value) {
                called.countDown();
                throw observerError;
            }

            @Override
            public void onFailure(Throwable error) {
            }
        });
        CoreTestSupport.await(called, "the throwing observer");
        flush(group.loop(0));
        assertThat(hooked).containsExactly(observerError);

        // 2. a job that fails after its ticket was cancelled: nobody wants the failure
        IOException late = new IOException("fails after cancel");
        CountDownLatch pausing = new CountDownLatch(1);
        CountDownLatch dropped = new CountDownLatch(1);
        JobTicket t = AsyncJobs.launch(() -> {
            pausing.countDown();
            AsyncJob.pause();
            throw late;
        }, options, new JobObserver<String>() {
            @Override
            public void onSuccess(String value) {
            }

            @Override
            public void onFailure(Throwable error) {
            }

            @Override
            public void onDropped(String value, Throwable error) {
                JobObserver.super.onDropped(value, error); // the default: to the hook
                dropped.countDown();
            }
        });
        CoreTestSupport.await(pausing, "the job to pause");
        t.cancel();
        CoreTestSupport.await(dropped, "onDropped");
        assertThat(hooked).containsExactly(observerError, late);

        // 3. a loop task that throws
        RuntimeException taskError = new RuntimeException("task fails");
        group.loop(0).execute(() -> {
            throw taskError;
        });
        flush(group.loop(0));
        assertThat(hooked).containsExactly(observerError, late, taskError);

        RecordingObserver<String> next = new RecordingObserver<>();
        AsyncJobs.launch(() -> "alive", options, next);
        assertThat(next.await().value()).isEqualTo("alive");
    }
}
