package dev.asyncjobs.core;

/** What {@link AsyncJob#start} returns: OpenSSL's {@code ASYNC_ERR / NO_JOBS / PAUSE / FINISH}. */
public enum StartStatus {
    /** The call was misused (wrong thread, other ctx, nested or re-entrant start); nothing changed. */
    ERR,
    /** This thread's pool has no free job; retry after a job finishes. */
    NO_JOBS,
    /** The job paused; pass the same handle to {@code start} again to resume it. */
    PAUSE,
    /** The job finished; its outcome is in the handle's {@code result()} or {@code failure()}. */
    FINISH
}
