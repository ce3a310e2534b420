package dev.asyncjobs.micrometer;

import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopStats;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

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
        // no pool-size gauge: a host's pool size is only known once its first job started
        JobStatsMeters.register(registry, host, JobHostCounters::stats, tags.and("loop", host.name()), "host", false);
    }

    @Override
    public String toString() {
        return "JobHostMetrics[" + group.name() + "]";
    }
}
