package dev.asyncjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.reactor.AsyncMono;
import io.micrometer.context.ContextRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.autoconfigure.ReactorAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

/**
 * The shutdown order (the web server's phases first, then the engine, then the loops) and
 * {@code spring.reactor.context-propagation=auto} with the starter's loops.
 */
@Timeout(120)
class ShutdownOrderAndContextTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(ReactorAutoConfiguration.class, AsyncJobsAutoConfiguration.class,
                    AsyncJobsCryptoAutoConfiguration.class));

    @Test
    void theEngineAndTheLoopsCloseAfterTheWebServersPhases() {
        assertThat(AsyncJobsLifecycle.ENGINE_PHASE).isLessThan(WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE)
                .isLessThan(WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE);
        assertThat(AsyncJobsLifecycle.LOOPS_PHASE).isLessThan(AsyncJobsLifecycle.ENGINE_PHASE);
        List<String> seen = Witnesses.SEEN;
        seen.clear();
        runner.withUserConfiguration(Witnesses.class).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(seen).isEmpty();
        });
        assertThat(seen).containsExactly(
                "graceful-shutdown phase: engine open, loops open",
                "web-server stop phase: engine open, loops open",
                "phase 0: engine closed, loops closed");
    }

    /** Lifecycle beans in the web server's two phases and one after ours, recording what they see. */
    @Configuration(proxyBeanMethods = false)
    static class Witnesses {
        /** What the witnesses saw (a static: a List parameter would be injected as a collection of beans). */
        static final List<String> SEEN = new CopyOnWriteArrayList<>();

        @Bean
        SmartLifecycle gracefulWitness(ObjectProvider<OffloadEngine> e, ObjectProvider<JobLoopGroup> l) {
            return witness("graceful-shutdown phase", WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE, e, l, SEEN);
        }

        @Bean
        SmartLifecycle webServerWitness(ObjectProvider<OffloadEngine> e, ObjectProvider<JobLoopGroup> l) {
            return witness("web-server stop phase", WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE, e, l, SEEN);
        }

        @Bean
        SmartLifecycle lateWitness(ObjectProvider<OffloadEngine> e, ObjectProvider<JobLoopGroup> l) {
            return witness("phase 0", 0, e, l, SEEN);
        }

        private static SmartLifecycle witness(String what, int phase, ObjectProvider<OffloadEngine> engine,
                ObjectProvider<JobLoopGroup> loops, List<String> seen) {
            return new SmartLifecycle() {
                private volatile boolean running;

                @Override
                public void start() {
                    running = true;
                }

                @Override
                public void stop() {
                    running = false;
                    seen.add(what + ": engine " + (engine.getObject().isClosed() ? "closed" : "open") + ", loops "
                            + (loops.getObject().isClosed() ? "closed" : "open"));
                }

                @Override
                public boolean isRunning() {
                    return running;
                }

                @Override
                public int getPhase() {
                    return phase;
                }
            };
        }
    }

    private static final String KEY = "asyncjobs.test.user";
    private static final ThreadLocal<@Nullable String> USER = new ThreadLocal<>();

    /**
     * With {@code auto}, a ThreadLocal known to the ContextRegistry follows the subscriber's
     * Context into the job on the starter's loops, in its first segment and after a pause (resumed
     * by another thread); with Boot's default ({@code limited}) it does not, which shows the
     * property is what makes the difference.
     */
    @Test
    void automaticContextPropagationReachesJobsOnTheStartersLoops() {
        ContextRegistry.getInstance().registerThreadLocalAccessor(KEY, USER::get, USER::set, USER::remove);
        try {
            runner.withPropertyValues("spring.reactor.context-propagation=auto").run(ctx -> {
                assertThat(Hooks.isAutomaticContextPropagationEnabled()).isTrue();
                String result = job(ctx.getBean(JobOptions.class)).contextWrite(Context.of(KEY, "alice"))
                        .block(Duration.ofSeconds(30));
                assertThat(result).isEqualTo("alice/alice");
                assertThat(USER.get()).as("nothing leaks to the caller").isNull();
            });
            Hooks.disableAutomaticContextPropagation();
            runner.run(ctx -> {
                assertThat(Hooks.isAutomaticContextPropagationEnabled()).isFalse();
                String result = job(ctx.getBean(JobOptions.class))
                        .contextWrite(Context.of(KEY, "alice")).block(Duration.ofSeconds(30));
                assertThat(result).as("limited: no ThreadLocal restored in the job").isEqualTo("-/-");
            });
        } finally {
            Hooks.disableAutomaticContextPropagation();
            ContextRegistry.getInstance().removeThreadLocalAccessor(KEY);
        }
    }

    /** Reads the ThreadLocal, pauses until another thread completes a future, reads it again. */
    private static Mono<String> job(JobOptions options) {
        return AsyncMono.fromJob(() -> {
            String before = USER.get();
            CompletableFuture<String> later = new CompletableFuture<>();
            Schedulers.single().schedule(() -> later.complete("x"), 10, TimeUnit.MILLISECONDS);
            AsyncJob.await(later);
            String after = USER.get();
            return (before == null ? "-" : before) + "/" + (after == null ? "-" : after);
        }, options);
    }
}
