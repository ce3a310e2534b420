package dev.asyncjobs.netty;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.reactor.AsyncMono;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import reactor.blockhound.BlockHound;
import reactor.core.Disposable;

/**
 * Run in a JVM of its own by {@link EventLoopBlockHoundTest}: installs BlockHound with the
 * ServiceLoader integrations (Netty's marks its event loops non-blocking, asyncjobs' allows only its
 * fibre hand-off), runs jobs on NIO event loops through every way they are woken (device threads,
 * awaited futures, their own fds, cancels), and exits 0 only if nothing blocking ran on an event
 * loop, and a control job that does park on an event loop is caught.
 */
final class EventLoopBlockHoundCheck {
    private static final int REQUESTS = 2_000;

    private EventLoopBlockHoundCheck() {
    }

    public static void main(String[] args) throws Exception {
        AsyncJob.backend(); // its probe logs in a static initializer (reads logging.properties): not the subject
        // Reactor's first subscribe initializes context-propagation's registry, which reads its
        // service files from the jars: one-time class loading, not what is checked here
        reactor.core.publisher.Mono.just(1).subscribe();
        List<String> reports = new CopyOnWriteArrayList<>();
        BlockHound.builder().loadIntegrations()
                .blockingMethodCallback(m -> {
                    java.io.StringWriter trace = new java.io.StringWriter();
                    new Throwable().printStackTrace(new java.io.PrintWriter(trace));
                    reports.add(Thread.currentThread().getName() + ": " + m + "\n" + trace);
                })
                .install();
        int failures = 0;
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try (OffloadEngine engine = OffloadEngine.builder().name("bh-device").threads(2).queueCapacity(4).build()) {
            List<CompletableFuture<Object>> all = new ArrayList<>();
            // by request number: the subscriptions are made on two event loops, in no fixed order
            AtomicReferenceArray<Disposable> subs = new AtomicReferenceArray<>(REQUESTS);
            CompletableFuture<Integer> later = new CompletableFuture<>();
            for (int i = 0; i < REQUESTS; i++) {
                int n = i;
                CompletableFuture<Object> f = new CompletableFuture<>();
                all.add(f);
                EventLoop loop = group.next();
                loop.execute(() -> subs.set(n, AsyncMono.fromJob(() -> {
                    int sum = 0;
                    for (int k = 0; k < 2; k++) {
                        sum += engine.call(() -> {
                            LockSupport.parkNanos(10_000); // the device may block: it is the device
                            return n;
                        });
                    }
                    if (n % 3 == 0) {
                        sum += AsyncJob.await(later.thenApply(x -> x));
                    }
                    if (n % 10 == 1) {
                        try (WakeupFd fd = WakeupFd.open()) {
                            AsyncJob.current().waitCtx().setWaitFd("fd", fd.channel(), null, null);
                            engine.call(() -> {
                                fd.signal();
                                return null;
                            });
                            while (!fd.drain()) {
                                AsyncJob.pauseOrThrow();
                            }
                            AsyncJob.current().waitCtx().clearFd("fd");
                        }
                    }
                    return sum;
                }, NettyJobs.eventLoopOptions()).subscribe(f::complete, f::completeExceptionally, () -> f.complete(null))));
            }
            Thread.sleep(50);
            for (int i = 0; i < REQUESTS; i += 7) {
                Disposable d = subs.get(i);
                if (d != null) {
                    d.dispose(); // some are paused, some done: a cancel is harmless either way
                }
            }
            later.complete(0);
            // one deadline for all: a request disposed before its value never completes its future
            // (Reactor signals nothing after a cancel), so it is skipped, not waited for
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int i = 0; i < all.size(); i++) {
                if (!all.get(i).isDone() && isCancelled(i, subs)) {
                    continue;
                }
                try {
                    Object v = all.get(i).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (v != null && !Integer.valueOf(2 * i).equals(v)) {
                        failures++;
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    failures++;
                    System.out.println("request " + i + " timed out");
                }
            }
            if (!reports.isEmpty() || failures > 0) {
                System.out.println("BLOCKING on event loops (" + reports.size() + "), failures " + failures);
                reports.stream().limit(5).forEach(System.out::println);
                System.exit(1);
            }
            // control: BlockHound is really watching the event loops
            CompletableFuture<Object> control = new CompletableFuture<>();
            group.next().execute(() -> AsyncMono.fromJob(() -> {
                LockSupport.parkNanos(1_000_000);
                return 1;
            }, NettyJobs.eventLoopOptions()).subscribe(control::complete, control::completeExceptionally));
            try {
                control.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // BlockHound's default would throw; our callback only records
            }
            if (reports.isEmpty()) {
                System.out.println("CONTROL NOT CAUGHT: BlockHound is not active on the event loops");
                System.exit(2);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        System.out.println("OK " + AsyncJob.backend() + ", control caught: " + reports.get(0).lines().findFirst().orElse(""));
        System.exit(0);
    }

    private static boolean isCancelled(int i, AtomicReferenceArray<Disposable> subs) {
        Disposable d = subs.get(i);
        return d != null && d.isDisposed();
    }
}
