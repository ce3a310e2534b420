package dev.asyncjobs.netty;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobHost;
import dev.asyncjobs.core.JobOptions;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import java.util.Objects;

/**
 * Runs jobs on the Netty event loop that launched them: the event loop is the job's confined
 * executor, as OpenSSL's async jobs run on the nginx or HAProxy worker that owns the connection.
 *
 * <pre>{@code
 * JobOptions onLoop = NettyJobs.eventLoopOptions();          // or NettyJobs.preferEventLoop(myOptions)
 * Mono<byte[]> sig = AsyncMono.fromJob(() -> crypto.sign(scheme, key, body), onLoop);
 * }</pre>
 *
 * <p>Subscribed on a Netty event-loop thread (a WebFlux or reactor-netty handler is), the job
 * starts on that loop, in a task queued right there (no other thread, no wake-up: never inside the
 * subscriber's call, which may hold a monitor that a pausing continuation would carry away); it
 * pauses, the loop serves its other connections, and every resume runs on that same loop: an offload engine's completion, an {@link
 * dev.asyncjobs.core.AsyncJob#await awaited} future or a cancel wakes it through the ctx callback
 * with one {@link EventLoop#execute}. Subscribed anywhere else, the job runs on the options' job
 * loops exactly as without this. Cancellation, slot limits ({@link JobOptions#poolSize()} sizes each
 * event loop's pool; {@link JobOptions#onNoJobs()} applies), the wait for a free slot and context
 * propagation behave as on the job loops.
 *
 * <p><b>Wait fds.</b> On Netty's NIO transport, a job's {@link java.nio.channels.SelectableChannel}s
 * are registered with the event loop's own selector through Netty 4.2's I/O handle API: a readable
 * fd resumes the job on the loop with no other thread involved. On other transports (native epoll,
 * io_uring, kqueue) Netty's selector cannot take a JDK channel, so the fds are watched by an
 * {@link AsyncSelector} (the shared one unless given) and a readable fd costs one extra thread wake
 * before the one {@code execute}. A closed fd wakes its job in both cases.
 *
 * <p><b>Rules</b> (as on the job loops): the job body runs on the event loop (continuation backend)
 * or on a virtual thread the loop waits for (virtual-thread backend), so it must not block: offload
 * blocking work to an engine and pause. With BlockHound installed, Netty marks its event loops
 * non-blocking and asyncjobs' integration allows only its own hand-off.
 */
public final class NettyJobs {
    private static final JobOptions EVENT_LOOP_OPTIONS =
            JobOptions.builder().preferHost(EventLoopLookup.SHARED).build();

    private NettyJobs() {
    }

    /**
     * "The calling thread's Netty event loop, if it is one": a {@link JobHost.Lookup} for {@link
     * JobOptions.Builder#preferHost}. Fds on non-NIO loops go to {@link AsyncSelector#shared()}.
     *
     * @return the lookup
     */
    public static JobHost.Lookup currentEventLoop() {
        return EventLoopLookup.SHARED;
    }

    /**
     * Like {@link #currentEventLoop()}, with the fds of jobs on non-NIO loops watched by
     * {@code fallback}.
     *
     * @param fallback the selector for loops whose transport is not NIO
     * @return a new lookup
     * @throws NullPointerException if {@code fallback} is null
     */
    public static JobHost.Lookup currentEventLoop(AsyncSelector fallback) {
        Objects.requireNonNull(fallback, "fallback");
        return new EventLoopLookup(fallback);
    }

    /**
     * The default options with jobs on the current event loop, else the shared job loops.
     *
     * @return the options
     */
    public static JobOptions eventLoopOptions() {
        return EVENT_LOOP_OPTIONS;
    }

    /**
     * {@code options} with jobs on the current event loop, else on {@code options}' job loops.
     *
     * @param options the loops, pool size and policy to keep
     * @return the new options
     * @throws NullPointerException if {@code options} is null
     */
    public static JobOptions preferEventLoop(JobOptions options) {
        Objects.requireNonNull(options, "options");
        return options.toBuilder().preferHost(EventLoopLookup.SHARED).build();
    }

    /**
     * Whether jobs on {@code loop} have their wait fds watched by the loop's own selector (Netty's
     * NIO transport), rather than by an {@link AsyncSelector} (one extra wake-up per readable fd).
     *
     * @param loop the event loop
     * @return {@code true} on the NIO transport
     * @throws NullPointerException if {@code loop} is null
     */
    public static boolean watchesFdsOnLoop(EventLoop loop) {
        Objects.requireNonNull(loop, "loop");
        return loop instanceof IoEventLoop io && NioFdWatcher.supports(io);
    }
}
