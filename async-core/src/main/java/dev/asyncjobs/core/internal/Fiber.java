package dev.asyncjobs.core.internal;

/**
 * A body that can be suspended and resumed. Not thread-safe: {@link #resume()} is called by one
 * owner at a time, {@link #suspend()} only from inside the body.
 */
public abstract class Fiber {
    /** Runs (or goes on running) the body until it suspends or returns. */
    public abstract void resume();

    /**
     * Called from inside the body: gives control back to {@link #resume()}'s caller.
     *
     * @return {@code false} if the JVM refused to suspend here (e.g. a native frame is on the
     *     stack), or, on virtual threads, the owner thread died and will never resume it; the
     *     body then simply goes on
     */
    public abstract boolean suspend();

    /** Called by the owner after a job finished (the body returned, or suspended after the job). */
    public abstract void finished();

    /**
     * Whether the body must loop over jobs (suspending after each) rather than run one job and
     * return. A virtual thread is worth keeping; a continuation is cheaper to make anew.
     *
     * @return {@code true} for a looping body
     */
    public abstract boolean loops();

    /**
     * Called by the owner on an idle fiber to release what the backend holds. A looping body must
     * have been told to return and resumed once first.
     */
    public abstract void dispose();
}
