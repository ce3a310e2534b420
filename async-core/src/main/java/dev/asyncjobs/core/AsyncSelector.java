package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * A standalone selector thread for callers that run jobs on threads they own: it watches the wait
 * fds of paused jobs and says when one may be resumed. (Jobs on the job loops do not need it: each
 * loop watches its own jobs' fds.)
 *
 * <pre>{@code
 * if (AsyncJob.start(handle, ctx, func) == StartStatus.PAUSE) {
 *     AsyncSelector.shared().watch(ctx, () -> myThread.execute(this::resumeJob));
 * }
 * }</pre>
 *
 * <p>{@link #watch} arms once on the ctx's current fds and runs {@code onReady} once, on the
 * selector thread, when any of them is readable, closed or unusable. The ctx's registrations are
 * kept across watches and updated from {@link AsyncWaitCtx#getChangedFds()}, so an fd the job keeps
 * costs nothing at the next pause. A watch on a ctx with no fds never fires (the engine then wakes
 * the job through the ctx callback). {@code onReady} must be short and must not block; what it
 * throws goes to {@link AsyncHooks}.
 */
public final class AsyncSelector implements AutoCloseable {
    /** One armed watch. */
    public interface Registration {
        /**
         * Disarms the watch: once this returns, {@code onReady} will not start (it may be running).
         * The selector thread then drops the watch, so a ctx watched and cancelled any number of
         * times holds no more than its live watches. Idempotent; no effect after the watch fired.
         */
        void cancel();
    }

    private static final class Holder {
        static final AsyncSelector SHARED = new AsyncSelector("asyncjobs-selector", true);
    }

    private final Loop loop;
    private final boolean isShared;

    private AsyncSelector(String name, boolean isShared) {
        this.isShared = isShared;
        loop = new Loop(name);
        loop.startThread();
    }

    /**
     * The shared selector, started on first use (a daemon thread named {@code asyncjobs-selector}).
     * Closing it is ignored.
     *
     * @return the shared selector
     */
    public static AsyncSelector shared() {
        return Holder.SHARED;
    }

    /**
     * Starts a new selector thread (daemon).
     *
     * @param name the thread's name
     * @return the selector; close it when done
     */
    public static AsyncSelector open(String name) {
        Objects.requireNonNull(name, "name");
        return new AsyncSelector(name, false);
    }

    /**
     * Arms once on {@code ctx}'s current fds. Call it on the thread that owns the ctx (the one that
     * got {@link StartStatus#PAUSE}), before resuming the job.
     *
     * @param ctx the paused job's ctx
     * @param onReady run once, on the selector thread, when an fd is readable, closed or invalid
     * @return the registration, to cancel it
     * @throws IllegalStateException if this selector or the ctx is closed
     */
    public Registration watch(AsyncWaitCtx ctx, Runnable onReady) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(onReady, "onReady");
        if (ctx.isClosed()) {
            throw new IllegalStateException("the AsyncWaitCtx is closed");
        }
        FdWatcher.Plan plan = loop.watcher.plan(ctx);
        Reg reg = new Reg(onReady, loop, plan.watch());
        try {
            loop.execute(() -> loop.watcher.arm(plan, reg, 0));
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("this AsyncSelector is closed", e);
        }
        return reg;
    }

    /**
     * Stops the thread. Watches still armed fire first (a job is woken rather than left hanging).
     * Idempotent; ignored on {@link #shared()}.
     */
    @Override
    public void close() {
        if (isShared) {
            return;
        }
        loop.shutdown();
        if (!loop.inThread()) {
            try {
                loop.awaitTermination(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Whether the selector thread has ended.
     *
     * @return {@code true} after {@link #close()} completed
     */
    public boolean isClosed() {
        return loop.isTerminated();
    }

    Thread thread() {
        return loop.thread;
    }

    /** Whether this selector keeps a view of {@code ctx}'s fds (owner's thread). */
    boolean knows(AsyncWaitCtx ctx) {
        return loop.watcher.recordOf(ctx) != null;
    }

    /** This selector's view of {@code ctx}, or null (tests). */
    FdWatcher.@Nullable CtxWatch viewOf(AsyncWaitCtx ctx) {
        return loop.watcher.recordOf(ctx);
    }

    /**
     * How many watches are armed on {@code ctx}, counted on the selector thread after everything
     * queued before (tests: the per-ctx state stays bounded). Never call it on the selector thread.
     */
    int watchesOn(AsyncWaitCtx ctx) {
        FdWatcher.CtxWatch cw = loop.watcher.recordOf(ctx);
        if (cw == null) {
            return 0;
        }
        CompletableFuture<Integer> count = new CompletableFuture<>();
        loop.execute(() -> count.complete(cw.targetCount()));
        return count.join();
    }

    private static final class Loop extends EventThread {
        Loop(String name) {
            super(name, true);
        }

        @Override
        boolean readyToStop() {
            return true;
        }

        @Override
        void onStop() {
            watcher.fireAll(); // after the last tasks ran: every watch armed by then fires
        }
    }

    /**
     * ARMED -> FIRED (selector) or ARMED -> CANCELLED (any thread): exactly one wins. The cancel
     * that wins also queues the disarm of its target on the selector thread, which owns the
     * watcher's state; until then a fire finds the target but loses the CAS.
     */
    static final class Reg implements Registration, FdWatcher.Target {
        private static final VarHandle STATE;
        private static final int ARMED = 0;
        private static final int FIRED = 1;
        private static final int CANCELLED = 2;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Reg.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Runnable onReady;
        private final Loop loop;
        private final FdWatcher.CtxWatch watch;
        private volatile int state;

        Reg(Runnable onReady, Loop loop, FdWatcher.CtxWatch watch) {
            this.onReady = onReady;
            this.loop = loop;
            this.watch = watch;
        }

        @Override
        public void onFdReady(int token) {
            if (STATE.compareAndSet(this, ARMED, FIRED)) {
                onReady.run();
            }
        }

        @Override
        public void cancel() {
            tryCancel();
        }

        /** The cancel, with its verdict: true if it won (then {@code onReady} never runs). */
        boolean tryCancel() {
            if (!STATE.compareAndSet(this, ARMED, CANCELLED)) {
                return false;
            }
            try {
                loop.execute(() -> loop.watcher.disarm(watch, this));
            } catch (RejectedExecutionException e) {
                // the selector is closed: its watcher, and this target with it, is gone
            }
            return true;
        }
    }
}
