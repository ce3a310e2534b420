package dev.asyncjobs.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * What this module's tests share beyond async-test-support (fds, threads, waits, racer, pipes are
 * there): Netty event-loop groups and tasks, and what a subscription saw.
 */
final class TestSupport {
    /** Every wait of these tests: long enough for a loaded 2-core machine, short of the @Timeouts. */
    static final Duration WAIT = Duration.ofSeconds(20);

    /**
     * On the continuation backend the job body runs on its loop's thread itself, so "on the loop"
     * can be checked from inside the job; on the virtual-thread backend it runs on a virtual thread
     * the loop waits for, and only the signals' thread says where the job was driven.
     */
    static final boolean CONTINUATION = AsyncJob.backend().equals("continuation");

    private TestSupport() {
    }

    /** A group of {@code threads} event loops on {@code factory}'s transport. */
    static MultiThreadIoEventLoopGroup group(int threads, IoHandlerFactory factory) {
        return new MultiThreadIoEventLoopGroup(threads, factory);
    }

    /** Shuts {@code group} down with no quiet period and checks that it ended. */
    static void shutdown(MultiThreadIoEventLoopGroup group) throws InterruptedException {
        assertThat(group.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("the event loops ended").isTrue();
    }

    /**
     * Options with jobs on the calling event loop, each loop's pool of {@code poolSize} (0: no
     * limit), else on the shared job loops; the fds of jobs on loops that are not NIO are watched by
     * {@code fallback}.
     */
    static JobOptions.Builder preferEventLoop(AsyncSelector fallback, int poolSize) {
        return JobOptions.builder().placement(
                JobPlacement.preferHost(NettyJobs.currentEventLoop(fallback), poolSize, JobLoopGroup.shared()));
    }

    /** Runs {@code task} on {@code loop} and returns its result (a test is never on a loop itself). */
    static <T> T onLoop(EventLoop loop, Callable<T> task) throws Exception {
        return loop.submit(task).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** {@link #onLoop} for a condition polled by {@link dev.asyncjobs.testsupport.Await}. */
    static <T> T onLoopUnchecked(EventLoop loop, Callable<T> task) {
        try {
            return onLoop(loop, task);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Waits until every task queued on {@code loop} before this call has run: a job whose body ran
     * a line there has since paused, or ended and signalled (its segment and what follows it are one
     * task of the loop's, whichever fibre backend runs the body).
     */
    static void drain(EventLoop loop) throws Exception {
        onLoop(loop, () -> null);
    }

    /** What a subscription saw: its value or error, and the thread each signal came on. */
    static final class Outcome<T> {
        final CompletableFuture<T> value = new CompletableFuture<>();
        volatile Thread signalThread;

        Disposable subscribe(Mono<T> mono) {
            return mono.subscribe(v -> {
                signalThread = Thread.currentThread();
                value.complete(v);
            }, e -> {
                signalThread = Thread.currentThread();
                value.completeExceptionally(e);
            }, () -> value.complete(null));
        }

        T get() throws Exception {
            return value.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }
}
