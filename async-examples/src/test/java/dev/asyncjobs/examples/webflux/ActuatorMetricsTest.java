package dev.asyncjobs.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * {@code /actuator/health} and {@code /actuator/metrics} of the service on the starter, under load:
 * the jobs completed equal the requests served, the engine's queue is seen above zero while one
 * device thread is saturated, and everything is back to zero after.
 *
 * <p>On the job loops ({@code asyncjobs.placement=loops}, the starter's default, not the service's):
 * the {@code asyncjobs.jobs.*} meters are the job loops' counters, and jobs on the Netty event
 * loops have none yet (their engine calls do count, {@link EventLoopSigningTest}).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = {"asyncjobs.engine.threads=1", "asyncjobs.placement=loops"})
@Timeout(180)
class ActuatorMetricsTest {
    private static final Base64.Encoder B64 = Base64.getEncoder();

    @LocalServerPort
    int port;

    @Autowired
    OffloadEngine engine;

    @Autowired
    JobOptions options;

    private WebTestClient client(ConnectionProvider pool) {
        return WebTestClient.bindToServer(new ReactorClientHttpConnector(HttpClient.create(pool)))
                .baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(60)).build();
    }

    @Test
    void healthHasTheAsyncJobsEntryWithItsFigures() {
        ConnectionProvider pool = ConnectionProvider.create("health", 2);
        try {
            client(pool).get().uri("/actuator/health").exchange()
                    .expectStatus().isOk()
                    .expectBody()
                    .jsonPath("$.status").isEqualTo("UP")
                    .jsonPath("$.components.asyncJobs.status").isEqualTo("UP")
                    .jsonPath("$.components.asyncJobs.details.loops.name").isEqualTo("asyncjobs-loop-web")
                    .jsonPath("$.components.asyncJobs.details.loops.loopsRunning").isEqualTo(
                            Runtime.getRuntime().availableProcessors())
                    .jsonPath("$.components.asyncJobs.details.loops.maxJobsPerLoop").isEqualTo(1024)
                    .jsonPath("$.components.asyncJobs.details.engine.name").isEqualTo("signing-device")
                    .jsonPath("$.components.asyncJobs.details.engine.closed").isEqualTo(false)
                    .jsonPath("$.components.asyncJobs.details.engine.threads").isEqualTo(1);
        } finally {
            pool.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void metricsMoveWithTheLoadAndComeBackToZero() throws Exception {
        int n = 400;
        ConnectionProvider pool = ConnectionProvider.builder("load").maxConnections(n + 8).pendingAcquireMaxCount(-1).build();
        WebTestClient web = client(pool);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            assertThat(metric(web, "asyncjobs.jobs.active", null)).isZero();
            double succeededBefore = metric(web, "asyncjobs.jobs.completed", "outcome:success");
            double submittedBefore = metric(web, "asyncjobs.engine.calls.submitted", null);

            // watch the engine's queue and busy threads through the endpoint while the load runs
            AtomicBoolean loading = new AtomicBoolean(true);
            AtomicLong peakQueue = new AtomicLong();
            AtomicLong peakActive = new AtomicLong();
            AtomicLong peakBusy = new AtomicLong();
            Future<?> watcher = clients.submit(() -> {
                while (loading.get()) {
                    peakQueue.accumulateAndGet((long) metric(web, "asyncjobs.engine.queue.size", null), Math::max);
                    peakActive.accumulateAndGet((long) metric(web, "asyncjobs.jobs.active", null), Math::max);
                    peakBusy.accumulateAndGet((long) metric(web, "asyncjobs.engine.threads.busy", null), Math::max);
                }
                return null;
            });

            // saturate the one device thread for sure (signing may be faster than the load can
            // arrive): a call holds it until the queue is seen full of the requests' calls
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Object> blocker = new CompletableFuture<>();
            AsyncJobs.<Object>launch(() -> engine.call(() -> {
                held.countDown();
                return release.await(60, TimeUnit.SECONDS);
            }), options, new JobObserver<Object>() {
                @Override
                public void onSuccess(@Nullable Object value) {
                    blocker.complete(value);
                }

                @Override
                public void onFailure(Throwable error) {
                    blocker.completeExceptionally(error);
                }
            });
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            CountDownLatch gate = new CountDownLatch(1);
            AtomicInteger served = new AtomicInteger();
            List<Future<?>> requests = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] payload = ("load " + i).getBytes(StandardCharsets.UTF_8);
                String keyId = i % 2 == 0 ? "p256" : "ed25519";
                requests.add(clients.submit(() -> {
                    gate.await();
                    web.post().uri("/sign").contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(Map.of("keyId", keyId, "payload", B64.encodeToString(payload))).exchange()
                            .expectStatus().isOk().expectBody().jsonPath("$.signature").exists();
                    served.incrementAndGet();
                    return null;
                }));
            }
            gate.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (peakQueue.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            release.countDown();
            assertThat(blocker.get(30, TimeUnit.SECONDS)).isEqualTo(Boolean.TRUE);
            for (Future<?> f : requests) {
                f.get(120, TimeUnit.SECONDS);
            }
            loading.set(false);
            watcher.get(30, TimeUnit.SECONDS);
            assertThat(served.get()).isEqualTo(n);

            // one job per request, each ended with its signature; one engine call each
            // (+ 1: the job that held the device)
            awaitMetric(web, "asyncjobs.jobs.completed", "outcome:success", succeededBefore + n + 1);
            assertThat(metric(web, "asyncjobs.jobs.completed", "outcome:success") - succeededBefore - 1)
                    .as("jobs completed = requests served").isEqualTo(served.get());
            assertThat(metric(web, "asyncjobs.jobs.completed", "outcome:failure")).isZero();
            assertThat(metric(web, "asyncjobs.engine.calls.submitted", null) - submittedBefore).isEqualTo(n + 1);
            assertThat(peakQueue.get()).as("the engine's queue seen above zero while saturated").isPositive();
            assertThat(peakActive.get()).as("jobs seen active").isPositive();
            assertThat(peakBusy.get()).as("the device thread seen busy").isEqualTo(1);

            // and back to zero
            awaitMetric(web, "asyncjobs.jobs.active", null, 0);
            assertThat(metric(web, "asyncjobs.jobs.paused", null)).isZero();
            assertThat(metric(web, "asyncjobs.engine.queue.size", null)).isZero();
            awaitMetric(web, "asyncjobs.engine.threads.busy", null, 0);
            assertThat(metric(web, "asyncjobs.engine.calls", "outcome:success")).as("the calls timer's count")
                    .isGreaterThanOrEqualTo(n);
        } finally {
            pool.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    /** The first measurement of {@code /actuator/metrics/NAME[?tag=TAG]} (VALUE or COUNT: summed over loops). */
    private static double metric(WebTestClient web, String name, String tag) {
        Map<String, Object> body = web.get().uri(u -> tag == null ? u.path("/actuator/metrics/" + name).build()
                        : u.path("/actuator/metrics/" + name).queryParam("tag", tag).build())
                .exchange().expectStatus().isOk().expectBody(SigningApplicationTest.JSON).returnResult().getResponseBody();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> ms = (List<Map<String, Object>>) body.get("measurements");
        return ((Number) ms.get(0).get("value")).doubleValue();
    }

    private static void awaitMetric(WebTestClient web, String name, String tag, double expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        double v;
        while ((v = metric(web, name, tag)) != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + (tag == null ? "" : "{" + tag + "}") + " stayed at " + v + ", expected " + expected);
            }
            Thread.sleep(10);
        }
    }
}
