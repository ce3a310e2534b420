package dev.asyncjobs.core;

import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * A single thread that is not a job loop but can run jobs launched on it, the way a network
 * framework's event loop can (async-netty makes one of every Netty event loop): the job starts in
 * a task of the host's and every resume is one {@link #execute} on it (from the host's own thread
 * too, never inline: the code that launches or wakes a job there may hold a monitor, and a pausing
 * continuation would take it along), and its wait fds are watched by {@link #watch}, typically
 * with the thread's own selector. It is the one extra placement the job
 * loops' launch knows: {@link JobPlacement#preferHost} names a {@link Lookup} that finds the
 * calling thread's host, and {@link AsyncJobs#launch(JobFunction, JobOptions, JobObserver)} runs the
 * job there when there is one, else on the job loops.
 *
 * <p>Contract: {@link #execute} runs every task on the host's one thread, in order, and throws
 * {@link java.util.concurrent.RejectedExecutionException} once it no longer will (the paused job is
 * then finished cancelled where the wake-up came from, never abandoned). {@link #watch} is called on the host's thread at a pause of a job that has (or had) wait
 * fds; it must run {@code onReady} at most once, also when a watched fd is closed or cannot be
 * watched at all, and never after {@code cancel()} returned.
 */
public interface JobHost extends Executor {
    /**
     * Finds the host of the calling thread.
     */
    @FunctionalInterface
    interface Lookup {
        /**
         * The host whose thread is the calling thread.
         *
         * @return the host, or {@code null} when this thread is not one (the job then runs on the
         *     job loops)
         */
        @Nullable JobHost current();
    }

    /**
     * Arms once on {@code ctx}'s current fds ({@link AsyncWaitCtx#getAllFds()}), as {@link
     * AsyncSelector#watch} does. Called on the host's thread at a pause; a ctx with no fds gets a
     * watch that never fires.
     *
     * @param ctx the paused job's ctx
     * @param onReady run once when an fd is readable, closed or unusable; it may run inline
     * @return the watch, to cancel when the job is resumed some other way
     */
    AsyncSelector.Registration watch(AsyncWaitCtx ctx, Runnable onReady);

    /**
     * The counters the jobs on this host count themselves in ({@link JobHostCounters}), or {@code
     * null} (the default) when they are counted nowhere. Called once per job, on the launching
     * thread, before the job is queued; the counters' writer must be this host's thread.
     *
     * @return the counters, or null
     */
    default @Nullable JobHostCounters counters() {
        return null;
    }
}
