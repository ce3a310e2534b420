package dev.asyncjobs.core;

/**
 * The status an engine leaves on a wait ctx ({@code ASYNC_WAIT_CTX_set_status}). It belongs to the
 * engine: asyncjobs never sets it. If it is not {@link #OK}, the caller must not count on the
 * ctx callback being called.
 */
public enum WaitStatus {
    /** The default: the engine did not say whether it will call the callback. */
    UNSUPPORTED,
    /** The engine failed. */
    ERR,
    /** The engine will call the callback when the job can be resumed. */
    OK,
    /** The engine is busy (e.g. its queue is full); the job should try again. */
    EAGAIN
}
