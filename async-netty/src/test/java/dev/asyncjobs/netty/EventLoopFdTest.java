package dev.asyncjobs.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobHost;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.reactor.AsyncMono;
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
    private static final boolean CONTINUATION = AsyncJob.backend().equals("continuation");

    private static MultiThreadIoEventLoopGroup group(IoHandlerFactory factory) {
        return new MultiThreadIoEventLoopGroup(1, factory);
    }

    private static void shutdown(MultiThreadIoEventLoopGroup g) throws InterruptedException {
        assertThat(g.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(20, TimeUnit.SECONDS)).isTrue();
    }

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

        dev.asyncjobs.core.JobFunction<Integer> body(int rounds) {
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
    }

    @Test
    void onNioTheLoopsOwnSelectorWakesTheJobWithTheFdRegisteredOnce() throws Exception {
        MultiThreadIoEventLoopGroup g = group(NioIoHandler.newFactory());
        AsyncSelector closed = AsyncSelector.open("netty-test-unused");
        closed.close(); // a watch through it would throw: proves the fallback is never used on NIO
        try {
            EventLoop loop = g.next();
            assertThat(NettyJobs.watchesFdsOnLoop(loop)).isTrue();
            JobOptions options = JobOptions.builder()
                    .placement(JobPlacement.preferHost(NettyJobs.currentEventLoop(closed), 0, JobLoopGroup.shared()))
                    .build();
            FdJob job = new FdJob(loop);
            EventLoopJobsTest.Outcome<Integer> out = new EventLoopJobsTest.Outcome<>();
            EventLoopJobsTest.onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(job.body(3), options)));
            for (int i = 1; i <= 3; i++) {
                int round = i;
                TestSupport.await(() -> job.paused.get() >= round, () -> "pause " + round);
                job.fd.signal();
            }
            assertThat(out.get()).isEqualTo(3);
            assertThat(loop.inEventLoop(out.signalThread)).isTrue();
            if (CONTINUATION) {
                assertThat(job.resumedOnLoop).containsOnly(true);
            }
            assertThat(job.cleanups).hasValue(1);
            NioFdWatcher w = EventLoopJobsTest.onLoop(loop, EventLoopLookup::watcherHere);
            assertThat(w).isNotNull();
            assertThat(EventLoopJobsTest.onLoop(loop, w::registrations)).as("one registration for three pauses")
                    .isEqualTo(1L);
            // the fd was closed by its cleanup: the sweep drops the handle
            TestSupport.await(() -> onLoopUnchecked(loop, w::registered) == 0, () -> "handles dropped");
        } finally {
            shutdown(g);
        }
    }

    @Test
    void manyJobsSharingOneFdAreAllWokenByIt() throws Exception {
        MultiThreadIoEventLoopGroup g = group(NioIoHandler.newFactory());
        try (WakeupFd shared = WakeupFd.open()) {
            EventLoop loop = g.next();
            CompletableFuture<Void> go = new CompletableFuture<>();
            List<EventLoopJobsTest.Outcome<String>> outs = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 50; i++) {
                EventLoopJobsTest.Outcome<String> out = new EventLoopJobsTest.Outcome<>();
                outs.add(out);
                EventLoopJobsTest.onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                    AsyncJob.current().waitCtx().setWaitFd("shared", shared.channel(), null, null);
                    while (!go.isDone()) {
                        AsyncJob.pauseOrThrow(); // level-triggered: the fd stays readable once signalled
                    }
                    return "ok";
                }, NettyJobs.eventLoopOptions())));
            }
            go.complete(null);
            shared.signal();
            for (EventLoopJobsTest.Outcome<String> out : outs) {
                assertThat(out.get()).isEqualTo("ok");
            }
            NioFdWatcher w = EventLoopJobsTest.onLoop(loop, EventLoopLookup::watcherHere);
            assertThat(EventLoopJobsTest.onLoop(loop, w::registrations)).isEqualTo(1L);
            // nobody waits on the open fd any more: dropped after a sweep with no arm
            TestSupport.await(() -> onLoopUnchecked(loop, w::registered) == 0, () -> "idle handle dropped");
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
        MultiThreadIoEventLoopGroup g = group(factory);
        try {
            EventLoop loop = g.next();
            Pipe pipe = Pipe.open();
            pipe.source().configureBlocking(false);
            AtomicInteger paused = new AtomicInteger();
            EventLoopJobsTest.Outcome<String> out = new EventLoopJobsTest.Outcome<>();
            EventLoopJobsTest.onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                AsyncJob.current().waitCtx().setWaitFd("p", pipe.source(), null, null);
                paused.incrementAndGet();
                boolean resumed = AsyncJob.pause();
                return resumed + "/" + pipe.source().isOpen();
            }, NettyJobs.eventLoopOptions())));
            TestSupport.await(() -> paused.get() == 1, () -> "paused");
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
        MultiThreadIoEventLoopGroup g = group(NioIoHandler.newFactory());
        Pipe pipe = Pipe.open(); // left blocking: no selector takes it
        try {
            EventLoop loop = g.next();
            EventLoopJobsTest.Outcome<Boolean> out = new EventLoopJobsTest.Outcome<>();
            EventLoopJobsTest.onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
                AsyncJob.current().waitCtx().setWaitFd("p", pipe.source(), null, null);
                return AsyncJob.pause();
            }, NettyJobs.eventLoopOptions())));
            assertThat(out.get()).isTrue();
        } finally {
            pipe.source().close();
            pipe.sink().close();
            shutdown(g);
        }
    }

    @Test
    void onEpollTheFallbackSelectorWatchesTheFdAndTheJobResumesOnItsLoop() throws Exception {
        assumeTrue(Epoll.isAvailable(), () -> "epoll: " + Epoll.unavailabilityCause());
        MultiThreadIoEventLoopGroup g = group(EpollIoHandler.newFactory());
        try (AsyncSelector fallback = AsyncSelector.open("netty-test-fallback")) {
            EventLoop loop = g.next();
            assertThat(NettyJobs.watchesFdsOnLoop(loop)).isFalse();
            JobHost.Lookup lookup = NettyJobs.currentEventLoop(fallback);
            JobOptions options = JobOptions.builder().placement(JobPlacement.preferHost(lookup, 0, JobLoopGroup.shared())).build();
            FdJob job = new FdJob(loop);
            EventLoopJobsTest.Outcome<Integer> out = new EventLoopJobsTest.Outcome<>();
            EventLoopJobsTest.onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(job.body(3), options)));
            for (int i = 1; i <= 3; i++) {
                int round = i;
                TestSupport.await(() -> job.paused.get() >= round, () -> "pause " + round);
                job.fd.signal();
            }
            assertThat(out.get()).isEqualTo(3);
            assertThat(loop.inEventLoop(out.signalThread)).isTrue();
            if (CONTINUATION) {
                assertThat(job.resumedOnLoop).containsOnly(true);
            }
            assertThat(EventLoopJobsTest.onLoop(loop, EventLoopLookup::watcherHere)).isNull();
            assertThat(job.cleanups).hasValue(1);
        } finally {
            shutdown(g);
        }
    }

    @Test
    void aPausedFdJobOnALoopThatShutsDownIsFinishedNotStranded() throws Exception {
        MultiThreadIoEventLoopGroup g = group(NioIoHandler.newFactory());
        EventLoop loop = g.next();
        FdJob job = new FdJob(loop);
        CompletableFuture<Object> ended = new CompletableFuture<>();
        EventLoopJobsTest.Outcome<Integer> out = new EventLoopJobsTest.Outcome<>();
        EventLoopJobsTest.onLoop(loop, () -> out.subscribe(AsyncMono.fromJob(() -> {
            try {
                return job.body(1).run();
            } finally {
                ended.complete(null);
            }
        }, NettyJobs.eventLoopOptions())));
        TestSupport.await(() -> job.paused.get() == 1, () -> "paused");
        shutdown(g);
        // Either Netty closed the registration as it shut down (that woke the job, which paused
        // again on the fallback selector: the signal below wakes it), or the loop ended first and
        // its end woke the job; in both cases the loop is gone and the job is finished cancelled
        // where it is woken, its subscriber told why
        job.fd.signal();
        ended.get(20, TimeUnit.SECONDS);
        assertThatThrownBy(out::get).hasCauseInstanceOf(RejectedExecutionException.class);
        TestSupport.await(() -> job.cleanups.get() == 1, () -> "ctx closed, its fd with it");
    }

    private static <T> T onLoopUnchecked(EventLoop loop, java.util.concurrent.Callable<T> c) {
        try {
            return EventLoopJobsTest.onLoop(loop, c);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
