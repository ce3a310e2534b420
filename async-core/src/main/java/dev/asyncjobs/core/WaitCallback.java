package dev.asyncjobs.core;

import org.jspecify.annotations.Nullable;

/**
 * The wake-up callback of a wait ctx ({@code ASYNC_callback_fn}). An engine that finds one set
 * calls it, from any thread, when the paused job can be resumed. It must be small and must not
 * block.
 */
@FunctionalInterface
public interface WaitCallback {
    /**
     * Called by the engine to ask for the job to be resumed.
     *
     * @param arg the argument given to {@link AsyncWaitCtx#setCallback}
     * @return {@code true} if the wake-up was accepted
     */
    boolean onWake(@Nullable Object arg);
}
