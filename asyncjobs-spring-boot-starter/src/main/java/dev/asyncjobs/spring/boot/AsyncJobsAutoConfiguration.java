package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.netty.NettyJobs;
import dev.asyncjobs.reactor.JobLoopScheduler;
import dev.asyncjobs.spring.boot.AsyncJobsProperties.Placement;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * The job loops ({@link JobLoopGroup}, the {@link JobOptions} that launch on them, their Reactor
 * {@link JobLoopScheduler}) and the {@link OffloadEngine}, configured under {@code asyncjobs.*}
 * ({@link AsyncJobsProperties}). Each bean backs off when the application defines one of the same
 * type; the group and the engine the starter makes are closed in the context's stop, after the web
 * server ({@link AsyncJobsLifecycle}). With {@code asyncjobs.placement=event-loop} the options put
 * jobs on the Netty event loop that subscribes, else on the group (async-netty's {@code
 * NettyJobs.preferEventLoop}); without async-netty on the class path that setting fails the start.
 */
@AutoConfiguration
@EnableConfigurationProperties(AsyncJobsProperties.class)
public final class AsyncJobsAutoConfiguration {

    /** Used by Spring. */
    public AsyncJobsAutoConfiguration() {
    }

    /**
     * Launch options on the group, or on the event loop that subscribes and else the group
     * ({@code asyncjobs.placement}): the adapters' {@code fromJob(job, options)} overloads take it.
     *
     * @param loops the group
     * @param properties the settings
     * @param eventLoops present when async-netty is on the class path
     * @return the options
     * @throws EventLoopPlacementUnavailableException if the event loops are asked for without
     *     async-netty: running the jobs on the loops instead would hide the mistake
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(JobLoopGroup.class)
    JobOptions asyncJobsOptions(JobLoopGroup loops, AsyncJobsProperties properties,
            ObjectProvider<EventLoopPlacement> eventLoops) {
        JobOptions onLoops = JobOptions.builder().loops(loops).onNoJobs(properties.getLoops().getOnNoJobs()).build();
        if (properties.getPlacement() != Placement.EVENT_LOOP) {
            return onLoops;
        }
        EventLoopPlacement placement = eventLoops.getIfAvailable();
        if (placement == null) {
            throw new EventLoopPlacementUnavailableException();
        }
        int maxJobs = properties.getEventLoop().getMaxJobs();
        if (maxJobs < 0) {
            throw new IllegalArgumentException(
                    "asyncjobs.event-loop.max-jobs must be >= 0 (0: no limit), was " + maxJobs);
        }
        return placement.preferEventLoop(onLoops, maxJobs);
    }

    /**
     * async-netty's placement, only when it is on the class path: Spring reads the condition from
     * the class file, so without async-netty the bean method never runs and {@link NettyJobs} is
     * never resolved. A bean rather than a condition on the options themselves, so that the options
     * keep the single-candidate check above (see {@code asyncJobsScheduler}) and the property is
     * read once, bound as an enum (any spelling Spring accepts for it).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(NettyJobs.class)
    static final class EventLoopConfiguration {

        @Bean
        EventLoopPlacement asyncJobsEventLoopPlacement() {
            return NettyJobs::preferEventLoop;
        }

        /**
         * The counters of the jobs on the event loops, with {@code asyncjobs.placement=event-loop}:
         * the metrics and the health indicator read them alongside the job loops'.
         *
         * @return async-netty's JVM-wide group of event-loop counters
         */
        @Bean
        @ConditionalOnMissingBean
        @Conditional(OnEventLoopPlacement.class)
        JobHostCounters.Group asyncJobsEventLoopCounters() {
            return NettyJobs.eventLoopCounters();
        }
    }

    /**
     * The group as a Reactor scheduler (async-reactor comes with the starter). Declared here, not
     * in a member class: member classes are registered before this class's own beans, so only here
     * does the single-candidate condition see the group of {@link LoopsConfiguration}.
     * {@code dispose()} only stops this scheduler; the group is closed by its own lifecycle.
     *
     * @param loops the group
     * @return the scheduler
     */
    @Bean(destroyMethod = "dispose")
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(JobLoopGroup.class)
    JobLoopScheduler asyncJobsScheduler(JobLoopGroup loops) {
        return JobLoopScheduler.create(loops);
    }

    /** The group and its lifecycle, unless the application has a group of its own. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnMissingBean(JobLoopGroup.class)
    static final class LoopsConfiguration {

        @Bean(destroyMethod = "close")
        JobLoopGroup asyncJobsLoopGroup(AsyncJobsProperties properties) {
            AsyncJobsProperties.Loops p = properties.getLoops();
            JobLoopGroup.Builder b = JobLoopGroup.builder().name(p.getName()).maxJobsPerLoop(p.getMaxJobsPerLoop());
            Integer threads = p.getThreads();
            if (threads != null) {
                b.threads(threads);
            }
            return b.build();
        }

        @Bean
        AsyncJobsLifecycle asyncJobsLoopGroupLifecycle(JobLoopGroup asyncJobsLoopGroup) {
            return AsyncJobsLifecycle.of(asyncJobsLoopGroup);
        }
    }

    /** The engine and its lifecycle, unless turned off or the application has its own. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnBooleanProperty(name = "asyncjobs.engine.enabled", matchIfMissing = true)
    @ConditionalOnMissingBean(OffloadEngine.class)
    static final class EngineConfiguration {

        @Bean(destroyMethod = "close")
        OffloadEngine asyncJobsEngine(AsyncJobsProperties properties) {
            AsyncJobsProperties.Engine p = properties.getEngine();
            OffloadEngine.Builder b = OffloadEngine.builder().name(p.getName()).strict(p.isStrict());
            if (p.getThreads() != null) {
                b.threads(p.getThreads());
            }
            if (p.getQueueCapacity() != null) {
                b.queueCapacity(p.getQueueCapacity());
            }
            if (p.getWakeupDelay() != null) {
                b.wakeupDelay(p.getWakeupDelay());
            }
            return b.build();
        }

        @Bean
        AsyncJobsLifecycle asyncJobsEngineLifecycle(OffloadEngine asyncJobsEngine, AsyncJobsProperties properties) {
            return AsyncJobsLifecycle.of(asyncJobsEngine, properties.getShutdown().getTimeout());
        }
    }
}
