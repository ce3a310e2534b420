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
import org.springframework.test.web.reactive.server.FluxExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * {@code /actuator/health} and {@code /actuator/metrics} of the service on the starter, under load:
 * the jobs started and completed equal the requests served, the engine's queue is seen above zero
 * while one device thread is saturated, and everything is back to zero after.
 *
 * <p>With the service's own placement ({@code asyncjobs.placement=event-loop}): each request's job
 * runs on the Netty event loop that took it, and is counted there: the {@code asyncjobs.jobs.*}
 * meters tagged {@code group=event-loops} and the health's {@code eventLoops} entry; the job loops
 * ({@code group=asyncjobs-loop-web}) count only the test's own job, launched off the event loops.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "asyncjobs.engine.threads=1")
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
                    .jsonPath("$.components.asyncJobs.details.engine.threads").isEqualTo(1)
                    .jsonPath("$.components.asyncJobs.details.eventLoops.name").isEqualTo("event-loops")
                    .jsonPath("$.components.asyncJobs.details.eventLoops.jobsStarted").exists();
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
            assertThat(metric(web, "asyncjobs.jobs.active")).isZero();
            // an event loop's meters appear with its first job: none yet reads as 0
            double startedBefore = metric(web, "asyncjobs.jobs.started", "group:event-loops");
            double succeededBefore = metric(web, "asyncjobs.jobs.completed", "group:event-loops", "outcome:success");
            double loopsSucceededBefore = metric(web, "asyncjobs.jobs.completed", "group:asyncjobs-loop-web",
                    "outcome:success");
            double submittedBefore = metric(web, "asyncjobs.engine.calls.submitted");
            Map<String, Object> healthBefore = eventLoopHealth(web);

            // watch the engine's queue and busy threads through the endpoint while the load runs
            AtomicBoolean loading = new AtomicBoolean(true);
            AtomicLong peakQueue = new AtomicLong();
            AtomicLong peakActive = new AtomicLong();
            AtomicLong peakBusy = new AtomicLong();
            Future<?> watcher = clients.submit(() -> {
                while (loading.get()) {
                    peakQueue.accumulateAndGet((long) metric(web, "asyncjobs.engine.queue.size"), Math::max);
                    peakActive.accumulateAndGet((long) metric(web, "asyncjobs.jobs.active"), Math::max);
                    peakBusy.accumulateAndGet((long) metric(web, "asyncjobs.engine.threads.busy"), Math::max);
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
            while (peakQueue.get() == 0 && !watcher.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            release.countDown();
            if (watcher.isDone()) {
                watcher.get(); // it ended before the load did: its failure is the test's
                throw new AssertionError("the metrics watcher ended while the load was running");
            }
            assertThat(peakQueue.get()).as("the requests' calls seen queued behind the held device thread").isPositive();
            assertThat(blocker.get(30, TimeUnit.SECONDS)).isEqualTo(Boolean.TRUE);
            for (Future<?> f : requests) {
                f.get(120, TimeUnit.SECONDS);
            }
            loading.set(false);
            watcher.get(30, TimeUnit.SECONDS);
            assertThat(served.get()).isEqualTo(n);

            // one job per request on the event loops, each ended with its signature; one engine
            // call each (+ 1: the test's job that held the device, on the job loops)
            awaitMetric(web, "asyncjobs.jobs.completed", succeededBefore + n, "group:event-loops", "outcome:success");
            assertThat(metric(web, "asyncjobs.jobs.started", "group:event-loops") - startedBefore)
                    .as("jobs started on the event loops = requests served").isEqualTo(served.get());
            assertThat(metric(web, "asyncjobs.jobs.completed", "group:event-loops", "outcome:success") - succeededBefore)
                    .as("jobs completed on the event loops = requests served").isEqualTo(served.get());
            assertThat(metric(web, "asyncjobs.jobs.completed", "group:event-loops", "outcome:failure")).isZero();
            assertThat(metric(web, "asyncjobs.jobs.completed", "group:event-loops", "outcome:cancelled")).isZero();
            assertThat(metric(web, "asyncjobs.jobs.completed", "group:asyncjobs-loop-web", "outcome:success")
                    - loopsSucceededBefore).as("the job loops ran the test's job only").isEqualTo(1);
            assertThat(metric(web, "asyncjobs.engine.calls.submitted") - submittedBefore).isEqualTo(n + 1);
            Map<String, Object> healthAfter = eventLoopHealth(web);
            assertThat(count(healthAfter, "jobsStarted") - count(healthBefore, "jobsStarted"))
                    .as("the health's eventLoops entry counts the requests' jobs").isEqualTo(n);
            assertThat(count(healthAfter, "jobsSucceeded") - count(healthBefore, "jobsSucceeded")).isEqualTo(n);
            assertThat(count(healthAfter, "jobsFailed")).isZero();
            assertThat(count(healthAfter, "loops")).as("event loops that ran jobs").isPositive();
            assertThat(peakQueue.get()).as("the engine's queue seen above zero while saturated").isPositive();
            assertThat(peakActive.get()).as("jobs seen active").isPositive();
            assertThat(peakBusy.get()).as("the device thread seen busy").isEqualTo(1);

            // and back to zero
            awaitMetric(web, "asyncjobs.jobs.active", 0);
            assertThat(metric(web, "asyncjobs.jobs.paused")).isZero();
            assertThat(metric(web, "asyncjobs.engine.queue.size")).isZero();
            awaitMetric(web, "asyncjobs.engine.threads.busy", 0);
            assertThat(count(eventLoopHealth(web), "jobsActive")).isZero();
            assertThat(metric(web, "asyncjobs.engine.calls", "outcome:success")).as("the calls timer's count")
                    .isGreaterThanOrEqualTo(n);
        } finally {
            pool.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    /**
     * The first measurement of {@code /actuator/metrics/NAME[?tag=TAG&...]} (VALUE or COUNT: summed
     * over the meters that match); 0 when no meter matches yet (404: an event loop's meters are
     * registered with its first job).
     */
    private static double metric(WebTestClient web, String name, String... tags) {
        FluxExchangeResult<Map<String, Object>> r = web.get().uri(u -> {
            u.path("/actuator/metrics/" + name);
            for (String t : tags) {
                u.queryParam("tag", t);
            }
            return u.build();
        }).exchange().returnResult(SigningApplicationTest.JSON);
        if (r.getStatus().value() == 404) {
            return 0;
        }
        assertThat(r.getStatus().is2xxSuccessful()).as(name + " " + List.of(tags) + ": " + r.getStatus()).isTrue();
        Map<String, Object> body = r.getResponseBody().blockFirst(Duration.ofSeconds(30));
        assertThat(body).isNotNull();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> ms = (List<Map<String, Object>>) body.get("measurements");
        return ((Number) ms.get(0).get("value")).doubleValue();
    }

    private static void awaitMetric(WebTestClient web, String name, double expected, String... tags)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        double v;
        while ((v = metric(web, name, tags)) != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + List.of(tags) + " stayed at " + v + ", expected " + expected);
            }
            Thread.sleep(10);
        }
    }

    /** {@code /actuator/health}'s {@code asyncJobs.details.eventLoops}. */
    private static Map<String, Object> eventLoopHealth(WebTestClient web) {
        Map<String, Object> body = web.get().uri("/actuator/health").exchange().expectStatus().isOk()
                .expectBody(SigningApplicationTest.JSON).returnResult().getResponseBody();
        assertThat(body).isNotNull();
        Map<String, Object> e = at(at(at(at(body, "components"), "asyncJobs"), "details"), "eventLoops");
        assertThat(e).containsEntry("name", "event-loops");
        return e;
    }

    @SuppressWarnings("unchecked") // JSON objects are read as maps
    private static Map<String, Object> at(Map<String, Object> m, String key) {
        assertThat(m).containsKey(key);
        return (Map<String, Object>) m.get(key);
    }

    private static long count(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }
}
