package dev.asyncjobs.micrometer;

import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Meters for the jobs on {@link dev.asyncjobs.core.JobHost} threads (Netty event loops: {@code
 * NettyJobs.eventLoopCounters()} of async-netty), one set per host, with the names and tag keys
 * of {@link JobLoopMetrics}: tag {@code group} is the host group's name ({@code event-loops} for
 * Netty's), which tells them apart from the job loops' (tagged with their group's name), and
 * {@code loop} is the host thread's name. So one query over {@code asyncjobs.jobs.started} sums
 * every job wherever it ran, and {@code group="event-loops"} selects the event loops' share.
 *
 * <p>The same tag keys on purpose: a meter name must keep one set of tag keys (Prometheus refuses a
 * second set, and Micrometer's Prometheus registry then drops the meters), so a separate tag such
 * as {@code host} only on these would lose them there.
 *
 * <p>Hosts are usually made lazily (an event loop joins its group at its first job), so the meters
 * of each host are registered when it joins ({@link JobHostCounters.Group#onRegister}), on the
 * host's thread; {@link #close()} stops that. Registered: {@value JobLoopMetrics#JOBS_ACTIVE},
 * {@value JobLoopMetrics#JOBS_PAUSED}, {@value JobLoopMetrics#JOBS_SLOT_WAITING}, {@value
 * JobLoopMetrics#JOBS_STARTED}, {@value JobLoopMetrics#JOBS_COMPLETED} (tag {@code outcome}),
 * {@value JobLoopMetrics#JOBS_SLOT_WAIT}, {@value JobLoopMetrics#LOOP_PENDING_TASKS} and {@value
 * JobLoopMetrics#LOOP_RUNNING}; not {@value JobLoopMetrics#JOBS_SLOTS} (a host's pool size is only
 * known once a job ran there: it is in the counters' {@link JobLoopStats#maxJobs()}).
 *
 * <pre>{@code
 * new JobHostMetrics(NettyJobs.eventLoopCounters()).bindTo(registry);   // Spring Boot: the starter does it
 * }</pre>
 */
public final class JobHostMetrics implements MeterBinder, AutoCloseable {
    private final JobHostCounters.Group group;
    private final Tags tags;
    private final List<Runnable> bindings = new CopyOnWriteArrayList<>();

    /**
     * Meters for the hosts of {@code group}, tagged with its name and each host's.
     *
     * @param group the hosts
     * @throws NullPointerException if {@code group} is null
     */
    public JobHostMetrics(JobHostCounters.Group group) {
        this(group, Tags.empty());
    }

    /**
     * Meters for the hosts of {@code group} with extra tags.
     *
     * @param group the hosts
     * @param tags added to every meter
     * @throws NullPointerException if an argument is null
     */
    public JobHostMetrics(JobHostCounters.Group group, Iterable<Tag> tags) {
        this.group = Objects.requireNonNull(group, "group");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags")).and("group", group.name());
    }

    /**
     * Registers the meters of the group's hosts now, and of each host that joins later, until {@link
     * #close()}.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        bindings.add(group.onRegister(c -> bind(registry, c)));
    }

    /** Stops registering the meters of hosts that join from now on; meters registered stay. */
    @Override
    public void close() {
        for (Runnable r : bindings) {
            r.run();
        }
        bindings.clear();
    }

    private void bind(MeterRegistry registry, JobHostCounters host) {
        Tags t = tags.and("loop", host.name());
        gauge(registry, JobLoopMetrics.JOBS_ACTIVE, host, s -> s.jobsAlive(), t, "jobs",
                "Jobs alive on the host thread: running, paused or waiting for a slot");
        gauge(registry, JobLoopMetrics.JOBS_PAUSED, host, s -> s.jobsPaused(), t, "jobs",
                "Jobs paused, waiting for an fd, a callback or an engine");
        gauge(registry, JobLoopMetrics.JOBS_SLOT_WAITING, host, s -> s.jobsWaitingForSlot(), t, "jobs",
                "Jobs waiting for a free slot of the host thread's full pool");
        gauge(registry, JobLoopMetrics.LOOP_PENDING_TASKS, host, s -> s.pendingTasks(), t, "tasks",
                "Tasks queued on the host thread and not run yet");
        gauge(registry, JobLoopMetrics.LOOP_RUNNING, host, s -> s.loopsRunning(), t, null,
                "1 while the host thread runs, 0 once it shuts down");
        FunctionCounter.builder(JobLoopMetrics.JOBS_STARTED, host, h -> h.stats().jobsStarted()).tags(t)
                .baseUnit("jobs").description("Jobs started on the host thread").register(registry);
        completed(registry, host, t, "success", s -> s.jobsSucceeded(), "Jobs that ended with a value");
        completed(registry, host, t, "failure", s -> s.jobsFailed(), "Jobs that ended with an error");
        completed(registry, host, t, "cancelled", s -> s.jobsCancelled(), "Jobs their subscriber cancelled");
        FunctionTimer.builder(JobLoopMetrics.JOBS_SLOT_WAIT, host, h -> h.stats().slotWaits(),
                h -> h.stats().slotWaitNanos(), TimeUnit.NANOSECONDS).tags(t)
                .description("Waits of jobs for a free slot of a full pool").register(registry);
    }

    private static void gauge(MeterRegistry registry, String name, JobHostCounters host,
            ToDoubleFunction<JobLoopStats> f, Tags tags, @Nullable String unit, String description) {
        Gauge.builder(name, host, h -> f.applyAsDouble(h.stats())).tags(tags).baseUnit(unit).description(description)
                .register(registry);
    }

    private static void completed(MeterRegistry registry, JobHostCounters host, Tags tags, String outcome,
            ToDoubleFunction<JobLoopStats> f, String description) {
        FunctionCounter.builder(JobLoopMetrics.JOBS_COMPLETED, host, h -> f.applyAsDouble(h.stats()))
                .tags(tags.and("outcome", outcome)).baseUnit("jobs").description(description).register(registry);
    }

    @Override
    public String toString() {
        return "JobHostMetrics[" + group.name() + "]";
    }
}
