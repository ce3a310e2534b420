package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.engine.OffloadEngine;
import java.time.Duration;
import java.util.Objects;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Closes a {@link JobLoopGroup} or an {@link OffloadEngine} the starter made, in the context's
 * stop, in this order (a higher phase stops first):
 * <ol>
 *   <li>Spring Boot's web server graceful shutdown ({@code server.shutdown=graceful}, phase
 *       {@code Integer.MAX_VALUE - 1024}): requests in flight finish, their jobs with them;</li>
 *   <li>the web server stops (phase {@code Integer.MAX_VALUE - 2048});</li>
 *   <li>the engine ({@link #ENGINE_PHASE}): calls still queued fail with a {@code
 *       RejectedExecutionException}, calls running finish, the device threads end;</li>
 *   <li>the loops ({@link #LOOPS_PHASE}): paused jobs are resumed cancelled and run to their end
 *       (their ctxs close, their slots free), then the loop threads end.</li>
 * </ol>
 * After that no thread the starter made is left. The beans' {@code close} also runs when the
 * context is destroyed without being stopped (a failed start); it is idempotent. Beans the
 * application defines itself are its own to close: the starter makes no lifecycle for them.
 */
public final class AsyncJobsLifecycle implements SmartLifecycle {
    /** The engine's phase: right after the web server stopped ({@code Integer.MAX_VALUE - 2048}). */
    public static final int ENGINE_PHASE = Integer.MAX_VALUE - 3072;
    /** The loops' phase: after the engine, so jobs woken by its close still have their loop. */
    public static final int LOOPS_PHASE = ENGINE_PHASE - 1;

    private static final Log LOG = LogFactory.getLog(AsyncJobsLifecycle.class);

    private final String what;
    private final int phase;
    private final Runnable close;
    private volatile boolean running = true;

    private AsyncJobsLifecycle(String what, int phase, Runnable close) {
        this.what = what;
        this.phase = phase;
        this.close = close;
    }

    /**
     * The lifecycle of a group the starter made.
     *
     * @param loops the group
     * @return its lifecycle
     */
    public static AsyncJobsLifecycle of(JobLoopGroup loops) {
        Objects.requireNonNull(loops, "loops");
        // close() waits for the loop threads (unless called from one of them)
        return new AsyncJobsLifecycle("job loops '" + loops.name() + "'", LOOPS_PHASE, loops::close);
    }

    /**
     * The lifecycle of an engine the starter made.
     *
     * @param engine the engine
     * @param timeout how long to wait for its device threads
     * @return its lifecycle
     */
    public static AsyncJobsLifecycle of(OffloadEngine engine, Duration timeout) {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(timeout, "timeout");
        return new AsyncJobsLifecycle("offload engine '" + engine.name() + "'", ENGINE_PHASE, () -> {
            engine.close();
            try {
                if (!engine.awaitTermination(timeout)) {
                    LOG.warn("asyncjobs: the " + "offload engine '" + engine.name() + "' still runs a call after "
                            + timeout + "; its device threads are daemons and end with it");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Override
    public void start() {
        // the loops and the engine start when they are built; a context restarted after a stop
        // would need new ones, which is the beans' scope to decide, not ours
    }

    @Override
    public void stop() {
        if (running) {
            running = false;
            LOG.debug("asyncjobs: closing the " + what);
            close.run();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return phase;
    }

    @Override
    public String toString() {
        return "AsyncJobsLifecycle[" + what + ", phase " + phase + "]";
    }
}
