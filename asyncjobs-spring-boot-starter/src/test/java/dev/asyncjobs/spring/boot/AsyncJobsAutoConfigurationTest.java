package dev.asyncjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.micrometer.JobLoopMetrics;
import dev.asyncjobs.micrometer.OffloadEngineMetrics;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.reactor.JobLoopScheduler;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The auto-configuration with {@link ApplicationContextRunner}: defaults, every property, user beans, missing libraries, close. */
@Timeout(120)
class AsyncJobsAutoConfigurationTest {
    private static final AtomicInteger IDS = new AtomicInteger();

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(AsyncJobsAutoConfiguration.class, AsyncJobsCryptoAutoConfiguration.class,
                    AsyncJobsMetricsAutoConfiguration.class, AsyncJobsHealthAutoConfiguration.class));

    /** Unique thread name prefixes, so the thread checks see this test's threads only. */
    private static String[] names() {
        int id = IDS.incrementAndGet();
        return new String[] {"asyncjobs-loop-t" + id, "asyncjobs-engine-t" + id};
    }

    @Test
    void backendIsTheExpectedOne() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        if (expected != null) {
            assertThat(AsyncJob.backend()).isEqualTo(expected);
        }
    }

    @Test
    void defaultsMakeEveryBeanAndAJobRunsOnThem() {
        runner.run(ctx -> {
            assertThat(ctx).hasNotFailed();
            int cores = Runtime.getRuntime().availableProcessors();
            JobLoopGroup loops = ctx.getBean(JobLoopGroup.class);
            assertThat(loops.size()).isEqualTo(cores);
            assertThat(loops.name()).isEqualTo("asyncjobs-loop-app");
            assertThat(loops.loop(0).name()).isEqualTo("asyncjobs-loop-app-0");
            assertThat(loops.stats().maxJobs()).as("no pool limit").isZero();
            JobOptions options = ctx.getBean(JobOptions.class);
            assertThat(options.placement().loops()).isSameAs(loops);
            assertThat(options.onNoJobs()).isEqualTo(NoJobsPolicy.WAIT);
            assertThat(ctx.getBean(JobLoopScheduler.class).group()).isSameAs(loops);
            OffloadEngine engine = ctx.getBean(OffloadEngine.class);
            assertThat(engine.name()).isEqualTo("asyncjobs-engine");
            assertThat(engine.threads()).isEqualTo(cores);
            assertThat(engine.queueCapacity()).isEqualTo(256 * cores);
            assertThat(engine.isStrict()).isFalse();
            assertThat(ctx.getBean(AsyncCrypto.class).engine()).isSameAs(engine);
            assertThat(ctx).hasSingleBean(JobLoopMetrics.class).hasSingleBean(OffloadEngineMetrics.class)
                    .hasSingleBean(AsyncJobsHealthIndicator.class);
            assertThat(ctx.getBeansOfType(AsyncJobsLifecycle.class)).hasSize(2);

            Integer v = AsyncMono.fromJob(() -> engine.call(() -> 42), options).block(Duration.ofSeconds(30));
            assertThat(v).isEqualTo(42);
            Integer onScheduler = Mono.fromCallable(() -> loops.current() != null ? 1 : 0)
                    .subscribeOn(ctx.getBean(JobLoopScheduler.class)).block(Duration.ofSeconds(30));
            assertThat(onScheduler).as("the scheduler runs on the group's loops").isEqualTo(1);
        });
    }

    @Test
    void everyPropertyIsApplied() {
        String[] n = names();
        runner.withPropertyValues("asyncjobs.loops.threads=3", "asyncjobs.loops.max-jobs-per-loop=7",
                "asyncjobs.loops.name=" + n[0], "asyncjobs.loops.on-no-jobs=fail",
                "asyncjobs.engine.threads=2", "asyncjobs.engine.queue-capacity=5", "asyncjobs.engine.wakeup-delay=0ms",
                "asyncjobs.engine.strict=true", "asyncjobs.engine.name=" + n[1], "asyncjobs.shutdown.timeout=5s")
                .run(ctx -> {
                    JobLoopGroup loops = ctx.getBean(JobLoopGroup.class);
                    assertThat(loops.size()).isEqualTo(3);
                    assertThat(loops.name()).isEqualTo(n[0]);
                    assertThat(loops.loop(2).name()).isEqualTo(n[0] + "-2");
                    assertThat(loops.loop(0).stats().maxJobs()).isEqualTo(7);
                    assertThat(ctx.getBean(JobOptions.class).onNoJobs()).isEqualTo(NoJobsPolicy.FAIL);
                    OffloadEngine engine = ctx.getBean(OffloadEngine.class);
                    assertThat(engine.threads()).isEqualTo(2);
                    assertThat(engine.queueCapacity()).isEqualTo(5);
                    assertThat(engine.isStrict()).isTrue();
                    assertThat(engine.name()).isEqualTo(n[1]);
                    assertThat(threads(n[1])).containsExactlyInAnyOrder(n[1] + "-0", n[1] + "-1");
                    assertThat(ctx.getBean(AsyncJobsProperties.class).getShutdown().getTimeout())
                            .isEqualTo(Duration.ofSeconds(5));
                });
        // a wake-up delay starts the engine's timer thread; 0 (above) did not
        String[] m = names();
        runner.withPropertyValues("asyncjobs.engine.wakeup-delay=2ms", "asyncjobs.engine.name=" + m[1])
                .run(ctx -> assertThat(threads(m[1])).contains(m[1] + ".wakeup-timer"));
    }

    @Test
    void engineAndCryptoCanBeTurnedOff() {
        runner.withPropertyValues("asyncjobs.crypto.enabled=false").run(ctx -> {
            assertThat(ctx).hasSingleBean(OffloadEngine.class).doesNotHaveBean(AsyncCrypto.class);
        });
        runner.withPropertyValues("asyncjobs.engine.enabled=false").run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(JobLoopGroup.class).doesNotHaveBean(OffloadEngine.class)
                    .doesNotHaveBean(AsyncCrypto.class).doesNotHaveBean(OffloadEngineMetrics.class);
            assertThat(ctx.getBeansOfType(AsyncJobsLifecycle.class)).hasSize(1);
            Health h = ctx.getBean(AsyncJobsHealthIndicator.class).health();
            assertThat(h.getStatus()).isEqualTo(Status.UP);
            assertThat(h.getDetails()).containsKey("loops").doesNotContainKey("engine");
        });
    }

    @Test
    void theApplicationsOwnBeansWin() {
        runner.withUserConfiguration(UserBeans.class).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            assertThat(ctx.getBean(JobLoopGroup.class)).isSameAs(ctx.getBean("myLoops"));
            assertThat(ctx.getBean(OffloadEngine.class)).isSameAs(ctx.getBean("myEngine"));
            assertThat(ctx.getBean(AsyncCrypto.class)).isSameAs(ctx.getBean("myCrypto"));
            assertThat(ctx.getBean(JobLoopScheduler.class)).isSameAs(ctx.getBean("myScheduler"));
            assertThat(ctx.getBean(JobLoopMetrics.class)).isSameAs(ctx.getBean("myLoopMetrics"));
            // the options and the engine meters the starter still makes are over the user's beans
            assertThat(ctx.getBean(JobOptions.class).placement().loops()).isSameAs(ctx.getBean("myLoops"));
            assertThat(ctx).hasSingleBean(OffloadEngineMetrics.class);
            // the user's beans are theirs to close: the starter makes no lifecycle for them
            assertThat(ctx.getBeansOfType(AsyncJobsLifecycle.class)).isEmpty();
        });
        runner.withUserConfiguration(UserOptionsAndHealth.class).run(ctx -> {
            assertThat(ctx.getBean(JobOptions.class)).isSameAs(ctx.getBean("myOptions"));
            assertThat(ctx.getBean("asyncJobsHealthIndicator")).isInstanceOf(MyHealth.class);
            assertThat(ctx).doesNotHaveBean(AsyncJobsHealthIndicator.class);
        });
        // two groups of the user's: nothing the starter would have to choose between is made
        runner.withUserConfiguration(TwoGroups.class).run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean(JobOptions.class).doesNotHaveBean(JobLoopScheduler.class)
                    .doesNotHaveBean(JobLoopMetrics.class).hasSingleBean(OffloadEngine.class);
        });
        // only the engine is the user's: crypto is made over it
        runner.withUserConfiguration(UserEngineOnly.class).run(ctx -> {
            assertThat(ctx.getBean(AsyncCrypto.class).engine()).isSameAs(ctx.getBean("myEngine"));
            assertThat(ctx.getBeansOfType(AsyncJobsLifecycle.class)).hasSize(1);
        });
    }

    @Test
    void withoutMicrometerOrHealthTheRestStillWorks() {
        runner.withClassLoader(new FilteredClassLoader(MeterBinder.class)).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(JobLoopGroup.class).hasSingleBean(OffloadEngine.class)
                    .doesNotHaveBean(JobLoopMetrics.class).doesNotHaveBean(OffloadEngineMetrics.class);
        });
        runner.withClassLoader(new FilteredClassLoader(JobLoopMetrics.class)).run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean(JobLoopMetrics.class);
        });
        runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class)).run(ctx -> {
            assertThat(ctx).hasNotFailed().hasSingleBean(OffloadEngine.class)
                    .doesNotHaveBean(AsyncJobsHealthIndicator.class);
        });
        runner.withPropertyValues("management.health.asyncjobs.enabled=false").run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean(AsyncJobsHealthIndicator.class);
        });
    }

    @Test
    void healthIsDownOnceTheEngineOrTheLoopsAreClosed() {
        runner.run(ctx -> {
            AsyncJobsHealthIndicator health = ctx.getBean(AsyncJobsHealthIndicator.class);
            Health up = health.health();
            assertThat(up.getStatus()).isEqualTo(Status.UP);
            @SuppressWarnings("unchecked")
            Map<String, Object> loops = (Map<String, Object>) up.getDetails().get("loops");
            @SuppressWarnings("unchecked")
            Map<String, Object> engine = (Map<String, Object>) up.getDetails().get("engine");
            assertThat(loops).containsEntry("loopsRunning", Runtime.getRuntime().availableProcessors())
                    .containsKeys("jobsActive", "jobsPaused", "jobsWaitingForSlot", "pendingTasks", "jobsSucceeded");
            assertThat(engine).containsEntry("closed", false).containsKeys("queued", "queueCapacity", "threadsBusy");

            ctx.getBean(OffloadEngine.class).close();
            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
        });
        runner.run(ctx -> {
            ctx.getBean(JobLoopGroup.class).close();
            Health down = ctx.getBean(AsyncJobsHealthIndicator.class).health();
            assertThat(down.getStatus()).isEqualTo(Status.DOWN);
            @SuppressWarnings("unchecked")
            Map<String, Object> loops = (Map<String, Object>) down.getDetails().get("loops");
            assertThat(loops).containsEntry("closed", true).containsEntry("loopsRunning", 0);
        });
    }

    /**
     * Context close: the jobs paused then (one on the engine, one on a callback that never comes)
     * are cancelled and finish, and no thread the starter made is left, right when close returns.
     */
    @Test
    void contextCloseCancelsPausedJobsAndLeavesNoThread() throws Exception {
        for (int round = 0; round < 3; round++) {
            String[] n = names();
            CompletableFuture<Object> onEngine = new CompletableFuture<>();
            CompletableFuture<Object> onCallback = new CompletableFuture<>();
            CompletableFuture<Void> neverCompleted = new CompletableFuture<>();
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            runner.withPropertyValues("asyncjobs.loops.threads=2", "asyncjobs.loops.name=" + n[0],
                    "asyncjobs.engine.threads=1", "asyncjobs.engine.name=" + n[1]).run(ctx -> {
                        OffloadEngine engine = ctx.getBean(OffloadEngine.class);
                        JobOptions options = ctx.getBean(JobOptions.class);
                        // the device thread busy until the close; a second call queued behind it
                        AsyncMono.fromJob(() -> engine.call(() -> {
                            held.countDown();
                            return release.await(30, TimeUnit.SECONDS);
                        }), options).subscribe();
                        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
                        AsyncMono.fromJob(() -> engine.call(() -> "queued"), options)
                                .subscribe(onEngine::complete, onEngine::completeExceptionally);
                        AsyncMono.fromJob(() -> AsyncJob.await(neverCompleted), options)
                                .subscribe(v -> onCallback.complete(v), onCallback::completeExceptionally);
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (ctx.getBean(JobLoopGroup.class).stats().jobsPaused() < 3 && System.nanoTime() < deadline) {
                            Thread.sleep(5);
                        }
                        assertThat(ctx.getBean(JobLoopGroup.class).stats().jobsPaused()).isEqualTo(3);
                        assertThat(threads(n[0])).hasSize(2);
                        assertThat(threads(n[1])).contains(n[1] + "-0", n[1] + ".wakeup-timer");
                        // the running call ends a moment into the close
                        Schedulers.single().schedule(release::countDown, 50, TimeUnit.MILLISECONDS);
                    });
            assertThat(threads(n[0])).as("loop threads after close").isEmpty();
            assertThat(threads(n[1])).as("engine threads after close").isEmpty();
            assertThat(onEngine).isCompletedExceptionally();
            assertThat(onEngine.exceptionNow()).isInstanceOf(RejectedExecutionException.class);
            assertThat(onCallback).isCompletedExceptionally();
            // the job's await threw the CancellationException of the shutdown cancel, and the job ended with it
            assertThat(onCallback.handle((v, e) -> e).join()).isInstanceOf(CancellationException.class);
            assertThat(neverCompleted).as("the awaited future was cancelled with its job").isCancelled();
        }
    }

    static List<String> threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.startsWith(prefix + "-") || name.startsWith(prefix + ".")).toList();
    }

    // ------------------------------------------------------------------ user configurations

    @Configuration(proxyBeanMethods = false)
    static class UserBeans {
        @Bean
        JobLoopGroup myLoops() {
            return JobLoopGroup.builder().threads(1).name("asyncjobs-loop-user").build();
        }

        @Bean
        OffloadEngine myEngine() {
            return OffloadEngine.builder().threads(1).name("asyncjobs-engine-user").build();
        }

        @Bean
        AsyncCrypto myCrypto(OffloadEngine myEngine) {
            return new AsyncCrypto(myEngine);
        }

        @Bean
        JobLoopScheduler myScheduler(JobLoopGroup myLoops) {
            return JobLoopScheduler.create(myLoops);
        }

        @Bean
        JobLoopMetrics myLoopMetrics(JobLoopGroup myLoops) {
            return new JobLoopMetrics(myLoops);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserOptionsAndHealth {
        @Bean
        JobOptions myOptions() {
            return JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 3)).build();
        }

        @Bean
        MyHealth asyncJobsHealthIndicator() {
            return new MyHealth();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoGroups {
        @Bean
        JobLoopGroup firstLoops() {
            return JobLoopGroup.builder().threads(1).name("asyncjobs-loop-first").build();
        }

        @Bean
        JobLoopGroup secondLoops() {
            return JobLoopGroup.builder().threads(1).name("asyncjobs-loop-second").build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserEngineOnly {
        @Bean
        OffloadEngine myEngine() {
            return OffloadEngine.builder().threads(1).name("asyncjobs-engine-user2").build();
        }
    }

    static final class MyHealth implements HealthIndicator {
        @Override
        public Health health() {
            return Health.up().build();
        }
    }
}
