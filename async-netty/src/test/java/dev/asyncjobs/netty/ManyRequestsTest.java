package dev.asyncjobs.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.reactor.AsyncMono;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;

/**
 * 10,000 requests' jobs alive at once on two event loops, woken every way there is (device
 * threads, awaited futures, their own wait fds, cancels), twice over: everything completes, and
 * afterwards no fd, thread or job slot is left.
 */
class ManyRequestsTest {
    private static final int REQUESTS = 10_000;
    private static final int LOOPS = 2;

    @Test
    @Timeout(180)
    void tenThousandConcurrentJobsOnTheEventLoopsCompleteAndLeakNothing() throws Exception {
        // a small run first: what the JDK and Netty create once per JVM (the JDK's
        // "VirtualThread-unblocker", a socket some lazy initialization keeps) is not counted
        cycle(64);
        long fdsBefore = TestSupport.openFds();
        String fdsBeforeText = TestSupport.describeFds();
        Set<Long> threadsBefore = TestSupport.liveThreads();
        cycle(REQUESTS);
        TestSupport.awaitNoNewThreads(threadsBefore);
        TestSupport.awaitFdsBackTo(fdsBefore, fdsBeforeText);
    }

    private static void cycle(int requests) throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(LOOPS, NioIoHandler.newFactory());
        OffloadEngine engine = OffloadEngine.builder().threads(2).name("nt-many-device").build();
        ExecutorService completer = Executors.newFixedThreadPool(2);
        try {
            EventLoop[] loops = {group.next(), group.next()};
            assertThat(loops[0]).isNotSameAs(loops[1]);
            // each loop holds exactly its share: with FAIL, one slot short would fail a request,
            // and the second wave only fits if the first one freed every slot
            JobOptions options = NettyJobs.preferEventLoop(
                    JobOptions.builder().onNoJobs(NoJobsPolicy.FAIL).build(), requests / LOOPS);
            for (int wave = 0; wave < 2; wave++) {
                runWave(loops, options, engine, completer, wave, requests);
            }
        } finally {
            completer.shutdown();
            engine.close();
            assertThat(group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(30, TimeUnit.SECONDS)).isTrue();
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
        List<EventLoopJobsTest.Outcome<Integer>> outs = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            int n = i;
            EventLoopJobsTest.Outcome<Integer> out = new EventLoopJobsTest.Outcome<>();
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
        TestSupport.await(() -> subscribedCount.get() == requests, () -> "all subscribed");
        TestSupport.await(() -> started.get() == requests, () -> "wave " + wave + ": all " + requests
                + " jobs alive at once, started " + started);
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
        TestSupport.await(() -> cleanups.get() == fds.size(), () -> "every fd job's ctx closed: " + cleanups);
    }

    private static void subscribed(AtomicReferenceArray<Disposable> subs, int i, AtomicInteger count, Disposable d) {
        subs.set(i, d);
        count.incrementAndGet();
    }
}
