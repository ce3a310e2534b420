package dev.asyncjobs.core;

/** A launched job, as {@link AsyncJobs#launch} returns it. */
public interface JobTicket {
    /**
     * A ticket that stands for "cancelled before the real ticket arrived", for code that keeps a
     * job's ticket in an atomic field (reactor-core's {@code Operators.cancelledSubscription()}
     * plays the same part for subscriptions): a cancel swaps it in, and a launch that finds it
     * there cancels the ticket it just got. Its {@link #cancel()} does nothing and it is
     * {@link #isDone() done}.
     */
    JobTicket CANCELLED = new JobTicket() {
        @Override
        public void cancel() {
        }

        @Override
        public boolean isDone() {
            return true;
        }

        @Override
        public String toString() {
            return "JobTicket.CANCELLED";
        }
    };

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
