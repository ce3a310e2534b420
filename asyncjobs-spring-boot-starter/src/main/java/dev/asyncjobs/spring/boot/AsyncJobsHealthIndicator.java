package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobLoopStats;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.engine.OffloadEngineStats;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the job loops and the offload engine: {@code DOWN} when the group is closed or one of
 * its loops has stopped (a loop whose selector broke stops for good and fails its jobs; its share
 * of the launches would fail too), or when the engine is closed; {@code UP} otherwise. The details
 * carry the figures of {@link JobLoopStats} and {@link OffloadEngineStats}: an engine whose queue
 * stays full, or loops whose pending tasks grow, are {@code UP} but saturated, which is the
 * metrics' job to alert on (docs/spring-boot.md), not a health check's.
 *
 * <p>With jobs on Netty event loops ({@code asyncjobs.placement=event-loop}), the details also carry
 * their counts under {@code eventLoops} (the sum over the event loops that have run a job). They do
 * not change the status: the event loops are the web server's, and its own health is not ours to
 * report.
 */
public final class AsyncJobsHealthIndicator extends AbstractHealthIndicator {
    private final @Nullable JobLoopGroup loops;
    private final @Nullable OffloadEngine engine;
    private final JobHostCounters.@Nullable Group eventLoops;

    /**
     * Health of {@code loops} and {@code engine}, either of which may be absent.
     *
     * @param loops the group, or null
     * @param engine the engine, or null
     */
    public AsyncJobsHealthIndicator(@Nullable JobLoopGroup loops, @Nullable OffloadEngine engine) {
        this(loops, engine, null);
    }

    /**
     * Health of {@code loops} and {@code engine}, with the counts of the jobs on the hosts of {@code
     * eventLoops} (async-netty's {@code NettyJobs.eventLoopCounters()}); any may be absent.
     *
     * @param loops the group, or null
     * @param engine the engine, or null
     * @param eventLoops the event loops' job counters, or null
     */
    public AsyncJobsHealthIndicator(@Nullable JobLoopGroup loops, @Nullable OffloadEngine engine,
            JobHostCounters.@Nullable Group eventLoops) {
        super("asyncjobs health check failed");
        this.loops = loops;
        this.engine = engine;
        this.eventLoops = eventLoops;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        boolean up = true;
        JobLoopGroup g = loops;
        if (g != null) {
            JobLoopStats s = g.stats();
            builder.withDetail("loops", details(s, g));
            up = !g.isClosed() && s.loopsRunning() == s.loops();
        }
        JobHostCounters.Group hosts = eventLoops;
        if (hosts != null) {
            builder.withDetail("eventLoops", details(hosts.stats(), null));
        }
        OffloadEngine e = engine;
        if (e != null) {
            OffloadEngineStats s = e.stats();
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("name", s.name());
            d.put("closed", s.closed());
            d.put("threads", s.threads());
            d.put("threadsBusy", s.threadsBusy());
            d.put("queued", s.queued());
            d.put("queueCapacity", s.queueCapacity());
            d.put("callsSubmitted", s.callsSubmitted());
            d.put("callsSucceeded", s.callsSucceeded());
            d.put("callsFailed", s.callsFailed());
            d.put("callsRejected", s.callsRejected());
            builder.withDetail("engine", d);
            up &= !s.closed();
        }
        if (up) {
            builder.up();
        } else {
            builder.down();
        }
    }

    /** The job counts of loops or event loops; {@code group} adds what only job loops have. */
    private static Map<String, Object> details(JobLoopStats s, @Nullable JobLoopGroup group) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", s.name());
        if (group != null) {
            d.put("closed", group.isClosed());
        }
        d.put("loops", s.loops());
        d.put("loopsRunning", s.loopsRunning());
        d.put("jobsActive", s.jobsAlive());
        d.put("jobsPaused", s.jobsPaused());
        d.put("jobsWaitingForSlot", s.jobsWaitingForSlot());
        d.put("pendingTasks", s.pendingTasks());
        if (group != null) {
            d.put("maxJobsPerLoop", s.loops() == 0 ? 0 : s.maxJobs() / s.loops());
        }
        d.put("jobsStarted", s.jobsStarted());
        d.put("jobsSucceeded", s.jobsSucceeded());
        d.put("jobsFailed", s.jobsFailed());
        d.put("jobsCancelled", s.jobsCancelled());
        return d;
    }
}
