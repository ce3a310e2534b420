package dev.asyncjobs.netty;

import static dev.asyncjobs.netty.TestSupport.CONTINUATION;
import static dev.asyncjobs.netty.TestSupport.WAIT;
import static dev.asyncjobs.netty.TestSupport.onLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.netty.TestSupport.Outcome;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.testsupport.Await;
import io.micrometer.context.ContextRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;
import reactor.util.context.Context;

/**
 * Jobs launched on a Netty event loop start there inline and are resumed there, whatever wakes
 * them; launched anywhere else they run on the job loops. Cancellation, slots and context behave as
 * on the job loops.
 */
@Timeout(60)
class EventLoopJobsTest {
    private MultiThreadIoEventLoopGroup group;

    @BeforeEach
    void setUp() {
        group = TestSupport.group(2, NioIoHandler.newFactory());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        TestSupport.shutdown(group);
    }

    @Test
    void aJobSubscribedOnAnEventLoopStartsOnThatLoopAndSignalsThere() throws Exception {
        EventLoop loop = group.next();
        Outcome<Integer> out = new Outcome<>();
        AtomicBoolean onLoopInside = new AtomicBoolean();
        AtomicReference<Boolean> ranInSubscribe = new AtomicReference<>();
        onLoop(loop, () -> {
            AtomicBoolean ran = new AtomicBoolean();
            out.subscribe(AsyncMono.fromJob(() -> {
                ran.set(true);
                onLoopInside.set(loop.inEventLoop());
                return 42;
            }, NettyJobs.eventLoopOptions()));
            // a task of its own on this loop, right behind this one (see the monitor test below)
            ranInSubscribe.set(ran.get());
            return null;
        });
        assertThat(out.get()).isEqualTo(42);
        assertThat(ranInSubscribe.get()).isFalse();
        assertThat(loop.inEventLoop(out.signalThread)).isTrue();
        if (CONTINUATION) {
            assertThat(onLoopInside).isTrue(); // the body ran on the loop thread itself
        }
    }

    @Test
    void theStartIsTheLoopsNextTaskWithNoOtherThreadInBetween() throws Exception {
        // Zero hops: the start is queued on the subscribing loop itself, so it runs before any task
        // queued there after the subscribe. Started through any other thread (the job loops), it
        // would race that task, and the job's first line would run after it in some rounds.
        EventLoop loop = group.next();
        for (int i = 0; i < 1_000; i++) {
            List<String> order = new CopyOnWriteArrayList<>();
            Outcome<Integer> out = new Outcome<>();
            int n = i;
            onLoop(loop, () -> {
                out.subscribe(AsyncMono.fromJob(() -> {
                    order.add("job");
                    return n;
                }, NettyJobs.eventLoopOptions()));
                loop.execute(() -> order.add("next task"));
                return null;
            });
            assertThat(out.get()).isEqualTo(n);
            TestSupport.drain(loop);
            assertThat(order).as("round %d", i).containsExactly("job", "next task");
            assertThat(loop.inEventLoop(out.signalThread)).isTrue();
        }
    }

    @Test
    void onANettyExecutorThatIsNotAnEventLoopTheJobRunsOnTheJobLoops() throws Exception {
        // Netty records every executor thread it runs (ThreadExecutorMap), not only event loops:
        // one without an I/O handler cannot watch fds, so it is not taken for a host
        DefaultEventExecutor executor = new DefaultEventExecutor();
        try (JobLoopGroup loops = JobLoopGroup.builder().threads(1).name("asyncjobs-loop-not-io").build()) {
            JobOptions options = NettyJobs.preferEventLoop(JobOptions.builder().loops(loops).build(), 0);
            assertThat(executor.submit(() -> NettyJobs.currentEventLoop().current()).get(WAIT.toSeconds(),
                    TimeUnit.SECONDS)).isNull();
            assertThat(onLoop(group.next(), () -> NettyJobs.currentEventLoop().current())).isNotNull();
            Outcome<String> out = new Outcome<>();
            CompletableFuture<String> gate = new CompletableFuture<>();
            executor.submit(() -> out.subscribe(AsyncMono.fromJob(() -> AsyncJob.await(gate), options)))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            gate.complete("x");
            assertThat(out.get()).isEqualTo("x");
            assertThat(out.signalThread.getName()).startsWith("asyncjobs-loop-not-io");
        } finally {
            assertThat(executor.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isTrue();
        }
    }

    @Test
    void aSubscribeUnderAMonitorLeavesTheMonitorIntact() throws Exception {
        // Frameworks may subscribe while holding a monitor. A continuation that pauses carries the
        // monitors of the thread that runs it with it (JDK 25): started inline there, the job
        // would take the caller's monitor away (IllegalMonitorStateException here once the loop
        // is compiled, a JVM crash under load in WebFlux), so the start is a task of its own.
        EventLoop loop = group.next();
        Object lock = new Object();
        int rounds = 20_000;
        AtomicInteger sum = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        onLoop(loop, () -> {
            for (int i = 0; i < rounds; i++) {
                CompletableFuture<Integer> gate = new CompletableFuture<>();
                synchronized (lock) {
                    AsyncMono.fromJob(() -> AsyncJob.await(gate), NettyJobs.eventLoopOptions()).subscribe(v -> {
                        sum.addAndGet(v);
                        done.incrementAndGet();
                    });
                }
                gate.complete(1);
            }
            return null;
        });
        Await.until(() -> "all done, " + done, WAIT, () -> done.get() == rounds);
        assertThat(sum).hasValue(rounds);
        assertThat(onLoop(loop, () -> {
            synchronized (lock) {
                return Thread.holdsLock(lock);
            }
        })).isTrue();
    }

    @Test
    void offTheEventLoopTheJobRunsOnTheJobLoops() throws Exception {
        try (JobLoopGroup loops = JobLoopGroup.builder().threads(1).name("asyncjobs-loop-fallback").build()) {
            JobOptions options = NettyJobs.preferEventLoop(JobOptions.builder().loops(loops).build(), 0);
            Outcome<String> out = new Outcome<>();
            out.subscribe(AsyncMono.fromJob(() -> AsyncJob.await(CompletableFuture.supplyAsync(() -> "x")), options));
            assertThat(out.get()).isEqualTo("x");
            assertThat(out.signalThread.getName()).startsWith("asyncjobs-loop-fallback");
        }
    }

    @Test
    void resumesOnTheSameLoopAfterEachDeviceCall() throws Exception {
        try (OffloadEngine engine = OffloadEngine.builder().threads(2).name("nt-device").build()) {
            List<Outcome<Integer>> outs = new ArrayList<>();
            List<EventLoop> where = new ArrayList<>();
            List<String> notOnLoop = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 200; i++) {
                EventLoop loop = group.next();
                Outcome<Integer> out = new Outcome<>();
                outs.add(out);
                where.add(loop);
                int n = i;
                loop.execute(() -> out.subscribe(AsyncMono.fromJob(() -> {
                    int sum = 0;
                    for (int k = 0; k < 3; k++) {
                        sum += engine.call(() -> {
                            if (!OffloadEngine.isDeviceThread()) {
                                notOnLoop.add("work not on a device thread");
                            }
                            return n;
                        });
                        if (CONTINUATION && !loop.inEventLoop()) {
                            notOnLoop.add("segment " + k + " of job " + n + " on " + Thread.currentThread());
                        }
                    }
                    return sum;
                }, NettyJobs.eventLoopOptions())));
            }
            for (int i = 0; i < outs.size(); i++) {
                assertThat(outs.get(i).get()).isEqualTo(3 * i);
                assertThat(where.get(i).inEventLoop(outs.get(i).signalThread)).as("job %d signalled on its loop", i).isTrue();
            }
            assertThat(notOnLoop).isEmpty();
        }
    }

    @Test
    void resumesOnTheSameLoopFromAnAwaitedFuture() throws Exception {
        EventLoop loop = group.next();
        CompletableFuture<String> fromOtherThread = new CompletableFuture<>();
        CompletableFuture<String> fromSameLoop = new CompletableFuture<>();
        CompletableFuture<String> failing = new CompletableFuture<>();
        Outcome<String> out = new Outcome<>();
        List<Boolean> onLoopAfterResume = new CopyOnWriteArrayList<>();
        onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
            String a = AsyncJob.await(fromOtherThread);
            onLoopAfterResume.add(loop.inEventLoop());
            loop.schedule(() -> fromSameLoop.complete("b"), 1, TimeUnit.MILLISECONDS);
            String b = AsyncJob.await(fromSameLoop);
            onLoopAfterResume.add(loop.inEventLoop());
            try {
                AsyncJob.await(failing);
                return "not reached";
            } catch (IOException e) {
                return a + b + e.getMessage(); // the failure comes unwrapped
            }
        }, NettyJobs.eventLoopOptions())));
        assertThat(out.value).isNotDone();
        Thread t = new Thread(() -> fromOtherThread.complete("a"));
        t.start();
        t.join();
        Await.until("both awaits resumed", WAIT, () -> onLoopAfterResume.size() == 2);
        failing.completeExceptionally(new IOException("c"));
        assertThat(out.get()).isEqualTo("abc");
        assertThat(loop.inEventLoop(out.signalThread)).isTrue();
        if (CONTINUATION) {
            assertThat(onLoopAfterResume).containsExactly(true, true);
        }
    }

    @Test
    void cancelWhilePausedResumesTheJobCancelledOnItsLoop() throws Exception {
        for (boolean fromLoop : new boolean[] {true, false}) {
            EventLoop loop = group.next();
            CompletableFuture<String> never = new CompletableFuture<>();
            AtomicInteger cleanups = new AtomicInteger();
            AtomicReference<Throwable> seenByJob = new AtomicReference<>();
            AtomicReference<Thread> endedOn = new AtomicReference<>();
            CompletableFuture<Void> ended = new CompletableFuture<>();
            AtomicBoolean signalled = new AtomicBoolean();
            CompletableFuture<Void> startedJob = new CompletableFuture<>();
            WakeupFd fd = WakeupFd.open();
            Disposable d = onLoop(loop, () -> AsyncMono.fromJob(() -> {
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                ctx.setWaitFd("fd", fd.channel(), null, (c, k, ch, data) -> {
                    cleanups.incrementAndGet();
                    fd.close();
                });
                try {
                    startedJob.complete(null);
                    return AsyncJob.await(never);
                } catch (CancellationException e) {
                    seenByJob.set(e);
                    throw e;
                } finally {
                    endedOn.set(loop.inEventLoop() ? Thread.currentThread() : null);
                    ended.complete(null);
                }
            }, NettyJobs.eventLoopOptions()).subscribe(v -> signalled.set(true), e -> signalled.set(true)));
            startedJob.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            Await.until("the job awaits", WAIT, () -> never.getNumberOfDependents() > 0);
            assertThat(ended).isNotDone();
            if (fromLoop) {
                onLoop(loop, () -> {
                    d.dispose();
                    return null;
                });
            } else {
                d.dispose();
            }
            ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(seenByJob.get()).as("fromLoop=%s", fromLoop).isInstanceOf(CancellationException.class);
            assertThat(never).isCancelled();
            Await.until(() -> "the ctx closed once, cleanups " + cleanups, WAIT, () -> cleanups.get() == 1);
            assertThat(fd.channel().isOpen()).isFalse();
            assertThat(signalled).as("no signal after a cancel").isFalse();
            if (CONTINUATION) {
                assertThat(endedOn.get()).isNotNull();
            }
        }
    }

    @Test
    void poolSizeLimitsJobsPerLoopAndWaitersGetSlotsInOrder() throws Exception {
        MultiThreadIoEventLoopGroup one = TestSupport.group(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = one.next();
            JobOptions options = NettyJobs.preferEventLoop(JobOptions.defaults(), 2);
            List<CompletableFuture<Integer>> gates = new ArrayList<>();
            List<Integer> started = new CopyOnWriteArrayList<>();
            List<Outcome<Integer>> outs = new ArrayList<>();
            List<Disposable> subs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                CompletableFuture<Integer> gate = new CompletableFuture<>();
                gates.add(gate);
                Outcome<Integer> out = new Outcome<>();
                outs.add(out);
                subs.add(onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                    started.add(n);
                    return AsyncJob.await(gate);
                }, options))));
            }
            assertThat(started).containsExactly(0, 1);
            subs.get(3).dispose(); // a waiter cancelled: it never starts
            gates.get(0).complete(0);
            Await.until(() -> "job 2 started, " + started, WAIT, () -> started.size() == 3);
            gates.get(1).complete(1);
            Await.until(() -> "job 4 started, " + started, WAIT, () -> started.size() == 4);
            assertThat(started).containsExactly(0, 1, 2, 4);
            gates.get(2).complete(2);
            gates.get(4).complete(4);
            for (int i : new int[] {0, 1, 2, 4}) {
                assertThat(outs.get(i).get()).isEqualTo(i);
            }
            assertThat(outs.get(3).value).isNotDone();
            assertThat(gates.get(3)).isNotDone(); // its job never ran
        } finally {
            TestSupport.shutdown(one);
        }
    }

    @Test
    void noJobsFailPolicyFailsAtOnceOnAFullLoop() throws Exception {
        MultiThreadIoEventLoopGroup one = TestSupport.group(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = one.next();
            JobOptions options = NettyJobs.preferEventLoop(
                    JobOptions.builder().onNoJobs(NoJobsPolicy.FAIL).build(), 1);
            CompletableFuture<Integer> gate = new CompletableFuture<>();
            Outcome<Integer> first = new Outcome<>();
            Outcome<Integer> second = new Outcome<>();
            onLoop(loop, () -> first.subscribe(AsyncMono.fromJob(() -> AsyncJob.await(gate), options)));
            onLoop(loop, () -> second.subscribe(AsyncMono.fromJob(() -> 2, options)));
            assertThatThrownBy(second::get).hasCauseInstanceOf(RejectedExecutionException.class);
            gate.complete(1);
            assertThat(first.get()).isEqualTo(1);
            Outcome<Integer> third = new Outcome<>();
            onLoop(loop, () -> third.subscribe(AsyncMono.fromJob(() -> 3, options)));
            assertThat(third.get()).as("the slot was freed").isEqualTo(3);
        } finally {
            TestSupport.shutdown(one);
        }
    }

    @Test
    void contextFollowsTheJobAcrossResumesOnTheLoop() throws Exception {
        String key = "asyncjobs.netty.test.tenant";
        ThreadLocal<String> tenant = new ThreadLocal<>();
        ContextRegistry.getInstance().registerThreadLocalAccessor(key, tenant);
        Hooks.enableAutomaticContextPropagation();
        try {
            EventLoop loop = group.next();
            CompletableFuture<String> gate = new CompletableFuture<>();
            Outcome<String> out = new Outcome<>();
            onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                String before = tenant.get();
                String v = AsyncJob.await(gate);
                return before + "/" + tenant.get() + "/" + v;
            }, NettyJobs.eventLoopOptions()).contextWrite(Context.of(key, "t1"))));
            assertThat(onLoop(loop, tenant::get)).as("the loop's own value is back while the job waits").isNull();
            gate.complete("v");
            assertThat(out.get()).isEqualTo("t1/t1/v");
            assertThat(onLoop(loop, tenant::get)).isNull();
        } finally {
            Hooks.disableAutomaticContextPropagation();
            ContextRegistry.getInstance().removeThreadLocalAccessor(key);
        }
    }

    @Test
    void nullArgumentsAreNamed() {
        assertThatThrownBy(() -> NettyJobs.preferEventLoop(null, 0)).isInstanceOf(NullPointerException.class)
                .hasMessage("options");
        assertThatThrownBy(() -> NettyJobs.currentEventLoop(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("fallback");
        assertThatThrownBy(() -> NettyJobs.watchesFdsOnLoop(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("loop");
        assertThatThrownBy(() -> NettyJobs.placement(0, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("fallback");
    }

    @Test
    void thePlacementIsExplicitAndAContradictionIsRefused() {
        try (JobLoopGroup loops = JobLoopGroup.builder().threads(1).name("asyncjobs-loop-placement").build()) {
            JobOptions options = NettyJobs.preferEventLoop(
                    JobOptions.builder().loops(loops).onNoJobs(NoJobsPolicy.FAIL).build(), 5);
            JobPlacement p = options.placement();
            assertThat(p.hostLookup()).isSameAs(NettyJobs.currentEventLoop());
            assertThat(p.poolSize()).as("each event loop's pool").isEqualTo(5);
            assertThat(p.loops()).as("the options' loops stay the fallback").isSameAs(loops);
            assertThat(options.onNoJobs()).isEqualTo(NoJobsPolicy.FAIL);
            assertThat(NettyJobs.preferEventLoop(options, 2).placement().loops()).isSameAs(loops);
            assertThat(NettyJobs.eventLoopOptions().placement().poolSize()).isZero();
            assertThat(NettyJobs.eventLoopOptions().placement().loops()).isSameAs(JobLoopGroup.shared());
            JobOptions confined = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 4)).build();
            assertThatThrownBy(() -> NettyJobs.preferEventLoop(confined, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("confined");
            assertThatThrownBy(() -> NettyJobs.preferEventLoop(options, -1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("poolSize");
            // a confined scheduler with a host placement is a contradiction too, never ignored
            assertThatThrownBy(() -> AsyncMono.fromJob(() -> 1, options, reactor.core.scheduler.Schedulers.single()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("preferHost");
        }
    }
}
