package dev.asyncjobs.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopStats;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.micrometer.JobHostMetrics;
import dev.asyncjobs.micrometer.JobLoopMetrics;
import dev.asyncjobs.netty.NettyJobs;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * With {@code asyncjobs.placement=event-loop} the jobs on the Netty event loops are in the metrics
 * ({@link JobHostMetrics}, the job loops' meter names with {@code group=event-loops}) and in the
 * health details ({@code eventLoops}), exactly; with the job loops' placement neither is there.
 */
@Timeout(120)
class EventLoopMetricsAndHealthTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(AsyncJobsAutoConfiguration.class, AsyncJobsCryptoAutoConfiguration.class,
                    AsyncJobsMetricsAutoConfiguration.class, AsyncJobsHealthAutoConfiguration.class))
            .withPropertyValues("asyncjobs.loops.threads=1", "asyncjobs.engine.threads=1");

    /** Counts the outcomes of {@code jobs} jobs. */
    private static final class Outcomes implements JobObserver<Object> {
        final AtomicInteger success = new AtomicInteger();
        final AtomicInteger failure = new AtomicInteger();
        final CountDownLatch ended;

        Outcomes(int jobs) {
            ended = new CountDownLatch(jobs);
        }

        @Override
        public void onSuccess(@Nullable Object value) {
            success.incrementAndGet();
            ended.countDown();
        }

        @Override
        public void onFailure(Throwable error) {
            failure.incrementAndGet();
            ended.countDown();
        }
    }

    @Test
    void onTheJobLoopsThereAreNoEventLoopMetersAndNoEventLoopHealth() {
        for (String placement : new String[] {null, "loops"}) {
            ApplicationContextRunner r = placement == null ? runner
                    : runner.withPropertyValues("asyncjobs.placement=" + placement);
            r.run(ctx -> {
                assertThat(ctx).hasNotFailed().hasSingleBean(JobLoopMetrics.class)
                        .doesNotHaveBean(JobHostCounters.Group.class).doesNotHaveBean(JobHostMetrics.class);
                Health h = ctx.getBean(AsyncJobsHealthIndicator.class).health();
                assertThat(h.getStatus()).isEqualTo(Status.UP);
                assertThat(h.getDetails()).containsKeys("loops", "engine").doesNotContainKey("eventLoops");
            });
        }
    }

    @Test
    void onTheEventLoopsTheirJobsAreMeteredAndInTheHealthExactly() throws Exception {
        int jobs = 200;
        MultiThreadIoEventLoopGroup netty = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        MeterRegistry registry = new SimpleMeterRegistry();
        try (ExecutorService wakers = Executors.newSingleThreadExecutor()) {
            runner.withPropertyValues("asyncjobs.placement=event-loop", "asyncjobs.event-loop.max-jobs=4").run(ctx -> {
                assertThat(ctx).hasNotFailed().hasSingleBean(JobLoopMetrics.class).hasSingleBean(JobHostMetrics.class);
                assertThat(ctx.getBean(JobHostCounters.Group.class)).isSameAs(NettyJobs.eventLoopCounters());
                ctx.getBean(JobHostMetrics.class).bindTo(registry); // what Boot's metrics support does with a MeterBinder
                JobLoopStats before = NettyJobs.eventLoopCounters().stats();
                JobOptions options = ctx.getBean(JobOptions.class);
                Outcomes outcomes = new Outcomes(jobs);
                EventLoop l0 = netty.next();
                EventLoop l1 = netty.next();
                for (int i = 0; i < jobs; i++) {
                    int id = i;
                    (i % 2 == 0 ? l0 : l1).execute(() -> AsyncJobs.launch(() -> {
                        WaitCallback cb = AsyncJob.current().waitCtx().getCallback();
                        wakers.execute(() -> cb.onWake(null)); // resumed from another thread
                        AsyncJob.pause();
                        if (id % 20 >= 18) { // one on each loop per 20
                            throw new IOException("job " + id + " fails");
                        }
                        return id;
                    }, options, outcomes));
                }
                assertThat(outcomes.ended.await(60, TimeUnit.SECONDS)).as("every job ended").isTrue();
                l0.submit(() -> { }).get(20, TimeUnit.SECONDS);
                l1.submit(() -> { }).get(20, TimeUnit.SECONDS);
                String n0 = l0.submit(() -> Thread.currentThread().getName()).get(20, TimeUnit.SECONDS);
                String n1 = l1.submit(() -> Thread.currentThread().getName()).get(20, TimeUnit.SECONDS);
                assertThat(outcomes.success.get()).isEqualTo(jobs - jobs / 10);

                for (String loop : new String[] {n0, n1}) {
                    assertThat(registry.find(JobLoopMetrics.JOBS_STARTED).tags("group", "event-loops", "loop", loop)
                            .functionCounter().count()).as(loop).isEqualTo(jobs / 2);
                    assertThat(registry.find(JobLoopMetrics.JOBS_COMPLETED)
                            .tags("group", "event-loops", "loop", loop, "outcome", "success").functionCounter().count())
                            .isEqualTo(jobs / 2 - jobs / 20);
                    assertThat(registry.find(JobLoopMetrics.JOBS_COMPLETED)
                            .tags("group", "event-loops", "loop", loop, "outcome", "failure").functionCounter().count())
                            .isEqualTo(jobs / 20);
                    assertThat(registry.find(JobLoopMetrics.JOBS_ACTIVE).tags("group", "event-loops", "loop", loop)
                            .gauge().value()).isZero();
                }
                assertThat(NettyJobs.stats(netty)).allSatisfy(s -> assertThat(s.maxJobs()).isEqualTo(4));

                Health h = ctx.getBean(AsyncJobsHealthIndicator.class).health();
                assertThat(h.getStatus()).isEqualTo(Status.UP);
                assertThat(h.getDetails()).containsKeys("loops", "engine", "eventLoops");
                @SuppressWarnings("unchecked") // the indicator puts a Map<String, Object> there
                Map<String, Object> d = (Map<String, Object>) h.getDetails().get("eventLoops");
                assertThat(d).containsEntry("name", "event-loops").containsEntry("jobsActive", 0)
                        .containsEntry("jobsPaused", 0L);
                // the group is JVM-wide (other tests' event loops may be in it): this test's share
                assertThat((long) d.get("jobsStarted") - before.jobsStarted()).isEqualTo(jobs);
                assertThat((long) d.get("jobsSucceeded") - before.jobsSucceeded()).isEqualTo(jobs - jobs / 10);
                assertThat((long) d.get("jobsFailed") - before.jobsFailed()).isEqualTo(jobs / 10);
                assertThat((long) d.get("jobsCancelled") - before.jobsCancelled()).isZero();
                assertThat((int) d.get("loops")).isGreaterThanOrEqualTo(2);
            });
            // the context closed its JobHostMetrics: an event loop that joins now gets no meters
            MultiThreadIoEventLoopGroup later = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            try {
                EventLoop l = later.next();
                CountDownLatch ran = new CountDownLatch(1);
                l.execute(() -> AsyncJobs.launch(() -> 1, NettyJobs.eventLoopOptions(), new JobObserver<Integer>() {
                    @Override
                    public void onSuccess(@Nullable Integer value) {
                        ran.countDown();
                    }

                    @Override
                    public void onFailure(Throwable error) {
                        ran.countDown();
                    }
                }));
                assertThat(ran.await(20, TimeUnit.SECONDS)).isTrue();
                String name = l.submit(() -> Thread.currentThread().getName()).get(20, TimeUnit.SECONDS);
                assertThat(NettyJobs.stats(later)).extracting(JobLoopStats::name).containsExactly(name);
                assertThat(registry.find(JobLoopMetrics.JOBS_STARTED).tag("loop", name).meters()).isEmpty();
            } finally {
                later.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(20, TimeUnit.SECONDS);
            }
        } finally {
            netty.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutAsyncNettyTheLoopsPlacementHasNoEventLoopBeans() {
        runner.withClassLoader(new FilteredClassLoader(NettyJobs.class)).run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean(JobHostCounters.Group.class)
                    .doesNotHaveBean(JobHostMetrics.class);
            assertThat(ctx.getBean(AsyncJobsHealthIndicator.class).health().getDetails())
                    .doesNotContainKey("eventLoops");
        });
    }
}
