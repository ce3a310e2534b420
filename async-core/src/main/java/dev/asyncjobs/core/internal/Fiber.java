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
     *     stack); the body then simply goes on
     */
    public abstract boolean suspend();

    /**
     * Called by the owner on a fiber whose body has returned or was never started, to release what
     * the backend holds (the virtual thread). The body must have been told to return first.
     */
    public abstract void dispose();
}
