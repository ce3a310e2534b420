package dev.asyncjobs.core;

/** What a launched job does when its thread's pool is at its max ({@link StartStatus#NO_JOBS}). */
public enum NoJobsPolicy {
    /** Wait, first come first served and without spinning, for a job to finish (the default). */
    WAIT,
    /** Fail at once with a {@link java.util.concurrent.RejectedExecutionException}. */
    FAIL
}
