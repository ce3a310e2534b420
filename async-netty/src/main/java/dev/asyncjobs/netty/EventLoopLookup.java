package dev.asyncjobs.netty;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobHost;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.internal.ThreadExecutorMap;
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
        h = new EventLoopHost(loop, fallback, watcherOf(loop));
        hosts.set(h);
        return h;
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
