package dev.asyncjobs.core;

import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * What OpenSSL keeps per thread: the running job and the pool. On the virtual-thread backend a
 * job's own virtual thread has a state whose {@code current} is that job for good.
 *
 * <p>Beyond OpenSSL, a trampoline for the runners' steps ({@link JobRunner}): a step that must
 * run on this thread while a job runs here (a wake-up from inside another job, resumed by an
 * inline executor) or while another step runs here is deferred, and runs as soon as the current
 * segment or step has ended. Running it in place would nest a job inside a job ({@code start}
 * returns {@code ERR}) or grow the stack with every wake-up of a ping-pong.
 */
final class ThreadState {
    static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

    /** A runner step that can wait until this thread is free. */
    interface Step {
        void step();
    }

    @Nullable AsyncJob current;
    @Nullable JobPool pool;
    /** Whether a step (or a drain) runs on this thread now. */
    boolean draining;
    /** Lazily made: a job's own virtual thread has a state too, and most never defer. */
    private @Nullable ArrayDeque<Step> deferred;

    static ThreadState get() {
        return STATE.get();
    }

    /** Runs {@code s} once this thread has finished its current segment or step. */
    void defer(Step s) {
        ArrayDeque<Step> d = deferred;
        if (d == null) {
            d = deferred = new ArrayDeque<>();
        }
        d.add(s);
    }

    /**
     * Runs {@code first}, then every step deferred meanwhile, iteratively: the stack stays flat
     * however long a chain of wake-ups on one thread is. What {@code first} throws propagates.
     */
    void runTrampolined(Step first) {
        draining = true;
        try {
            first.step();
        } finally {
            try {
                drainLoop();
            } finally {
                draining = false;
            }
        }
    }

    /** Runs the deferred steps now, unless a step or drain is already under way on this thread. */
    void drain() {
        ArrayDeque<Step> d = deferred;
        if (draining || d == null || d.isEmpty()) {
            return;
        }
        draining = true;
        try {
            drainLoop();
        } finally {
            draining = false;
        }
    }

    private void drainLoop() {
        ArrayDeque<Step> d = deferred;
        if (d == null) {
            return;
        }
        Error fatal = null;
        Step s;
        while ((s = d.poll()) != null) {
            try {
                s.step();
            } catch (Throwable t) {
                if (fatal == null && AsyncJob.isFatal(t)) {
                    fatal = (Error) t; // rethrown once the queue is empty: no step is stranded
                } else {
                    AsyncHooks.onError(t);
                }
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }
}
