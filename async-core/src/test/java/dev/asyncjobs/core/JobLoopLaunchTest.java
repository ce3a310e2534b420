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
import java.util.function.Function;
import java.util.function.Supplier;
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

    /**
     * A job that waits on its own {@link WakeupFd} ({@link #waitOnFd}) and records what it returned,
     * also when its outcome is not delivered; its observer's probe is the count of cleanups run, so
     * the observer's call shows whether the ctx was closed before it.
     */
    private static final class FdJob {
        final WakeupFd fd = WakeupFd.open();
        final AtomicInteger cleanups = new AtomicInteger();
        final CountDownLatch pausing;
        final RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
        final AtomicReference<String> end = new AtomicReference<>();

        FdJob() {
            this(new CountDownLatch(1));
        }

        /** {@code pausing} is counted down once the job has set its fd (it pauses right after). */
        FdJob(CountDownLatch pausing) {
            this.pausing = pausing;
        }

        private JobFunction<String> function() {
            JobFunction<String> job = waitOnFd(fd, cleanups, pausing);
            return () -> {
                String r = job.run();
                end.set(r);
                return r;
            };
        }

        JobTicket launch(JobOptions options) {
            return AsyncJobs.launch(function(), options, obs);
        }

        JobTicket launch(JobOptions options, Executor executor) {
            return AsyncJobs.launch(function(), options, executor, obs);
        }

        void awaitPausing() {
            CoreTestSupport.await(pausing, "the job to set its fd");
        }
    }

    /** Launches {@code job} on the loop and returns once it has paused on its fd. */
    private JobTicket launchAndLetItPause(FdJob job) {
        JobTicket t = job.launch(options);
        job.awaitPausing();
        flush(group.loop(0)); // the segment that set the fd ends in the pause
        return t;
    }

    /** Waits for the observer's call, lets the loop run what it queued meanwhile, and checks it was the only one. */
    private RecordingObserver.Call onlyCall(RecordingObserver<String> obs) {
        obs.await();
        flush(group.loop(0));
        return obs.only();
    }

    /**
     * The job was told on the loop thread after its ctx closed (one cleanup, its fd closed), and left
     * nothing behind: no live job, no pool slot in use.
     */
    private void assertToldOnTheLoopAndReleased(FdJob job, RecordingObserver.Call c) {
        assertThat(c.probe()).as("cleanups run before the observer").isEqualTo(1);
        assertThat(job.cleanups).hasValue(1);
        assertThat(job.fd.channel().isOpen()).isFalse();
        assertThat(c.thread()).isSameAs(group.loop(0).thread());
        assertThat(group.liveJobs()).isZero();
        assertThat(CoreTestSupport.onLoop(group.loop(0), CoreTestSupport::jobsInUse)).isZero();
    }

    @Test
    void aValueIsDeliveredOnceOnTheLoopThread() {
        RecordingObserver<String> obs = new RecordingObserver<>();
        JobTicket t = AsyncJobs.launch(() -> "value", options, obs);
        RecordingObserver.Call c = onlyCall(obs);
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
        RecordingObserver.Call c = onlyCall(obs);
        assertThat(c.kind()).isEqualTo("failure");
        assertThat(c.error()).isSameAs(boom);
        assertThat(c.thread()).isSameAs(group.loop(0).thread());
    }

    @Test
    void aNullResultIsDeliveredAsASuccess() {
        RecordingObserver<String> obs = new RecordingObserver<>();
        AsyncJobs.launch(() -> null, options, obs);
        RecordingObserver.Call c = onlyCall(obs);
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.value()).isNull();
    }

    @Test
    void anFdMakesThePausedJobResumeOnItsLoopAndItsCleanupRunsOnceBeforeTheObserver() {
        FdJob job = new FdJob();
        JobTicket t = launchAndLetItPause(job);
        assertThat(job.obs.isCalled()).as("paused: no outcome yet").isFalse();
        assertThat(group.liveJobs()).isEqualTo(1);
        assertThat(t.isDone()).isFalse();
        job.fd.signal();
        RecordingObserver.Call c = onlyCall(job.obs);
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.value()).isEqualTo("woken");
        assertToldOnTheLoopAndReleased(job, c);
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
                FdJob job = new FdJob();
                job.launch(opts, single);
                job.awaitPausing();
                job.fd.signal();
                RecordingObserver.Call c = job.obs.await();
                assertThat(c.kind()).isEqualTo("success");
                assertThat(c.value()).isEqualTo("woken");
                assertThat(c.thread()).isSameAs(executorThread);
                assertThat(c.probe()).isEqualTo(1);
                single.submit(() -> { }).get(); // flush
                assertThat(job.obs.calls).hasSize(1);
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
            FdJob job = new FdJob();
            job.launch(JobOptions.builder().placement(JobPlacement.confined(sel, 0)).build(), rotating);
            job.awaitPausing();
            job.fd.signal();
            RecordingObserver.Call c = job.obs.await();
            assertThat(c.kind()).isEqualTo("failure");
            assertThat(c.error()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(name + "-rot-0")
                    .hasMessageContaining("thread that")
                    .hasMessageContaining("scheduler");
            assertThat(job.end.get()).as("the job was finished (cancelled), not abandoned").isEqualTo("cancelled true");
            assertThat(c.probe()).as("its ctx was closed first").isEqualTo(1);
            CoreTestSupport.sleepMillis(50);
            assertThat(job.obs.calls).hasSize(1);
            assertThat(job.cleanups).hasValue(1);
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
        RecordingObserver.Call c = onlyCall(obs);
        assertThat(c.kind()).isEqualTo("dropped");
        assertThat(c.value()).isNull();
        assertThat(c.error()).isNull();
        assertThat(runs).hasValue(0);
        assertThat(t.isDone()).isTrue();
        assertThat(group.liveJobs()).isZero();
    }

    @Test
    void cancellingAPausedJobResumesItCancelledClosesItsCtxAndDropsItsOutcome() {
        FdJob job = new FdJob();
        JobTicket t = launchAndLetItPause(job);
        t.cancel();
        RecordingObserver.Call c = onlyCall(job.obs);
        assertThat(c.kind()).isEqualTo("dropped");
        assertThat(c.value()).as("the job saw pause() == false and isCancelled()").isEqualTo("cancelled true");
        assertThat(c.error()).isNull();
        assertThat(t.isDone()).isTrue();
        assertToldOnTheLoopAndReleased(job, c);
        t.cancel(); // idempotent, after the end
        flush(group.loop(0));
        assertThat(job.obs.calls).hasSize(1);
    }

    /**
     * Launches the job {@code job} makes from a handle on its own ticket (it starts only once the
     * launch has returned the ticket), and returns the value its dropped outcome carried.
     */
    private Object droppedValueOfAJobHoldingItsTicket(Function<Supplier<JobTicket>, JobFunction<String>> job) {
        AtomicReference<JobTicket> ticket = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        RecordingObserver<String> obs = new RecordingObserver<>();
        JobFunction<String> body = job.apply(ticket::get);
        ticket.set(AsyncJobs.launch(() -> {
            CoreTestSupport.await(go, "the ticket");
            return body.run();
        }, options, obs));
        go.countDown();
        RecordingObserver.Call c = obs.await();
        assertThat(c.kind()).isEqualTo("dropped");
        return c.value();
    }

    @Test
    void aJobCancelledWhileItRunsSeesFalseAtItsNextPause() {
        assertThat(droppedValueOfAJobHoldingItsTicket(ticket -> () -> {
            ticket.get().cancel(); // cancelled while running its first segment
            boolean first = AsyncJob.pause();
            boolean second = AsyncJob.pause();
            return first + " " + second + " " + AsyncJob.current().isCancelled();
        })).isEqualTo("false false true");
    }

    @Test
    void aJobCancelledFromInsideAfterAResumeSeesFalseAtItsNextPause() {
        assertThat(droppedValueOfAJobHoldingItsTicket(ticket -> () -> {
            AsyncJob.current().waitCtx().getCallback().onWake(null); // a yield
            boolean yielded = AsyncJob.pause();
            ticket.get().cancel();
            boolean next = AsyncJob.pause();
            return yielded + " " + next;
        })).isEqualTo("true false");
    }

    @Test
    void onAPlainFixedThreadPoolEachJobEitherFinishesOrFailsCleanlyNeverHangs() throws Exception {
        // newFixedThreadPool(4) gives no thread confinement: a resume lands on whichever worker is
        // free. Jobs resumed on their own thread finish; the others fail with the confinement
        // error and are still run to their end (cancelled). Each is told exactly once.
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> new Thread(r, name + "-fixed"));
        try (AsyncSelector sel = AsyncSelector.open(name + "-sel")) {
            int jobs = 100;
            CountDownLatch pausing = new CountDownLatch(jobs);
            List<FdJob> all = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                FdJob job = new FdJob(pausing);
                job.launch(JobOptions.builder().placement(JobPlacement.confined(sel, 0)).build(), pool);
                all.add(job);
            }
            CoreTestSupport.await(pausing, "all jobs to set their fds");
            all.forEach(job -> job.fd.signal());
            int failed = 0;
            for (int i = 0; i < jobs; i++) {
                RecordingObserver.Call c = all.get(i).obs.await();
                assertThat(c.probe()).as("job %d: ctx closed first", i).isEqualTo(1);
                if (c.kind().equals("failure")) {
                    failed++;
                    assertThat(c.error()).isInstanceOf(IllegalStateException.class).hasMessageContaining("scheduler");
                    assertThat(all.get(i).end.get()).as("job %d finished cancelled", i).isEqualTo("cancelled true");
                } else {
                    assertThat(c.kind()).isEqualTo("success");
                    assertThat(c.value()).isEqualTo("woken");
                }
            }
            pool.submit(() -> { }).get();
            CoreTestSupport.sleepMillis(50);
            for (int i = 0; i < jobs; i++) {
                assertThat(all.get(i).obs.calls).as("job %d", i).hasSize(1);
                assertThat(all.get(i).cleanups).as("job %d", i).hasValue(1);
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
            // JobObserver: exactly one of onSuccess / onFailure / onDropped, once
            RecordingObserver.Call c = onlyCall(obs);
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
            RecordingObserver.Call c = onlyCall(obs);
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
