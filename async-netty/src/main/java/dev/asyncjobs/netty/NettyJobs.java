package dev.asyncjobs.netty;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobHost;
import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobLoopStats;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Runs jobs on the Netty event loop that launched them: the event loop is the job's confined
 * executor, as OpenSSL's async jobs run on the nginx or HAProxy worker that owns the connection.
 *
 * <pre>{@code
 * JobOptions onLoop = NettyJobs.eventLoopOptions();      // or NettyJobs.preferEventLoop(myOptions, 64)
 * Mono<byte[]> sig = AsyncMono.fromJob(() -> crypto.sign(scheme, key, body), onLoop);
 * }</pre>
 *
 * <p>Subscribed on a Netty event-loop thread (a WebFlux or reactor-netty handler is), the job
 * starts on that loop, in a task queued right there (no other thread, no wake-up: never inside the
 * subscriber's call, which may hold a monitor that a pausing continuation would carry away); it
 * pauses, the loop serves its other connections, and every resume runs on that same loop: an
 * offload engine's completion, an {@link dev.asyncjobs.core.AsyncJob#await awaited} future or a
 * cancel wakes it through the ctx callback with one {@link EventLoop#execute}. Subscribed anywhere else, the job runs on the fallback job
 * loops exactly as without this. Cancellation, slot limits (the placement's {@link
 * JobPlacement#poolSize()} sizes each event loop's pool; {@link JobOptions#onNoJobs()} applies), the
 * wait for a free slot and context propagation behave as on the job loops.
 *
 * <p>It is a {@link JobPlacement#preferHost} placement: {@link #placement} makes one, {@link
 * #preferEventLoop} puts one in options, {@link #eventLoopOptions()} is the default one.
 *
 * <p><b>Wait fds.</b> On Netty's NIO transport, a job's {@link java.nio.channels.SelectableChannel}s
 * are registered with the event loop's own selector through Netty 4.2's I/O handle API: a readable
 * fd resumes the job on the loop with no other thread involved. On other transports (native epoll,
 * io_uring, kqueue) Netty's selector cannot take a JDK channel, so the fds are watched by an
 * {@link AsyncSelector} (the shared one unless given) and a readable fd costs one extra thread wake
 * before the one {@code execute}. A closed fd wakes its job in both cases.
 *
 * <p><b>Counters.</b> The jobs on each event loop are counted as on a job loop (started, ended by
 * outcome, alive, paused, slot waits): {@link #stats(EventLoopGroup)} reads a group's loops, {@link
 * #eventLoopCounters()} every loop's, for metrics (async-micrometer's {@code JobHostMetrics}) and
 * health checks.
 *
 * <p><b>Rules</b> (as on the job loops): the job body runs on the event loop (continuation backend)
 * or on a virtual thread the loop waits for (virtual-thread backend), so it must not block: offload
 * blocking work to an engine and pause. With BlockHound installed, Netty marks its event loops
 * non-blocking and asyncjobs' integration allows only its own hand-off.
 */
public final class NettyJobs {
    /** Made on first use: a class load must not start the shared job loops. */
    private static volatile @Nullable JobOptions eventLoopOptions;

    private NettyJobs() {
    }

    /**
     * "The calling thread's Netty event loop, if it is one": a {@link JobHost.Lookup} for {@link
     * JobPlacement#preferHost}. Fds on non-NIO loops go to {@link AsyncSelector#shared()}.
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
     * Jobs on the current event loop, each event loop's pool with {@code poolSize} slots; launched
     * on any other thread, on {@code fallback}'s loops: {@code JobPlacement.preferHost(
     * currentEventLoop(), poolSize, fallback)}.
     *
     * @param poolSize the max jobs of each event loop (0: no limit), made the first time a job
     *     runs there
     * @param fallback the loops of jobs launched off the event loops
     * @return the placement
     * @throws NullPointerException if {@code fallback} is null
     * @throws IllegalArgumentException if {@code poolSize} is negative
     */
    public static JobPlacement placement(int poolSize, JobLoopGroup fallback) {
        return JobPlacement.preferHost(EventLoopLookup.SHARED, poolSize, fallback);
    }

    /**
     * The default options with jobs on the current event loop (no limit on each event loop's pool),
     * else on {@link JobLoopGroup#shared()} (made at the first call of this method).
     *
     * @return the options
     */
    public static JobOptions eventLoopOptions() {
        JobOptions o = eventLoopOptions;
        if (o == null) {
            // a race makes two equal values; either is fine
            o = JobOptions.builder().placement(placement(0, JobLoopGroup.shared())).build();
            eventLoopOptions = o;
        }
        return o;
    }

    /**
     * {@code options} with jobs on the current event loop, each event loop's pool with {@code
     * poolSize} slots; else on the options' job loops ({@link JobLoopGroup#shared()} when they have
     * no placement). The {@link JobOptions#onNoJobs() policy} is kept. A placement that already
     * prefers a host keeps its loops and gets this lookup and pool size.
     *
     * @param options the loops and policy to keep
     * @param poolSize the max jobs of each event loop (0: no limit)
     * @return the new options
     * @throws NullPointerException if {@code options} is null
     * @throws IllegalArgumentException if {@code poolSize} is negative, or the options place jobs
     *     on a confined scheduler (which contradicts the event loop)
     */
    public static JobOptions preferEventLoop(JobOptions options, int poolSize) {
        Objects.requireNonNull(options, "options");
        JobPlacement p = options.placement();
        JobLoopGroup loops;
        if (p == null) {
            loops = JobLoopGroup.shared();
        } else {
            JobLoopGroup l = p.loops();
            if (l == null) {
                throw new IllegalArgumentException("the options say " + p + ", a confined scheduler, which"
                        + " contradicts running on the event loop: give options with job loops or no placement");
            }
            loops = l;
        }
        return options.toBuilder().placement(placement(poolSize, loops)).build();
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

    /**
     * The counters of the jobs on every Netty event loop of this JVM that has run one (whatever
     * lookup placed it), one {@link JobHostCounters} per event loop, named after its thread, in a
     * group named {@code "event-loops"}. An event loop joins at its first job and leaves when it
     * terminates. For metrics binders ({@link JobHostCounters.Group#onRegister} hears of each loop
     * as it joins) and health checks ({@link JobHostCounters.Group#stats()} is the total).
     *
     * @return the group
     */
    public static JobHostCounters.Group eventLoopCounters() {
        return EventLoopLookup.COUNTERS;
    }

    /**
     * A snapshot of the counters of {@code group}'s event loops that have run a job (one per loop, in
     * the group's order; a loop that never ran one, or has terminated, is left out). See {@link
     * JobLoopStats}: {@code name} is the loop's thread name and {@code loops} is 1.
     *
     * @param group the event loops
     * @return the snapshots, possibly empty
     * @throws NullPointerException if {@code group} is null
     */
    public static List<JobLoopStats> stats(EventLoopGroup group) {
        Objects.requireNonNull(group, "group");
        List<JobLoopStats> all = new ArrayList<>();
        for (EventExecutor e : group) {
            JobHostCounters c = EventLoopLookup.countersIfAny(e);
            if (c != null) {
                all.add(c.stats());
            }
        }
        return all;
    }
}
