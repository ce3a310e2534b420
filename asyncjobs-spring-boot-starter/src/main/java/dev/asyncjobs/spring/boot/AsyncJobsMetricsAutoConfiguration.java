package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.engine.OffloadEngine;
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
 * /actuator/metrics}. Names and tags: docs/spring-boot.md.
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
}
