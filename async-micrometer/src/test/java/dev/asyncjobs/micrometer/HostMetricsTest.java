package dev.asyncjobs.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHost;
import dev.asyncjobs.core.JobHostCounters;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.WaitCallback;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link JobHostMetrics} against a {@link SimpleMeterRegistry}: a host's meters appear when it joins
 * its group (also after the bind), carry the job loops' names and tag keys with the group's name,
 * and move with the jobs on the host.
 */
@Timeout(60)
class HostMetricsTest {
    /** One thread as a host whose counters are registered in {@code group} on its thread. */
    private static final class Host implements JobHost, AutoCloseable {
        final ExecutorService thread;
        final JobHostCounters counters;
        final Thread self;

        Host(String name, JobHostCounters.Group group) throws Exception {
            thread = Executors.newSingleThreadExecutor(r -> new Thread(r, name));
            self = thread.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
            counters = thread.submit(() -> group.register(() -> !thread.isShutdown(), () -> 0))
                    .get(10, TimeUnit.SECONDS);
        }

        @Override
        public void execute(Runnable task) {
            thread.execute(task);
        }

        @Override
        public AsyncSelector.Registration watch(AsyncWaitCtx ctx, Runnable onReady) {
            return AsyncSelector.shared().watch(ctx, onReady);
        }

        @Override
        public JobHostCounters counters() {
            return counters;
        }

        @Override
        public void close() {
            thread.shutdownNow();
        }
    }

    private static <T> JobObserver<T> observer(CompletableFuture<Object> f) {
        return new JobObserver<>() {
            @Override
            public void onSuccess(@Nullable T value) {
                f.complete(value);
            }

            @Override
            public void onFailure(Throwable error) {
                f.completeExceptionally(error);
            }

            @Override
            public void onDropped(@Nullable T value, @Nullable Throwable error) {
                f.complete("dropped");
            }
        };
    }

    @Test
    void aHostsMetersAppearWhenItJoinsAndFollowItsJobs() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        JobHostCounters.Group group = new JobHostCounters.Group("mt-hosts");
        JobLoopGroup fallback = JobLoopGroup.builder().threads(1).name("mt-hosts-fallback").build();
        JobHostMetrics metrics = new JobHostMetrics(group, Tags.of("app", "test"));
        try (Host early = new Host("mt-host-early", group)) {
            metrics.bindTo(registry);
            try (Host late = new Host("mt-host-late", group)) {
                for (String loop : List.of("mt-host-early", "mt-host-late")) {
                    for (String name : List.of(JobLoopMetrics.JOBS_ACTIVE, JobLoopMetrics.JOBS_PAUSED,
                            JobLoopMetrics.JOBS_SLOT_WAITING, JobLoopMetrics.LOOP_PENDING_TASKS,
                            JobLoopMetrics.LOOP_RUNNING, JobLoopMetrics.JOBS_STARTED, JobLoopMetrics.JOBS_SLOT_WAIT)) {
                        assertThat(registry.find(name).tags("group", "mt-hosts", "loop", loop, "app", "test").meter())
                                .as(name + " " + loop).isNotNull();
                    }
                    assertThat(registry.find(JobLoopMetrics.JOBS_COMPLETED).tags("loop", loop).meters()).hasSize(3);
                }
                assertThat(registry.find(JobLoopMetrics.JOBS_SLOTS).meters()).isEmpty();

                JobOptions opts = JobOptions.builder().placement(JobPlacement.preferHost(
                        () -> Thread.currentThread() == late.self ? late : null, 1, fallback)).build();
                AtomicReference<@Nullable WaitCallback> cb = new AtomicReference<>();
                CompletableFuture<Object> first = new CompletableFuture<>();
                CompletableFuture<Object> second = new CompletableFuture<>();
                CompletableFuture<Object> failing = new CompletableFuture<>();
                CompletableFuture<Object> cancelled = new CompletableFuture<>();
                AtomicReference<@Nullable JobTicket> toCancel = new AtomicReference<>();
                late.thread.submit(() -> {
                    AsyncJobs.launch(() -> {
                        cb.set(AsyncJob.current().waitCtx().getCallback());
                        AsyncJob.pause();
                        return "woken";
                    }, opts, observer(first));
                    AsyncJobs.launch(() -> "second", opts, observer(second)); // waits for the one slot
                }).get(10, TimeUnit.SECONDS);
                late.thread.submit(() -> { }).get(10, TimeUnit.SECONDS);
                assertThat(value(registry, JobLoopMetrics.JOBS_ACTIVE, "mt-host-late")).isEqualTo(2);
                assertThat(value(registry, JobLoopMetrics.JOBS_PAUSED, "mt-host-late")).isEqualTo(1);
                assertThat(value(registry, JobLoopMetrics.JOBS_SLOT_WAITING, "mt-host-late")).isEqualTo(1);
                cb.get().onWake(null);
                assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("woken");
                assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("second");
                late.thread.submit(() -> {
                    AsyncJobs.launch(() -> {
                        throw new IOException("no");
                    }, opts, observer(failing));
                    toCancel.set(AsyncJobs.launch(() -> {
                        AsyncJob.pause();
                        return "never";
                    }, opts, observer(cancelled)));
                }).get(10, TimeUnit.SECONDS);
                assertThat(failing).failsWithin(java.time.Duration.ofSeconds(10));
                late.thread.submit(() -> { }).get(10, TimeUnit.SECONDS);
                toCancel.get().cancel();
                assertThat(cancelled.get(10, TimeUnit.SECONDS)).isEqualTo("dropped");
                late.thread.submit(() -> { }).get(10, TimeUnit.SECONDS);

                assertThat(value(registry, JobLoopMetrics.JOBS_STARTED, "mt-host-late")).isEqualTo(4);
                assertThat(completed(registry, "mt-host-late", "success")).isEqualTo(2);
                assertThat(completed(registry, "mt-host-late", "failure")).isEqualTo(1);
                assertThat(completed(registry, "mt-host-late", "cancelled")).isEqualTo(1);
                assertThat(value(registry, JobLoopMetrics.JOBS_ACTIVE, "mt-host-late")).isZero();
                assertThat(value(registry, JobLoopMetrics.JOBS_STARTED, "mt-host-early")).isZero();
                assertThat(early.counters.stats().jobsStarted()).isZero();
                assertThat(registry.find(JobLoopMetrics.JOBS_SLOT_WAIT).tag("loop", "mt-host-late").functionTimer()
                        .count()).isEqualTo(1);
                assertThat(value(registry, JobLoopMetrics.LOOP_RUNNING, "mt-host-late")).isEqualTo(1);
            }
            assertThat(value(registry, JobLoopMetrics.LOOP_RUNNING, "mt-host-late")).as("shut down").isZero();

            metrics.close();
            try (Host afterClose = new Host("mt-host-after-close", group)) {
                assertThat(registry.find(JobLoopMetrics.JOBS_STARTED).tag("loop", "mt-host-after-close").meters())
                        .as("closed: no meters for hosts that join later").isEmpty();
                assertThat(afterClose.counters.stats().jobsStarted()).isZero();
            }
        } finally {
            fallback.close();
        }
        assertThatThrownBy(() -> new JobHostMetrics(null)).isInstanceOf(NullPointerException.class).hasMessage("group");
        assertThatThrownBy(() -> new JobHostMetrics(group, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("tags");
        assertThatThrownBy(() -> metrics.bindTo(null)).isInstanceOf(NullPointerException.class).hasMessage("registry");
    }

    private static double value(MeterRegistry r, String name, String loop) {
        return r.find(name).tag("loop", loop).meters().stream()
                .mapToDouble(m -> m.measure().iterator().next().getValue()).sum();
    }

    private static double completed(MeterRegistry r, String loop, String outcome) {
        return r.find(JobLoopMetrics.JOBS_COMPLETED).tags("loop", loop, "outcome", outcome).functionCounter().count();
    }
}
