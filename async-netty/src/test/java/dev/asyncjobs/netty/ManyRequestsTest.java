package dev.asyncjobs.netty;

import static dev.asyncjobs.netty.TestSupport.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.netty.TestSupport.Outcome;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;

/**
 * 10,000 requests' jobs alive at once on two event loops, woken every way there is (device
 * threads, awaited futures, their own wait fds, cancels), twice over: everything completes, and
 * afterwards no fd, thread or job slot is left. On NIO the loops' own selectors watch the fds, on
 * epoll the fallback selector does.
 */
class ManyRequestsTest {
    private static final int REQUESTS = 10_000;
    private static final int LOOPS = 2;

    @Test
    @Timeout(180)
    void tenThousandConcurrentJobsOnTheEventLoopsCompleteAndLeakNothing() throws Exception {
        leavesNothingBehind(NioIoHandler::newFactory, false);
    }

    @Test
    @Timeout(180)
    void theSameOnEpollWhereTheFallbackSelectorWatchesTheFds() throws Exception {
        assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
        leavesNothingBehind(EpollIoHandler::newFactory, true);
    }

    private static void leavesNothingBehind(Supplier<IoHandlerFactory> transport, boolean fallback) throws Exception {
        // a small run first: what the JDK and Netty create once per JVM (the JDK's
        // "VirtualThread-unblocker", a socket some lazy initialization keeps) is not counted
        cycle(64, transport, fallback);
        int fdsBefore = Fds.count();
        List<String> fdsBeforeList = Fds.targets();
        Set<Thread> threadsBefore = Threads.live();
        cycle(REQUESTS, transport, fallback);
        Threads.awaitNoneStartedSince("after " + REQUESTS + " requests", threadsBefore, Threads.NONE, WAIT);
        Fds.awaitAtMost("after " + REQUESTS + " requests (open before: " + fdsBeforeList + ")", fdsBefore, WAIT);
    }

    /**
     * Two waves of {@code requests} on a new group of {@code transport}; with {@code fallback}, the
     * fds of its jobs are watched by a selector of the cycle's own (closed at its end, so a thread
     * or fd it kept would count as a leak).
     */
    private static void cycle(int requests, Supplier<IoHandlerFactory> transport, boolean fallback) throws Exception {
        MultiThreadIoEventLoopGroup group = TestSupport.group(LOOPS, transport.get());
        OffloadEngine engine = OffloadEngine.builder().threads(2).name("nt-many-device").build();
        ExecutorService completer = Executors.newFixedThreadPool(2);
        AsyncSelector selector = fallback ? AsyncSelector.open("nt-many-fallback") : null;
        try {
            EventLoop[] loops = {group.next(), group.next()};
            assertThat(loops[0]).isNotSameAs(loops[1]);
            assertThat(NettyJobs.watchesFdsOnLoop(loops[0])).as("the loop's own selector watches fds").isEqualTo(!fallback);
            // each loop holds exactly its share: with FAIL, one slot short would fail a request,
            // and the second wave only fits if the first one freed every slot
            JobOptions options = selector == null
                    ? NettyJobs.preferEventLoop(JobOptions.builder().onNoJobs(NoJobsPolicy.FAIL).build(), requests / LOOPS)
                    : TestSupport.preferEventLoop(selector, requests / LOOPS).onNoJobs(NoJobsPolicy.FAIL).build();
            for (int wave = 0; wave < 2; wave++) {
                runWave(loops, options, engine, completer, wave, requests);
            }
        } finally {
            completer.shutdown();
            engine.close();
            TestSupport.shutdown(group);
            if (selector != null) {
                selector.close();
            }
            assertThat(completer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static void runWave(EventLoop[] loops, JobOptions options, OffloadEngine engine, ExecutorService completer,
            int wave, int requests) throws Exception {
        CompletableFuture<Integer> release = new CompletableFuture<>();
        AtomicInteger started = new AtomicInteger();
        AtomicInteger subscribedCount = new AtomicInteger();
        AtomicInteger cleanups = new AtomicInteger();
        Queue<WakeupFd> fds = new ConcurrentLinkedQueue<>();
        AtomicReferenceArray<Disposable> subs = new AtomicReferenceArray<>(requests);
        List<Outcome<Integer>> outs = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            int n = i;
            Outcome<Integer> out = new Outcome<>();
            outs.add(out);
            loops[i % LOOPS].execute(() -> subscribed(subs, n, subscribedCount, out.subscribe(AsyncMono.fromJob(() -> {
                started.incrementAndGet();
                switch (n % 8) {
                    case 0, 4 -> {
                        int r = AsyncJob.await(release);
                        return engine.call(() -> r + n); // a device thread's completion
                    }
                    case 1, 5 -> {
                        // completed on another thread
                        return AsyncJob.await(release.thenApplyAsync(r -> r + n, completer));
                    }
                    case 2 -> {
                        WakeupFd fd = WakeupFd.open();
                        AsyncJob.current().waitCtx().setWaitFd("fd", fd.channel(), null, (c, k, ch, d) -> {
                            cleanups.incrementAndGet();
                            fd.close();
                        });
                        fds.add(fd);
                        while (!fd.drain()) {
                            AsyncJob.pauseOrThrow(); // the loop's own selector wakes it
                        }
                        return release.join() + n;
                    }
                    case 3, 7 -> {
                        // cancelled below while it waits (a stage of its own: the cancel cancels it)
                        return AsyncJob.await(release.thenApply(r -> r + n));
                    }
                    default -> {
                        // completed on the job's own loop
                        CompletableFuture<Integer> later = new CompletableFuture<>();
                        loops[n % LOOPS].execute(() -> release.thenAccept(r -> later.complete(r + n)));
                        return AsyncJob.await(later);
                    }
                }
            }, options))));
        }
        Await.until("all subscribed", WAIT, () -> subscribedCount.get() == requests);
        Await.until(() -> "wave " + wave + ": all " + requests
                + " jobs alive at once, started " + started, WAIT, () -> started.get() == requests);
        for (int i = 0; i < requests; i++) {
            if (i % 8 == 3 || i % 8 == 7) {
                Disposable d = subs.get(i);
                d.dispose();
            }
        }
        release.complete(wave * 1_000_000);
        for (WakeupFd fd : fds) {
            fd.signal();
        }
        for (int i = 0; i < requests; i++) {
            if (i % 8 == 3 || i % 8 == 7) {
                continue;
            }
            assertThat(outs.get(i).get()).as("request %d of wave %d", i, wave).isEqualTo(wave * 1_000_000 + i);
            assertThat(loops[i % LOOPS].inEventLoop(outs.get(i).signalThread)).isTrue();
        }
        for (int i = 3; i < requests; i += 4) {
            assertThat(outs.get(i).value).as("a cancelled request signals nothing").isNotDone();
        }
        Await.until(() -> "every fd job's ctx closed: " + cleanups, WAIT, () -> cleanups.get() == fds.size());
    }

    private static void subscribed(AtomicReferenceArray<Disposable> subs, int i, AtomicInteger count, Disposable d) {
        subs.set(i, d);
        count.incrementAndGet();
    }
}
