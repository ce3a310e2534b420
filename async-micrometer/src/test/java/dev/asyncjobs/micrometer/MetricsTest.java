package dev.asyncjobs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.core.WaitCallback;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The binders against a {@link SimpleMeterRegistry}: every meter exists, is tagged, and moves with the work. */
@Timeout(60)
class MetricsTest {

    @Test
    void backendIsTheExpectedOne() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        if (expected != null) {
            assertThat(AsyncJob.backend()).isEqualTo(expected);
        }
    }

    @Test
    void loopMetersFollowTheJobs() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        JobLoopGroup group = JobLoopGroup.builder().threads(2).maxJobsPerLoop(1).name("mt-loops").build();
        try {
            new JobLoopMetrics(group, Tags.of("app", "test")).bindTo(registry);
            for (String loop : List.of("mt-loops-0", "mt-loops-1")) {
                for (String name : List.of(JobLoopMetrics.JOBS_ACTIVE, JobLoopMetrics.JOBS_PAUSED,
                        JobLoopMetrics.JOBS_SLOT_WAITING, JobLoopMetrics.JOBS_SLOTS, JobLoopMetrics.LOOP_PENDING_TASKS,
                        JobLoopMetrics.LOOP_RUNNING, JobLoopMetrics.JOBS_STARTED, JobLoopMetrics.JOBS_SLOT_WAIT)) {
                    assertThat(registry.find(name).tags("group", "mt-loops", "loop", loop, "app", "test").meter())
                            .as(name + " " + loop).isNotNull();
                }
                assertThat(registry.find(JobLoopMetrics.JOBS_COMPLETED).tags("loop", loop).meters()).hasSize(3);
            }
            assertThat(gauge(registry, JobLoopMetrics.LOOP_RUNNING)).isEqualTo(2);
            assertThat(gauge(registry, JobLoopMetrics.JOBS_SLOTS)).isEqualTo(2);

            // one loop of one slot: the first job pauses, the second waits for its slot
            JobOptions opts = JobOptions.builder().loops(group).build();
            AtomicReference<@Nullable WaitCallback> cb = new AtomicReference<>();
            CompletableFuture<Object> first = new CompletableFuture<>();
            CompletableFuture<Object> second = new CompletableFuture<>();
            JobFunction<Object> pausing = () -> {
                cb.set(AsyncJob.current().waitCtx().getCallback());
                AsyncJob.pause();
                return "woken";
            };
            JobOptions oneLoop = JobOptions.builder().loops(group).build();
            group.loop(0).execute(() -> {
                AsyncJobs.launch(pausing, oneLoop, observer(first)); // on this loop, started first (FIFO)
                AsyncJobs.launch(() -> "second", oneLoop, observer(second));
            });
            await(() -> gauge(registry, JobLoopMetrics.JOBS_SLOT_WAITING) == 1, "the second job to wait for a slot");
            assertThat(gauge(registry, JobLoopMetrics.JOBS_ACTIVE)).isEqualTo(2);
            assertThat(gauge(registry, JobLoopMetrics.JOBS_PAUSED)).isEqualTo(1);
            cb.get().onWake(null);
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("woken");
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("second");

            CompletableFuture<Object> failing = new CompletableFuture<>();
            AsyncJobs.launch(() -> {
                throw new IOException("no");
            }, opts, observer(failing));
            assertThat(failing).failsWithin(Duration.ofSeconds(10));
            CompletableFuture<Object> never = new CompletableFuture<>();
            JobTicket t = AsyncJobs.launch(() -> {
                AsyncJob.pause();
                return "cancelled";
            }, opts, observer(never));
            await(() -> gauge(registry, JobLoopMetrics.JOBS_PAUSED) == 1, "the last job to pause");
            t.cancel();
            await(() -> gauge(registry, JobLoopMetrics.JOBS_ACTIVE) == 0, "every job to end");

            assertThat(counter(registry, JobLoopMetrics.JOBS_STARTED)).isEqualTo(4);
            assertThat(completed(registry, "success")).isEqualTo(2);
            assertThat(completed(registry, "failure")).isEqualTo(1);
            assertThat(completed(registry, "cancelled")).isEqualTo(1);
            assertThat(gauge(registry, JobLoopMetrics.JOBS_PAUSED)).isZero();
            assertThat(gauge(registry, JobLoopMetrics.JOBS_SLOT_WAITING)).isZero();
            double waits = registry.find(JobLoopMetrics.JOBS_SLOT_WAIT).functionTimers().stream()
                    .mapToDouble(ft -> ft.count()).sum();
            double waited = registry.find(JobLoopMetrics.JOBS_SLOT_WAIT).functionTimers().stream()
                    .mapToDouble(ft -> ft.totalTime(TimeUnit.NANOSECONDS)).sum();
            assertThat(waits).isEqualTo(1);
            assertThat(waited).isPositive();
        } finally {
            group.close();
        }
        assertThat(gauge(registry, JobLoopMetrics.LOOP_RUNNING)).as("closed: no loop runs").isZero();
        assertThat(registry.find(JobLoopMetrics.JOBS_SLOTS).gauges()).hasSize(2);
    }

    @Test
    void anUnboundedPoolHasNoSlotsGauge() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).name("mt-unbounded").build()) {
            new JobLoopMetrics(group).bindTo(registry);
            assertThat(registry.find(JobLoopMetrics.JOBS_SLOTS).meters()).isEmpty();
            assertThat(registry.find(JobLoopMetrics.JOBS_ACTIVE).tag("group", "mt-unbounded").gauge()).isNotNull();
        }
    }

    @Test
    void engineMetersFollowTheCalls() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        OffloadEngine engine = OffloadEngine.builder().threads(1).queueCapacity(8).name("mt-engine").build();
        JobLoopGroup group = JobLoopGroup.builder().threads(1).name("mt-engine-loops").build();
        try {
            new OffloadEngineMetrics(engine).bindTo(registry);
            for (String name : List.of(OffloadEngineMetrics.QUEUE_SIZE, OffloadEngineMetrics.QUEUE_CAPACITY,
                    OffloadEngineMetrics.QUEUE_REMAINING, OffloadEngineMetrics.QUEUE_WAIT, OffloadEngineMetrics.THREADS,
                    OffloadEngineMetrics.THREADS_BUSY, OffloadEngineMetrics.CALLS_SUBMITTED,
                    OffloadEngineMetrics.CALLS_REJECTED, OffloadEngineMetrics.CALLS_WITHDRAWN)) {
                assertThat(registry.find(name).tag("engine", "mt-engine").meter()).as(name).isNotNull();
            }
            assertThat(registry.find(OffloadEngineMetrics.CALLS).functionTimers()).hasSize(2);
            assertThat(gauge(registry, OffloadEngineMetrics.QUEUE_CAPACITY)).isEqualTo(8);
            assertThat(gauge(registry, OffloadEngineMetrics.THREADS)).isEqualTo(1);

            JobOptions opts = JobOptions.builder().loops(group).build();
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Object> blocker = new CompletableFuture<>();
            AsyncJobs.launch(() -> engine.call(() -> {
                held.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }), opts, observer(blocker));
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Object> ok = new CompletableFuture<>();
            CompletableFuture<Object> bad = new CompletableFuture<>();
            AsyncJobs.launch(() -> engine.call(() -> "ok"), opts, observer(ok));
            AsyncJobs.launch(() -> engine.call(() -> {
                throw new IOException("bad");
            }), opts, observer(bad));
            await(() -> gauge(registry, OffloadEngineMetrics.QUEUE_SIZE) == 2, "two calls queued");
            assertThat(gauge(registry, OffloadEngineMetrics.QUEUE_REMAINING)).isEqualTo(6);
            assertThat(gauge(registry, OffloadEngineMetrics.THREADS_BUSY)).isEqualTo(1);
            assertThat(counter(registry, OffloadEngineMetrics.CALLS_SUBMITTED)).isEqualTo(3);

            release.countDown();
            assertThat(ok.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
            assertThat(bad).failsWithin(Duration.ofSeconds(10));
            await(() -> gauge(registry, OffloadEngineMetrics.THREADS_BUSY) == 0
                    && registry.get(OffloadEngineMetrics.QUEUE_WAIT).functionTimer().count() == 3, "the device to go idle");
            assertThat(gauge(registry, OffloadEngineMetrics.QUEUE_SIZE)).isZero();
            var success = registry.get(OffloadEngineMetrics.CALLS).tag("outcome", "success").functionTimer();
            var failure = registry.get(OffloadEngineMetrics.CALLS).tag("outcome", "failure").functionTimer();
            assertThat(success.count()).isEqualTo(2);
            assertThat(failure.count()).isEqualTo(1);
            assertThat(success.totalTime(TimeUnit.NANOSECONDS)).isPositive();
            assertThat(registry.get(OffloadEngineMetrics.QUEUE_WAIT).functionTimer().totalTime(TimeUnit.NANOSECONDS))
                    .isPositive();
        } finally {
            engine.close();
            group.close();
        }
        assertThatThrownBy(() -> engine.call(() -> 1)).isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        assertThat(counter(registry, OffloadEngineMetrics.CALLS_REJECTED)).isEqualTo(1);
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void nullsAreRefusedByName() {
        assertThatThrownBy(() -> new JobLoopMetrics(null)).isInstanceOf(NullPointerException.class).hasMessage("group");
        assertThatThrownBy(() -> new OffloadEngineMetrics(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("engine");
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).name("mt-null").build()) {
            assertThatThrownBy(() -> new JobLoopMetrics(group, null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("tags");
            assertThatThrownBy(() -> new JobLoopMetrics(group).bindTo(null)).isInstanceOf(NullPointerException.class)
                    .hasMessage("registry");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static double gauge(MeterRegistry r, String name) {
        return r.find(name).gauges().stream().mapToDouble(g -> g.value()).sum();
    }

    private static double counter(MeterRegistry r, String name) {
        return r.find(name).functionCounters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static double completed(MeterRegistry r, String outcome) {
        return r.find(JobLoopMetrics.JOBS_COMPLETED).tag("outcome", outcome).functionCounters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    private static JobObserver<Object> observer(CompletableFuture<Object> f) {
        return new JobObserver<>() {
            @Override
            public void onSuccess(@Nullable Object value) {
                f.complete(value);
            }

            @Override
            public void onFailure(Throwable error) {
                f.completeExceptionally(error);
            }
        };
    }
}
