package dev.asyncjobs.core;

import java.util.Objects;

/**
 * A read-only snapshot of one {@link JobLoop}'s counters ({@link JobLoop#stats()}), or of a whole
 * {@link JobLoopGroup}'s, summed over its loops ({@link JobLoopGroup#stats()}); also of the jobs
 * on one {@link JobHost} thread, a Netty event loop say ({@link JobHostCounters#stats()}), or on a
 * group of them ({@link JobHostCounters.Group#stats()}): a host is counted as a loop is. For
 * metrics systems: async-micrometer turns it into meters.
 *
 * <p>Cheap to take and free on the jobs' path: each loop thread keeps plain counters of its own
 * jobs (no shared atomic per job), and a snapshot reads them with opaque reads. The fields are
 * read one after the other while the loops run, so they are each exact but not a consistent set
 * (e.g. {@code jobsStarted} may already count a job that {@code jobsAlive} does not show yet).
 * Counters ({@code jobsStarted} ... {@code slotWaitNanos}) only ever grow; the others are gauges.
 * With {@code -Dasyncjobs.stats=false} the counters stay at 0 (the gauges still work).
 *
 * @param name the loop's (or host's) thread name, or the group's name for a group total
 * @param loops the loops counted: 1 for a loop, the group's size for a group
 * @param loopsRunning loops whose thread still runs (0 once closed, or stopped for good by a
 *     broken selector: a group whose value is below {@code loops} while it is not closed has lost
 *     a loop and the jobs it would have run)
 * @param jobsAlive jobs started on the loop and not done: running, paused or waiting for a slot
 * @param jobsPaused jobs paused now (waiting for an fd, a callback or an engine)
 * @param jobsWaitingForSlot jobs waiting now for a free slot of a full pool ({@link NoJobsPolicy#WAIT})
 * @param pendingTasks tasks queued on the loop thread and not run yet (starts, resumes, scheduler
 *     tasks): a loop that cannot keep up shows it here first. Counted by walking the queue when
 *     the snapshot is taken.
 * @param maxJobs the pool size per loop ({@link JobLoopGroup.Builder#maxJobsPerLoop}), summed for a
 *     group; 0 means no limit
 * @param jobsStarted jobs that started running on the loop (a job refused before it ever ran, by a
 *     closed group, is not counted here and not in the outcomes below)
 * @param jobsSucceeded started jobs that ended with a value (or none: an empty {@code Mono})
 * @param jobsFailed started jobs that ended with an error (the job's function threw, the loop
 *     closed under it, ...)
 * @param jobsCancelled started jobs whose subscriber cancelled them ({@code dispose()}, {@code
 *     timeout()}, ...); they ran to their end as cancelled jobs
 * @param slotWaits waits for a slot that have ended (the job got a slot or gave up)
 * @param slotWaitNanos the total time of those waits, in nanoseconds
 */
public record JobLoopStats(String name, int loops, int loopsRunning, int jobsAlive, long jobsPaused,
        long jobsWaitingForSlot, int pendingTasks, int maxJobs, long jobsStarted, long jobsSucceeded,
        long jobsFailed, long jobsCancelled, long slotWaits, long slotWaitNanos) {

    /**
     * Checks the name.
     *
     * @throws NullPointerException if {@code name} is null
     */
    public JobLoopStats {
        Objects.requireNonNull(name, "name");
    }

    /**
     * Jobs that ended, whatever the outcome: succeeded + failed + cancelled.
     *
     * @return the count
     */
    public long jobsCompleted() {
        return jobsSucceeded + jobsFailed + jobsCancelled;
    }

    static JobLoopStats zero(String name) {
        return new JobLoopStats(name, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** The sum of two snapshots, named {@code name} (a group total). */
    JobLoopStats plus(JobLoopStats o, String total) {
        return new JobLoopStats(total, loops + o.loops, loopsRunning + o.loopsRunning, jobsAlive + o.jobsAlive,
                jobsPaused + o.jobsPaused, jobsWaitingForSlot + o.jobsWaitingForSlot, pendingTasks + o.pendingTasks,
                maxJobs + o.maxJobs, jobsStarted + o.jobsStarted, jobsSucceeded + o.jobsSucceeded,
                jobsFailed + o.jobsFailed, jobsCancelled + o.jobsCancelled, slotWaits + o.slotWaits,
                slotWaitNanos + o.slotWaitNanos);
    }
}
