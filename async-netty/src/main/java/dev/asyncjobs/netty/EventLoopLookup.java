package dev.asyncjobs.netty;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobHost;
import dev.asyncjobs.core.JobHostCounters;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * "The calling thread's Netty event loop": Netty records the executor a thread runs for in {@link
 * ThreadExecutorMap} (every {@code SingleThreadEventExecutor} does), so the lookup is a
 * {@link FastThreadLocal} read on an event loop, and the host is made once per loop thread.
 */
final class EventLoopLookup implements JobHost.Lookup {
    /** One fd watcher per loop thread, whatever lookups share the loop (a channel registers once per selector). */
    private static final FastThreadLocal<NioFdWatcher> WATCHERS = new FastThreadLocal<>();

    static final EventLoopLookup SHARED = new EventLoopLookup(null);

    /** The counters of every event loop that ran a job, whichever lookup placed it (NettyJobs.eventLoopCounters()). */
    static final JobHostCounters.Group COUNTERS = new JobHostCounters.Group("event-loops");
    /**
     * Each event loop's counters, until it terminates: made on the loop's own thread (their one
     * writer), so one key is only ever put by one thread.
     */
    private static final ConcurrentMap<EventExecutor, JobHostCounters> BY_LOOP = new ConcurrentHashMap<>();

    private final FastThreadLocal<EventLoopHost> hosts = new FastThreadLocal<>();
    private final @Nullable AsyncSelector fallback;

    EventLoopLookup(@Nullable AsyncSelector fallback) {
        this.fallback = fallback;
    }

    @Override
    public @Nullable JobHost current() {
        EventLoopHost h = hosts.getIfExists();
        if (h != null && h.loop().inEventLoop()) {
            return h;
        }
        EventExecutor e = ThreadExecutorMap.currentExecutor();
        if (!(e instanceof EventLoop loop) || !loop.inEventLoop()) {
            return null;
        }
        h = new EventLoopHost(loop, fallback, watcherOf(loop), countersOf(loop));
        hosts.set(h);
        return h;
    }

    /** The counters of {@code loop}, or null when no job ran there yet (or it terminated). */
    static @Nullable JobHostCounters countersIfAny(EventExecutor loop) {
        return BY_LOOP.get(loop);
    }

    /** The calling loop's counters, made and registered on its first job. */
    private static JobHostCounters countersOf(EventLoop loop) {
        JobHostCounters c = BY_LOOP.get(loop);
        if (c != null) {
            return c;
        }
        JobHostCounters made = COUNTERS.register(() -> !loop.isShuttingDown(),
                () -> loop instanceof SingleThreadEventExecutor s ? s.pendingTasks() : 0);
        BY_LOOP.put(loop, made);
        // a terminated loop's thread is gone: no more jobs there, and the map must not keep the loop
        loop.terminationFuture().addListener(f -> {
            BY_LOOP.remove(loop, made);
            made.remove();
        });
        return made;
    }

    /** The calling loop thread's NIO watcher, if one was made (tests). */
    static @Nullable NioFdWatcher watcherHere() {
        return WATCHERS.getIfExists();
    }

    /** The loop's NIO watcher (made on its thread), or null when its transport is not NIO. */
    private static @Nullable NioFdWatcher watcherOf(EventLoop loop) {
        if (!(loop instanceof IoEventLoop io) || !NioFdWatcher.supports(io)) {
            return null;
        }
        NioFdWatcher w = WATCHERS.getIfExists();
        if (w == null || w.loop() != io) {
            w = new NioFdWatcher(io);
            WATCHERS.set(w);
        }
        return w;
    }
}
