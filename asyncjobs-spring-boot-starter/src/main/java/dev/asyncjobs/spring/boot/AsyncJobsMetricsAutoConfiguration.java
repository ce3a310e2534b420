package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.micrometer.JobHostMetrics;
import dev.asyncjobs.micrometer.JobLoopMetrics;
import dev.asyncjobs.micrometer.OffloadEngineMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters for the loops and the engine ({@link JobLoopMetrics}, {@link
 * OffloadEngineMetrics}) when the application has Micrometer (and async-micrometer): Spring Boot
 * binds every {@code MeterBinder} bean to its registries, so they show in {@code
 * /actuator/metrics}. With {@code asyncjobs.placement=event-loop}, also the jobs on the Netty event
 * loops ({@link JobHostMetrics}: the same meters, tag {@code group=event-loops}, one {@code loop}
 * per event loop as it runs its first job). Names and tags: docs/spring-boot.md.
 */
@AutoConfiguration(after = AsyncJobsAutoConfiguration.class)
@ConditionalOnClass(name = {"io.micrometer.core.instrument.binder.MeterBinder",
        "dev.asyncjobs.micrometer.JobLoopMetrics"})
public final class AsyncJobsMetricsAutoConfiguration {

    /** Used by Spring. */
    public AsyncJobsMetricsAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(JobLoopGroup.class)
    JobLoopMetrics asyncJobsLoopMetrics(ObjectProvider<JobLoopGroup> loops) {
        return new JobLoopMetrics(loops.getObject());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(OffloadEngine.class)
    OffloadEngineMetrics asyncJobsEngineMetrics(ObjectProvider<OffloadEngine> engine) {
        return new OffloadEngineMetrics(engine.getObject());
    }

    /**
     * The event loops' job meters, when there are event-loop counters (placement {@code
     * event-loop}). Closed with the context: it then stops registering meters for event loops
     * that join later (the counters' group outlives the context).
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(JobHostCounters.Group.class)
    JobHostMetrics asyncJobsEventLoopMetrics(ObjectProvider<JobHostCounters.Group> hosts) {
        return new JobHostMetrics(hosts.getObject());
    }
}
