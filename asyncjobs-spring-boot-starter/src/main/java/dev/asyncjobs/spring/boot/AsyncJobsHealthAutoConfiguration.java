package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.engine.OffloadEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code asyncJobs} health entry ({@link AsyncJobsHealthIndicator}) when the application has
 * Spring Boot's health support (Actuator); {@code management.health.asyncjobs.enabled=false}
 * turns it off.
 */
@AutoConfiguration(after = AsyncJobsAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnEnabledHealthIndicator("asyncjobs")
public final class AsyncJobsHealthAutoConfiguration {

    /** Used by Spring. */
    public AsyncJobsHealthAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean(name = "asyncJobsHealthIndicator")
    AsyncJobsHealthIndicator asyncJobsHealthIndicator(ObjectProvider<JobLoopGroup> loops,
            ObjectProvider<OffloadEngine> engine, ObjectProvider<JobHostCounters.Group> eventLoops) {
        return new AsyncJobsHealthIndicator(loops.getIfUnique(), engine.getIfUnique(), eventLoops.getIfUnique());
    }
}
