package dev.asyncjobs.micrometer;

import dev.asyncjobs.core.JobLoopStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * The job meters of one thread that runs jobs, a job loop ({@link JobLoopMetrics}) or a host such
 * as a Netty event loop ({@link JobHostMetrics}): the same names and tag keys for both, so a query
 * without {@code group} sums every job wherever it ran. Each meter reads the thread's
 * {@link JobLoopStats} when the registry asks.
 */
final class JobStatsMeters {
    private JobStatsMeters() {
    }

    /**
     * Registers the meters of {@code source}.
     *
     * @param where "loop" or "host", for the descriptions
     * @param withSlots whether to register {@link JobLoopMetrics#JOBS_SLOTS} (a pool size known now)
     */
    static <T> void register(MeterRegistry registry, T source, Function<T, JobLoopStats> stats, Tags t, String where,
            boolean withSlots) {
        gauge(registry, JobLoopMetrics.JOBS_ACTIVE, source, stats, s -> s.jobsAlive(), t, "jobs",
                "Jobs alive on the " + where + " thread: running, paused or waiting for a slot");
        gauge(registry, JobLoopMetrics.JOBS_PAUSED, source, stats, s -> s.jobsPaused(), t, "jobs",
                "Jobs paused, waiting for an fd, a callback or an engine");
        gauge(registry, JobLoopMetrics.JOBS_SLOT_WAITING, source, stats, s -> s.jobsWaitingForSlot(), t, "jobs",
                "Jobs waiting for a free slot of the " + where + " thread's full pool");
        gauge(registry, JobLoopMetrics.LOOP_PENDING_TASKS, source, stats, s -> s.pendingTasks(), t, "tasks",
                "Tasks queued on the " + where + " thread and not run yet");
        gauge(registry, JobLoopMetrics.LOOP_RUNNING, source, stats, s -> s.loopsRunning(), t, null,
                "1 while the " + where + " thread runs, 0 once it stopped");
        if (withSlots) {
            gauge(registry, JobLoopMetrics.JOBS_SLOTS, source, stats, s -> s.maxJobs(), t, "jobs",
                    "The " + where + " thread's pool size: jobs alive at most");
        }
        FunctionCounter.builder(JobLoopMetrics.JOBS_STARTED, source, x -> stats.apply(x).jobsStarted()).tags(t)
                .baseUnit("jobs").description("Jobs started on the " + where + " thread").register(registry);
        completed(registry, source, stats, t, "success", s -> s.jobsSucceeded(), "Jobs that ended with a value");
        completed(registry, source, stats, t, "failure", s -> s.jobsFailed(), "Jobs that ended with an error");
        completed(registry, source, stats, t, "cancelled", s -> s.jobsCancelled(), "Jobs their subscriber cancelled");
        FunctionTimer.builder(JobLoopMetrics.JOBS_SLOT_WAIT, source, x -> stats.apply(x).slotWaits(),
                x -> stats.apply(x).slotWaitNanos(), TimeUnit.NANOSECONDS).tags(t)
                .description("Waits of jobs for a free slot of a full pool").register(registry);
    }

    private static <T> void gauge(MeterRegistry registry, String name, T source, Function<T, JobLoopStats> stats,
            ToDoubleFunction<JobLoopStats> f, Tags tags, @Nullable String unit, String description) {
        Gauge.builder(name, source, x -> f.applyAsDouble(stats.apply(x))).tags(tags).baseUnit(unit)
                .description(description).register(registry);
    }

    private static <T> void completed(MeterRegistry registry, T source, Function<T, JobLoopStats> stats, Tags tags,
            String outcome, ToDoubleFunction<JobLoopStats> f, String description) {
        FunctionCounter.builder(JobLoopMetrics.JOBS_COMPLETED, source, x -> f.applyAsDouble(stats.apply(x)))
                .tags(tags.and("outcome", outcome)).baseUnit("jobs").description(description).register(registry);
    }
}
