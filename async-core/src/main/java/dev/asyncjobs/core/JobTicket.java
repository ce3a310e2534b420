package dev.asyncjobs.core;

/** A launched job, as {@link AsyncJobs#launch} returns it. */
public interface JobTicket {
    /**
     * Cancels the job. Not started yet (or waiting for a slot): it never starts. Paused: it is
     * resumed cancelled ({@link AsyncJob#pause()} returns false), runs to its end, its ctx is
     * closed and its slot freed; the outcome then goes to {@link JobObserver#onDropped}. Running:
     * the same, at its next pause. Idempotent; thread-safe.
     */
    void cancel();

    /**
     * Whether the job has ended, its ctx is closed and its observer has returned (or it was
     * cancelled before starting and cleaned up).
     *
     * @return {@code true} once done
     */
    boolean isDone();
}
