package dev.asyncjobs.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.examples.webflux.KeyRing.SigningKey;
import dev.asyncjobs.netty.NettyJobs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code asyncjobs.placement=event-loop} in the service's application.properties: each {@code /sign}
 * request's signing job runs on the Netty event loop that took the request. The job's value (the
 * signature, after the job paused on a device thread) is turned into the response on the thread
 * that resumed and finished the job, and that is the event loop the request arrived on; the job
 * loops run none of these jobs, and every request made one engine call.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(EventLoopSigningTest.SignThreads.class)
@Timeout(120)
class EventLoopSigningTest {
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final int REQUESTS = 200;

    @LocalServerPort
    int port;

    @Autowired
    KeyRing keys;

    @Autowired
    JobLoopGroup signingLoops;

    @Autowired
    OffloadEngine engine;

    @Autowired
    JobOptions options;

    @Autowired
    SignThreads signThreads;

    /**
     * For each {@code /sign}: the thread the request arrived on (a filter runs on the channel's
     * event loop) and the thread the response is committed on, which is the thread that emitted
     * the signature, i.e. the one that ran the job's last segment.
     */
    @TestConfiguration(proxyBeanMethods = false)
    static class SignThreads {
        final Queue<Thread[]> seen = new ConcurrentLinkedQueue<>();

        @Bean
        WebFilter signThreadsFilter() {
            return (exchange, chain) -> {
                if (exchange.getRequest().getPath().value().equals("/sign")) {
                    Thread took = Thread.currentThread();
                    exchange.getResponse().beforeCommit(() -> {
                        seen.add(new Thread[] {took, Thread.currentThread()});
                        return Mono.empty();
                    });
                }
                return chain.filter(exchange);
            };
        }
    }

    @Test
    void theServicesOptionsPreferTheEventLoopAndFallBackOnItsLoops() {
        assertThat(options.placement()).isNotNull();
        assertThat(options.placement().hostLookup()).isSameAs(NettyJobs.currentEventLoop());
        assertThat(options.placement().poolSize()).isEqualTo(1024);
        assertThat(options.placement().loops()).isSameAs(signingLoops);
    }

    @Test
    void eachSigningJobRunsOnTheEventLoopThatTookTheRequest() throws Exception {
        // the JDK's HTTP client: its threads are not reactor-netty's, so every event-loop thread
        // seen here ("webflux-http-epoll-N" here) is one of the server's
        WebTestClient client = WebTestClient.bindToServer(new JdkClientHttpConnector()).baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60)).build();
        signThreads.seen.clear();
        long loopJobsBefore = signingLoops.stats().jobsStarted();
        long callsBefore = engine.stats().callsSubmitted();

        SigningKey p256 = keys.find("p256");
        List<Boolean> valid = Flux.range(0, REQUESTS).flatMap(i -> Mono.fromCallable(() -> {
            byte[] payload = ("on the loop " + i).getBytes(StandardCharsets.UTF_8);
            Map<String, Object> r = client.post().uri("/sign").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("keyId", "p256", "payload", B64.encodeToString(payload))).exchange()
                    .expectStatus().isOk().expectBody(SigningApplicationTest.JSON).returnResult().getResponseBody();
            return SigningApplicationTest.plainVerify(p256, payload, Base64.getDecoder().decode((String) r.get("signature")));
        }).subscribeOn(Schedulers.boundedElastic()), 20).collectList().block(Duration.ofSeconds(90));

        assertThat(valid).hasSize(REQUESTS).containsOnly(true);
        assertThat(signThreads.seen).hasSize(REQUESTS);
        for (Thread[] t : signThreads.seen) {
            assertThat(t[0].getName()).as("the request arrived on an event loop").matches("[a-z]+-http-[a-z_]+-\\d+");
            assertThat(t[1]).as("the job that signed it finished on that event loop").isSameAs(t[0]);
        }
        assertThat(signingLoops.stats().jobsStarted() - loopJobsBefore).as("jobs started on the job loops").isZero();
        assertThat(engine.stats().callsSubmitted() - callsBefore).as("one device call per request").isEqualTo(REQUESTS);
    }
}
