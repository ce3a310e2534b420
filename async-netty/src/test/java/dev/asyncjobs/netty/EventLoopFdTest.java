package dev.asyncjobs.netty;

import static dev.asyncjobs.netty.TestSupport.CONTINUATION;
import static dev.asyncjobs.netty.TestSupport.WAIT;
import static dev.asyncjobs.netty.TestSupport.group;
import static dev.asyncjobs.netty.TestSupport.onLoop;
import static dev.asyncjobs.netty.TestSupport.onLoopUnchecked;
import static dev.asyncjobs.netty.TestSupport.shutdown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.netty.TestSupport.Outcome;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Pipes;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wait fds of jobs on event loops: on NIO the loop's own selector watches them (no other thread),
 * on epoll an {@link AsyncSelector} does; a closed or unusable fd wakes its job, and a loop that
 * shuts down wakes its paused jobs instead of stranding them.
 */
@Timeout(60)
class EventLoopFdTest {
    /** A job that pauses {@code rounds} times on its wait fd and counts its resumes. */
    static final class FdJob {
        final WakeupFd fd = WakeupFd.open();
        final AtomicInteger paused = new AtomicInteger();
        final AtomicInteger cleanups = new AtomicInteger();
        final List<Boolean> resumedOnLoop = new CopyOnWriteArrayList<>();
        final EventLoop loop;

        FdJob(EventLoop loop) {
            this.loop = loop;
        }

        JobFunction<Integer> body(int rounds) {
            return () -> {
                AsyncJob.current().waitCtx().setWaitFd("fd", fd.channel(), null, (c, k, ch, d) -> {
                    cleanups.incrementAndGet();
                    fd.close();
                });
                int woken = 0;
                while (woken < rounds) {
                    paused.incrementAndGet();
                    AsyncJob.pauseOrThrow();
                    if (fd.drain()) {
                        woken++;
                        resumedOnLoop.add(loop.inEventLoop());
                    }
                }
                return woken;
            };
        }

        /** Runs the job on its loop and wakes it three times through its fd: it resumes there each time. */
        void wakeThreeTimes(JobOptions options) throws Exception {
            Outcome<Integer> out = new Outcome<>();
            onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(body(3), options)));
            for (int i = 1; i <= 3; i++) {
                int round = i;
                Await.until(() -> "pause " + round, WAIT, () -> paused.get() >= round);
                fd.signal();
            }
            assertThat(out.get()).isEqualTo(3);
            assertThat(loop.inEventLoop(out.signalThread)).isTrue();
            if (CONTINUATION) {
                assertThat(resumedOnLoop).containsOnly(true);
            }
            assertThat(cleanups).hasValue(1);
        }
    }

    @Test
    void onNioTheLoopsOwnSelectorWakesTheJobWithTheFdRegisteredOnce() throws Exception {
        MultiThreadIoEventLoopGroup g = group(1, NioIoHandler.newFactory());
        AsyncSelector closed = AsyncSelector.open("netty-test-unused");
        closed.close(); // a watch through it would throw: proves the fallback is never used on NIO
        try {
            EventLoop loop = g.next();
            assertThat(NettyJobs.watchesFdsOnLoop(loop)).isTrue();
            new FdJob(loop).wakeThreeTimes(TestSupport.preferEventLoop(closed, 0).build());
            NioFdWatcher w = onLoop(loop, EventLoopLookup::watcherHere);
            assertThat(w).isNotNull();
            assertThat(onLoop(loop, w::registrations)).as("one registration for three pauses")
                    .isEqualTo(1L);
            // the fd was closed by its cleanup: the sweep drops the handle
            Await.until("handles dropped", WAIT, () -> onLoopUnchecked(loop, w::registered) == 0);
        } finally {
            shutdown(g);
        }
    }

    @Test
    void manyJobsSharingOneFdAreAllWokenByIt() throws Exception {
        MultiThreadIoEventLoopGroup g = group(1, NioIoHandler.newFactory());
        try (WakeupFd shared = WakeupFd.open()) {
            EventLoop loop = g.next();
            CompletableFuture<Void> go = new CompletableFuture<>();
            List<Outcome<String>> outs = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 50; i++) {
                Outcome<String> out = new Outcome<>();
                outs.add(out);
                onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                    AsyncJob.current().waitCtx().setWaitFd("shared", shared.channel(), null, null);
                    while (!go.isDone()) {
                        AsyncJob.pauseOrThrow(); // level-triggered: the fd stays readable once signalled
                    }
                    return "ok";
                }, NettyJobs.eventLoopOptions())));
            }
            go.complete(null);
            shared.signal();
            for (Outcome<String> out : outs) {
                assertThat(out.get()).isEqualTo("ok");
            }
            NioFdWatcher w = onLoop(loop, EventLoopLookup::watcherHere);
            assertThat(onLoop(loop, w::registrations)).isEqualTo(1L);
            // nobody waits on the open fd any more: dropped after a sweep with no arm
            Await.until("idle handle dropped", WAIT, () -> onLoopUnchecked(loop, w::registered) == 0);
        } finally {
            shutdown(g);
        }
    }

    @Test
    void jobsOfTwoLookupsOnOneLoopShareItsSelectorRegistrationAndBothWake() throws Exception {
        // A selector holds one key per channel: a second registration of the same channel would
        // replace the first one's attachment and its job would never hear of the fd. So every
        // lookup (the shared one, one with its own fallback selector) uses the loop's one watcher.
        MultiThreadIoEventLoopGroup g = group(1, NioIoHandler.newFactory());
        try (WakeupFd shared = WakeupFd.open();
                AsyncSelector secondSelector = AsyncSelector.open("netty-test-second-lookup")) {
            EventLoop loop = g.next();
            JobOptions second = TestSupport.preferEventLoop(secondSelector, 0).build();
            AtomicInteger paused = new AtomicInteger();
            List<Outcome<String>> outs = new CopyOnWriteArrayList<>();
            for (JobOptions options : List.of(NettyJobs.eventLoopOptions(), second)) {
                Outcome<String> out = new Outcome<>();
                outs.add(out);
                onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                    AsyncJob.current().waitCtx().setWaitFd("shared", shared.channel(), null, null);
                    paused.incrementAndGet();
                    AsyncJob.pauseOrThrow(); // only the fd (or a cancel) wakes it
                    return "woken";
                }, options)));
            }
            Await.until(() -> "both jobs paused, " + paused, WAIT, () -> paused.get() == 2);
            TestSupport.drain(loop);
            assertThat(outs.get(0).value).isNotDone();
            assertThat(outs.get(1).value).isNotDone();
            shared.signal();
            for (Outcome<String> out : outs) {
                assertThat(out.get()).isEqualTo("woken");
                assertThat(loop.inEventLoop(out.signalThread)).isTrue();
            }
            NioFdWatcher w = onLoop(loop, EventLoopLookup::watcherHere);
            assertThat(onLoop(loop, w::registrations)).as("one registration for both lookups").isEqualTo(1L);
        } finally {
            shutdown(g);
        }
    }

    @Test
    void aChannelClosedMidJobWakesItsJobOnNio() throws Exception {
        closedChannelWakesTheJob(NioIoHandler.newFactory());
    }

    @Test
    void aChannelClosedMidJobWakesItsJobOnEpoll() throws Exception {
        assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
        closedChannelWakesTheJob(EpollIoHandler.newFactory());
    }

    private static void closedChannelWakesTheJob(IoHandlerFactory factory) throws Exception {
        MultiThreadIoEventLoopGroup g = group(1, factory);
        try {
            EventLoop loop = g.next();
            Pipe pipe = Pipes.open();
            AtomicInteger paused = new AtomicInteger();
            Outcome<String> out = new Outcome<>();
            onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                AsyncJob.current().waitCtx().setWaitFd("p", pipe.source(), null, null);
                paused.incrementAndGet();
                boolean resumed = AsyncJob.pause();
                return resumed + "/" + pipe.source().isOpen();
            }, NettyJobs.eventLoopOptions())));
            Await.until("paused", WAIT, () -> paused.get() == 1);
            assertThat(out.value).isNotDone();
            pipe.source().close(); // the engine's fd goes away under the paused job: no event, no hang
            assertThat(out.get()).isEqualTo("true/false");
            assertThat(loop.inEventLoop(out.signalThread)).isTrue();
            pipe.sink().close();
        } finally {
            shutdown(g);
        }
    }

    @Test
    void aBlockingChannelCannotBeWatchedAndWakesTheJobAtOnce() throws Exception {
        MultiThreadIoEventLoopGroup g = group(1, NioIoHandler.newFactory());
        Pipe pipe = Pipe.open(); // left blocking: no selector takes it
        try {
            EventLoop loop = g.next();
            Outcome<Boolean> out = new Outcome<>();
            onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                AsyncJob.current().waitCtx().setWaitFd("p", pipe.source(), null, null);
                return AsyncJob.pause();
            }, NettyJobs.eventLoopOptions())));
            assertThat(out.get()).isTrue();
        } finally {
            Pipes.close(pipe);
            shutdown(g);
        }
    }

    @Test
    void onEpollTheFallbackSelectorWatchesTheFdAndTheJobResumesOnItsLoop() throws Exception {
        assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
        MultiThreadIoEventLoopGroup g = group(1, EpollIoHandler.newFactory());
        try (AsyncSelector fallback = AsyncSelector.open("netty-test-fallback")) {
            EventLoop loop = g.next();
            assertThat(NettyJobs.watchesFdsOnLoop(loop)).isFalse();
            new FdJob(loop).wakeThreeTimes(TestSupport.preferEventLoop(fallback, 0).build());
            assertThat(onLoop(loop, EventLoopLookup::watcherHere)).as("no watcher on the loop's selector").isNull();
        } finally {
            shutdown(g);
        }
    }

    @Test
    void aPausedFdJobOnALoopThatShutsDownIsFinishedNotStranded() throws Exception {
        MultiThreadIoEventLoopGroup g = group(1, NioIoHandler.newFactory());
        EventLoop loop = g.next();
        FdJob job = new FdJob(loop);
        CompletableFuture<Object> ended = new CompletableFuture<>();
        Outcome<Integer> out = new Outcome<>();
        onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
            try {
                return job.body(1).run();
            } finally {
                ended.complete(null);
            }
        }, NettyJobs.eventLoopOptions())));
        Await.until("paused", WAIT, () -> job.paused.get() == 1);
        shutdown(g);
        // Either Netty closed the registration as it shut down (that woke the job, which paused
        // again on the fallback selector: the signal below wakes it), or the loop ended first and
        // its end woke the job; in both cases the loop is gone and the job is finished cancelled
        // where it is woken, its subscriber told why
        job.fd.signal();
        ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThatThrownBy(out::get).hasCauseInstanceOf(RejectedExecutionException.class);
        Await.until("ctx closed, its fd with it", WAIT, () -> job.cleanups.get() == 1);
    }
}
