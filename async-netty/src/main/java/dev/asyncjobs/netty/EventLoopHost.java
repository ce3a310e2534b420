package dev.asyncjobs.netty;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHost;
import dev.asyncjobs.core.JobHostCounters;
import io.netty.channel.EventLoop;
import org.jspecify.annotations.Nullable;

/**
 * One Netty event loop as a {@link JobHost}: tasks go to {@link EventLoop#execute} (from the loop
 * itself that is a queue append, no wake-up), and wait fds are watched by the loop's own selector
 * when its transport is NIO ({@link NioFdWatcher}), otherwise by an {@link AsyncSelector} (its
 * thread wakes, then one {@code execute} reaches the loop).
 */
final class EventLoopHost implements JobHost {
    private final EventLoop loop;
    /** Null: {@link AsyncSelector#shared()}, only started when a job needs it (not on NIO). */
    private final @Nullable AsyncSelector fallback;
    private final @Nullable NioFdWatcher nio;
    /** The loop's counters, shared by every lookup's host of this loop. */
    private final JobHostCounters counters;

    EventLoopHost(EventLoop loop, @Nullable AsyncSelector fallback, @Nullable NioFdWatcher nio,
            JobHostCounters counters) {
        this.loop = loop;
        this.fallback = fallback;
        this.nio = nio;
        this.counters = counters;
    }

    EventLoop loop() {
        return loop;
    }

    /** The NIO watcher, or null when this loop's fds go to the fallback selector. */
    @Nullable NioFdWatcher nio() {
        return nio;
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public AsyncSelector.Registration watch(AsyncWaitCtx ctx, Runnable onReady) {
        NioFdWatcher w = nio;
        if (w != null && loop.inEventLoop() && !loop.isShuttingDown()) {
            return w.watch(ctx, onReady);
        }
        // Not NIO, or a NIO loop shutting down: Netty then closes every registration at each turn
        // (which is what woke this job), so the loop's selector can no longer watch and the
        // fallback selector does. Its onReady runs on the selector thread and resumes the job with
        // one execute, or, once the loop takes no more tasks, finishes it cancelled right there.
        if (w != null && loop.inEventLoop()) {
            // the fd may never turn readable to the fallback selector: the loop's end wakes it too
            w.atEnd(onReady);
        }
        AsyncSelector s = fallback;
        return (s != null ? s : AsyncSelector.shared()).watch(ctx, onReady);
    }

    @Override
    public JobHostCounters counters() {
        return counters;
    }

    @Override
    public String toString() {
        return "EventLoopHost[" + loop + (nio != null ? ", nio" : ", fallback selector") + "]";
    }
}
