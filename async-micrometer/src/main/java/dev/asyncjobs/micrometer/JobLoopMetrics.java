package dev.asyncjobs.micrometer;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;

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
            JobStatsMeters.register(registry, loop, JobLoop::stats, tags.and("loop", loop.name()), "loop",
                    loop.stats().maxJobs() > 0);
        }
    }
}
