package dev.asyncjobs.micrometer;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobLoopStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Meters for a {@link JobLoopGroup}, one set per loop, tagged {@code group} (the group's name) and
 * {@code loop} (the loop thread's name), read from {@link JobLoop#stats()} when the registry asks:
 *
 * <table>
 *   <caption>Job loop meters</caption>
 *   <tr><th>name</th><th>type</th><th>what it is</th></tr>
 *   <tr><td>{@value #JOBS_ACTIVE}</td><td>gauge</td><td>jobs alive: running, paused or waiting for a slot</td></tr>
 *   <tr><td>{@value #JOBS_PAUSED}</td><td>gauge</td><td>jobs paused (waiting for an fd, a callback or an engine)</td></tr>
 *   <tr><td>{@value #JOBS_SLOT_WAITING}</td><td>gauge</td><td>jobs waiting for a free slot of a full pool</td></tr>
 *   <tr><td>{@value #JOBS_SLOTS}</td><td>gauge</td><td>the pool size (jobs alive at most); only for bounded pools</td></tr>
 *   <tr><td>{@value #JOBS_STARTED}</td><td>counter</td><td>jobs started on the loop</td></tr>
 *   <tr><td>{@value #JOBS_COMPLETED}</td><td>counter</td><td>jobs ended, tag {@code outcome}: {@code success}, {@code failure}, {@code cancelled}</td></tr>
 *   <tr><td>{@value #JOBS_SLOT_WAIT}</td><td>timer</td><td>ended waits for a slot and their total time</td></tr>
 *   <tr><td>{@value #LOOP_PENDING_TASKS}</td><td>gauge</td><td>tasks queued on the loop thread, not run yet</td></tr>
 *   <tr><td>{@value #LOOP_RUNNING}</td><td>gauge</td><td>1 while the loop thread runs, 0 once it stopped</td></tr>
 * </table>
 *
 * <pre>{@code
 * new JobLoopMetrics(loops).bindTo(registry);   // Spring Boot: the starter registers it
 * }</pre>
 */
public final class JobLoopMetrics implements MeterBinder {
    /** Gauge: jobs alive (running, paused or waiting for a slot). */
    public static final String JOBS_ACTIVE = "asyncjobs.jobs.active";
    /** Gauge: jobs paused. */
    public static final String JOBS_PAUSED = "asyncjobs.jobs.paused";
    /** Gauge: jobs waiting for a slot. */
    public static final String JOBS_SLOT_WAITING = "asyncjobs.jobs.slot.waiting";
    /** Gauge: the pool size per loop (bounded pools only). */
    public static final String JOBS_SLOTS = "asyncjobs.jobs.slots";
    /** Counter: jobs started. */
    public static final String JOBS_STARTED = "asyncjobs.jobs.started";
    /** Counter: jobs ended, tag {@code outcome}. */
    public static final String JOBS_COMPLETED = "asyncjobs.jobs.completed";
    /** Timer: waits for a slot. */
    public static final String JOBS_SLOT_WAIT = "asyncjobs.jobs.slot.wait";
    /** Gauge: tasks queued on the loop thread. */
    public static final String LOOP_PENDING_TASKS = "asyncjobs.loop.pending.tasks";
    /** Gauge: 1 while the loop runs. */
    public static final String LOOP_RUNNING = "asyncjobs.loop.running";

    private final JobLoopGroup group;
    private final Tags tags;

    /**
     * Meters for {@code group}, tagged with its name and each loop's.
     *
     * @param group the group
     * @throws NullPointerException if {@code group} is null
     */
    public JobLoopMetrics(JobLoopGroup group) {
        this(group, Tags.empty());
    }

    /**
     * Meters for {@code group} with extra tags.
     *
     * @param group the group
     * @param tags added to every meter
     * @throws NullPointerException if an argument is null
     */
    public JobLoopMetrics(JobLoopGroup group, Iterable<Tag> tags) {
        this.group = Objects.requireNonNull(group, "group");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags")).and("group", group.name());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        for (int i = 0; i < group.size(); i++) {
            JobLoop loop = group.loop(i);
            Tags t = tags.and("loop", loop.name());
            gauge(registry, JOBS_ACTIVE, loop, s -> s.jobsAlive(), t, "jobs", "Jobs alive on the loop: running, paused or waiting for a slot");
            gauge(registry, JOBS_PAUSED, loop, s -> s.jobsPaused(), t, "jobs", "Jobs paused, waiting for an fd, a callback or an engine");
            gauge(registry, JOBS_SLOT_WAITING, loop, s -> s.jobsWaitingForSlot(), t, "jobs",
                    "Jobs waiting for a free slot of the loop's full pool");
            gauge(registry, LOOP_PENDING_TASKS, loop, s -> s.pendingTasks(), t, "tasks",
                    "Tasks queued on the loop thread and not run yet");
            gauge(registry, LOOP_RUNNING, loop, s -> s.loopsRunning(), t, null, "1 while the loop thread runs, 0 once it stopped");
            if (loop.stats().maxJobs() > 0) {
                gauge(registry, JOBS_SLOTS, loop, s -> s.maxJobs(), t, "jobs", "The loop's pool size: jobs alive at most");
            }
            FunctionCounter.builder(JOBS_STARTED, loop, l -> l.stats().jobsStarted()).tags(t).baseUnit("jobs")
                    .description("Jobs started on the loop").register(registry);
            completed(registry, loop, t, "success", s -> s.jobsSucceeded(), "Jobs that ended with a value");
            completed(registry, loop, t, "failure", s -> s.jobsFailed(), "Jobs that ended with an error");
            completed(registry, loop, t, "cancelled", s -> s.jobsCancelled(), "Jobs their subscriber cancelled");
            FunctionTimer.builder(JOBS_SLOT_WAIT, loop, l -> l.stats().slotWaits(), l -> l.stats().slotWaitNanos(),
                    TimeUnit.NANOSECONDS).tags(t).description("Waits of jobs for a free slot of a full pool")
                    .register(registry);
        }
    }

    private static void gauge(MeterRegistry registry, String name, JobLoop loop, ToDoubleFunction<JobLoopStats> f,
            Tags tags, @Nullable String unit, String description) {
        Gauge.builder(name, loop, l -> f.applyAsDouble(l.stats())).tags(tags).baseUnit(unit).description(description)
                .register(registry);
    }

    private static void completed(MeterRegistry registry, JobLoop loop, Tags tags, String outcome,
            ToDoubleFunction<JobLoopStats> f, String description) {
        FunctionCounter.builder(JOBS_COMPLETED, loop, l -> f.applyAsDouble(l.stats())).tags(tags.and("outcome", outcome))
                .baseUnit("jobs").description(description).register(registry);
    }
}
