package dev.asyncjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.netty.NettyJobs;
import dev.asyncjobs.reactor.JobLoopScheduler;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.beans.BeanUtils;
import org.springframework.core.io.UrlResource;
import org.springframework.core.io.support.PropertiesLoaderUtils;
import org.springframework.util.StringUtils;

/**
 * {@code asyncjobs.placement} and {@code asyncjobs.event-loop.max-jobs}: the job loops by default,
 * async-netty's event-loop placement (with the starter's loops as the fallback) when asked for, a
 * start-up failure naming the missing artifact when async-netty is absent, and the application's
 * own options still winning.
 */
@Timeout(120)
class EventLoopPlacementAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(AsyncJobsAutoConfiguration.class, AsyncJobsCryptoAutoConfiguration.class))
            .withPropertyValues("asyncjobs.loops.threads=1", "asyncjobs.engine.threads=1");

    @Test
    void withoutThePropertyTheOptionsAreOnTheLoops() {
        runner.run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx.getBean(AsyncJobsProperties.class).getPlacement())
                    .isEqualTo(AsyncJobsProperties.Placement.LOOPS);
            JobPlacement p = ctx.getBean(JobOptions.class).placement();
            assertThat(p).isNotNull();
            assertThat(p.loops()).isSameAs(ctx.getBean(JobLoopGroup.class));
            assertThat(p.hostLookup()).as("no host: the loops only").isNull();
        });
        // the same with async-netty absent: the default never needs it
        runner.withClassLoader(new FilteredClassLoader(NettyJobs.class)).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx.getBean(JobOptions.class).placement().hostLookup()).isNull();
        });
        // and when said explicitly, event-loop settings are not used
        runner.withPropertyValues("asyncjobs.placement=loops", "asyncjobs.event-loop.max-jobs=5").run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx.getBean(JobOptions.class).placement().hostLookup()).isNull();
        });
    }

    @Test
    void eventLoopPutsJobsOnTheEventLoopWithThePoolSizeAndTheLoopsAsFallback() {
        for (String spelling : List.of("event-loop", "EVENT_LOOP", "eventLoop")) {
            runner.withPropertyValues("asyncjobs.placement=" + spelling, "asyncjobs.event-loop.max-jobs=64",
                    "asyncjobs.loops.on-no-jobs=fail").run(ctx -> {
                        assertThat(ctx).hasNotFailed();
                        JobLoopGroup loops = ctx.getBean(JobLoopGroup.class);
                        JobOptions options = ctx.getBean(JobOptions.class);
                        JobPlacement p = options.placement();
                        assertThat(p).as(spelling).isNotNull();
                        assertThat(p.hostLookup()).as("the current event loop").isSameAs(NettyJobs.currentEventLoop());
                        assertThat(p.poolSize()).as("each event loop's pool").isEqualTo(64);
                        assertThat(p.loops()).as("the fallback: the starter's loops").isSameAs(loops);
                        assertThat(options.onNoJobs()).as("the policy is kept").isEqualTo(NoJobsPolicy.FAIL);
                        // the Reactor scheduler stays on the loops
                        assertThat(ctx.getBean(JobLoopScheduler.class).group()).isSameAs(loops);
                    });
        }
        // no limit by default
        runner.withPropertyValues("asyncjobs.placement=event-loop").run(ctx -> {
            JobPlacement p = ctx.getBean(JobOptions.class).placement();
            assertThat(p.hostLookup()).isSameAs(NettyJobs.currentEventLoop());
            assertThat(p.poolSize()).isZero();
            assertThat(ctx.getBean(JobOptions.class).onNoJobs()).isEqualTo(NoJobsPolicy.WAIT);
        });
    }

    @Test
    void aNegativePoolSizeFailsTheStartNamingTheProperty() {
        runner.withPropertyValues("asyncjobs.placement=event-loop", "asyncjobs.event-loop.max-jobs=-1").run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(rootCause(ctx.getStartupFailure())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("asyncjobs.event-loop.max-jobs must be >= 0");
        });
    }

    @Test
    void eventLoopWithoutAsyncNettyFailsTheStartNamingTheArtifact() {
        runner.withClassLoader(new FilteredClassLoader(NettyJobs.class)).withPropertyValues("asyncjobs.placement=event-loop")
                .run(ctx -> {
                    assertThat(ctx).hasFailed();
                    Throwable root = rootCause(ctx.getStartupFailure());
                    assertThat(root).isInstanceOf(EventLoopPlacementUnavailableException.class)
                            .hasMessageContaining("asyncjobs.placement=event-loop")
                            .hasMessageContaining("dev.asyncjobs:async-netty")
                            .hasMessageContaining("asyncjobs.placement=loops");

                    // what Spring Boot prints instead of the stack trace
                    FailureAnalysis analysis = new EventLoopPlacementFailureAnalyzer().analyze(ctx.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription()).contains("async-netty is not on the class path")
                            .contains("dev.asyncjobs.netty.NettyJobs");
                    assertThat(analysis.getAction()).contains("dev.asyncjobs:async-netty")
                            .contains("asyncjobs.placement=loops");
                    assertThat(analysis.getCause()).isSameAs(root);
                });
    }

    @Test
    void theFailureAnalyzerIsRegisteredAndIgnoresOtherFailures() throws Exception {
        // the starter's own spring.factories (Boot's analyzers need its argument resolver to load)
        List<String> registered = new ArrayList<>();
        Enumeration<URL> files = getClass().getClassLoader().getResources("META-INF/spring.factories");
        while (files.hasMoreElements()) {
            Properties p = PropertiesLoaderUtils.loadProperties(new UrlResource(files.nextElement()));
            String names = p.getProperty(FailureAnalyzer.class.getName());
            if (names != null) {
                registered.addAll(List.of(StringUtils.commaDelimitedListToStringArray(names)));
            }
        }
        assertThat(registered).contains(EventLoopPlacementFailureAnalyzer.class.getName());
        // and Spring Boot can make it the way it makes its own (a no-argument constructor)
        assertThat(BeanUtils.instantiateClass(EventLoopPlacementFailureAnalyzer.class)).isNotNull();
        assertThat(new EventLoopPlacementFailureAnalyzer().analyze(new IllegalStateException("something else"))).isNull();
    }

    @Test
    void theApplicationsOwnOptionsStillWin() {
        runner.withUserConfiguration(UserOptions.class).withPropertyValues("asyncjobs.placement=event-loop",
                "asyncjobs.event-loop.max-jobs=8").run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(JobOptions.class)).isSameAs(ctx.getBean("myOptions"));
                    assertThat(ctx.getBean(JobOptions.class).placement().hostLookup()).isNull();
                });
        // the property configures the starter's options only: with the application's own there is
        // nothing for it to apply to, so a missing async-netty is no failure either
        runner.withUserConfiguration(UserOptions.class).withClassLoader(new FilteredClassLoader(NettyJobs.class))
                .withPropertyValues("asyncjobs.placement=event-loop").run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(JobOptions.class)).isSameAs(ctx.getBean("myOptions"));
                });
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    @Configuration(proxyBeanMethods = false)
    static class UserOptions {
        @Bean
        JobOptions myOptions() {
            return JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 3)).build();
        }
    }
}
