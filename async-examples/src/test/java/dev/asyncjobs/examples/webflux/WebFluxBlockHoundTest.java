package dev.asyncjobs.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.examples.BlockHoundSupport;
import dev.asyncjobs.examples.webflux.KeyRing.SigningKey;
import dev.asyncjobs.reactor.AsyncMono;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The signing service under BlockHound: the asyncjobs way never blocks an event loop or a job loop;
 * signing inline on an event loop (the naive way) is caught.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(WebFluxBlockHoundTest.Naive.class)
class WebFluxBlockHoundTest {
    static {
        // before Spring starts any thread
        BlockHoundSupport.install();
    }

    private static final Base64.Encoder B64 = Base64.getEncoder();

    @LocalServerPort
    int port;

    /**
     * The JDK's HTTP client, whose threads BlockHound does not watch: what is reported comes from
     * the server (a reactor-netty client in the same JVM would have event loops of its own).
     */
    WebTestClient client;

    @Autowired
    KeyRing keys;

    @Autowired
    JobOptions signingJobOptions;

    /** The naive endpoint: signs with plain JCA right on the event loop that got the request. */
    @TestConfiguration(proxyBeanMethods = false)
    static class Naive {
        @Bean
        RouterFunction<ServerResponse> naiveSign(KeyRing keys) {
            SigningKey key = keys.find("p256");
            return RouterFunctions.route().POST("/naive/sign", request -> request.bodyToMono(byte[].class)
                    .map(payload -> plainSign(key, payload))
                    .flatMap(sig -> ServerResponse.ok().bodyValue(B64.encodeToString(sig))))
                    .build();
        }
    }

    @BeforeEach
    void client() {
        client = WebTestClient.bindToServer(new JdkClientHttpConnector()).baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60)).build();
    }

    @Test
    void theIntegrationIsFoundByServiceLoader() {
        assertThat(ServiceLoader.load(BlockHoundIntegration.class).stream().map(p -> p.type().getName()))
                .contains("dev.asyncjobs.core.internal.AsyncJobsBlockHoundIntegration");
        assertThat(AsyncJob.backend()).isEqualTo(System.getProperty("asyncjobs.expectBackend", AsyncJob.backend()));
    }

    @Test
    void theEndpointsNeverBlockAnEventLoopOrAJobLoop() throws Exception {
        SigningKey p256 = keys.find("p256");
        // First, one request of each kind at a time. Jackson builds and caches a (de)serializer per
        // type on first use under a lock; a cold start with many requests at once makes event loops
        // wait on that lock (BlockHound reports Unsafe#park in DeserializerCache), a one-off of
        // Jackson's, not of the service. One request at a time: no contention, nothing reported.
        BlockHoundSupport.drain();
        byte[] warm = "warm-up".getBytes(StandardCharsets.UTF_8);
        client.post().uri("/sign").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("keyId", "p256", "payload", B64.encodeToString(warm))).exchange().expectStatus().isOk();
        client.post().uri("/verify").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("keyId", "p256", "payload", B64.encodeToString(warm),
                        "signature", B64.encodeToString(plainSign(p256, warm)))).exchange().expectStatus().isOk();
        client.post().uri("/sign").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("keyId", "nope", "payload", "AAAA")).exchange().expectStatus().isBadRequest();
        assertThat(BlockHoundSupport.drain()).as("blocking calls reported while warming up").isEmpty();

        // 400 requests, 200 at a time: signatures, verifications, and each kind of error
        List<Integer> statuses = Flux.range(0, 400).flatMap(i -> {
            byte[] payload = ("message " + i).getBytes(StandardCharsets.UTF_8);
            Map<String, String> body = switch (i % 8) {
                case 0, 1, 2 -> Map.of("keyId", i % 2 == 0 ? "p256" : "ed25519", "payload", B64.encodeToString(payload));
                case 3, 4 -> Map.of("keyId", "p256", "payload", B64.encodeToString(payload),
                        "signature", B64.encodeToString(plainSign(p256, payload)));
                case 5 -> Map.of("keyId", "nope", "payload", "AAAA");
                case 6 -> Map.of("keyId", "p256", "payload", "not base64!");
                default -> Map.of("keyId", "p256", "payload", B64.encodeToString(new byte[70_000]));
            };
            String uri = body.containsKey("signature") ? "/verify" : "/sign";
            return Mono.fromCallable(() -> client.post().uri(uri).contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(body).exchange().returnResult(String.class))
                    .subscribeOn(Schedulers.boundedElastic())
                    .map(r -> r.getStatus().value());
        }, 200).collectList().block(Duration.ofSeconds(120));
        assertThat(BlockHoundSupport.drain()).as("blocking calls reported").isEmpty();
        assertThat(statuses).hasSize(400);
        assertThat(statuses.stream().filter(s -> s == 200)).hasSize(250);
        assertThat(statuses.stream().filter(s -> s == 400)).hasSize(100);
        assertThat(statuses.stream().filter(s -> s == 413)).hasSize(50);
    }

    @Test
    void signingInlineOnTheEventLoopIsCaught() {
        BlockHoundSupport.drain();
        // the JDK's ECDSA draws its nonce from NativePRNG, which reads /dev/urandom (FileInputStream)
        // whenever its small buffer runs dry: within a few signatures
        List<String> reported = List.of();
        for (int i = 0; i < 50 && reported.isEmpty(); i++) {
            int status = client.post().uri("/naive/sign").contentType(MediaType.APPLICATION_OCTET_STREAM)
                    .bodyValue(("naive " + i).getBytes(StandardCharsets.UTF_8)).exchange()
                    .returnResult(String.class).getStatus().value();
            reported = BlockHoundSupport.drain();
            assertThat(status).isEqualTo(reported.isEmpty() ? 200 : 500);
        }
        assertThat(reported).isNotEmpty();
        // on a Netty event loop of the server ("webflux-http-epoll-N" here)
        assertThat(reported.get(0)).containsPattern("^Thread\\[#\\d+,[a-z]+-http-[a-z_]+-\\d+,")
                .contains("java.io.FileInputStream#readBytes")
                .contains("java.security.Signature.sign")
                .contains("io.netty.channel");
    }

    @Test
    void signingInlineOnParallelIsCaught() {
        SigningKey p256 = keys.find("p256");
        Throwable caught = null;
        for (int i = 0; i < 50 && caught == null; i++) {
            byte[] payload = ("parallel " + i).getBytes(StandardCharsets.UTF_8);
            try {
                Mono.fromCallable(() -> plainSign(p256, payload)).subscribeOn(Schedulers.parallel()).block();
            } catch (Throwable t) {
                caught = Exceptions.unwrap(t);
            }
        }
        assertThat(caught).isInstanceOf(BlockingOperationError.class).hasMessageContaining("FileInputStream#readBytes");
        assertThat(BlockHoundSupport.drain()).isNotEmpty().allMatch(r -> r.contains("parallel-"));
    }

    @Test
    void blockingInsideAJobOnTheLoopsIsCaught() {
        BlockHoundSupport.drain();
        // the job's thread is a job loop (continuation backend) or a job's virtual thread whose loop
        // waits for it (virtual-thread backend): blocking there blocks the loop
        assertThatThrownBy(() -> AsyncMono.fromJob(() -> {
            Thread.sleep(1);
            return 1;
        }, signingJobOptions).block(Duration.ofSeconds(10)))
                .satisfies(e -> assertThat(Exceptions.unwrap(e)).isInstanceOf(BlockingOperationError.class));
        assertThat(BlockHoundSupport.drain()).hasSize(1)
                .allMatch(r -> r.contains(AsyncJob.backend().equals("continuation")
                        ? "asyncjobs-loop-web-" : "asyncjobs-job"));
    }

    @Test
    void loopsAreMarkedByTypeNotByName() {
        BlockHoundSupport.drain();
        try (JobLoopGroup anyName = JobLoopGroup.builder().threads(1).name("elsewhere").build();
                JobLoopGroup plainThreads = JobLoopGroup.builder().threads(1).threadFactory(Thread::new).build()) {
            // the default threads are NonBlockingThreads, whatever their name
            assertThatThrownBy(() -> AsyncMono.fromJob(() -> {
                Thread.sleep(1);
                return 1;
            }, JobOptions.builder().loops(anyName).build()).block(Duration.ofSeconds(10)))
                    .satisfies(e -> assertThat(Exceptions.unwrap(e)).isInstanceOf(BlockingOperationError.class));
            assertThat(BlockHoundSupport.drain()).hasSize(1);
            if (AsyncJob.backend().equals("continuation")) {
                // a factory's plain threads are not marked (on the virtual-thread backend the job's
                // own thread is, whatever the loop's thread)
                assertThat(AsyncMono.fromJob(() -> {
                    Thread.sleep(1);
                    return 1;
                }, JobOptions.builder().loops(plainThreads).build()).block(Duration.ofSeconds(10))).isEqualTo(1);
                assertThat(BlockHoundSupport.drain()).isEmpty();
            }
        }
    }

    static byte[] plainSign(SigningKey key, byte[] payload) {
        try {
            Signature s = Signature.getInstance(key.scheme().algorithm());
            s.initSign(key.keys().getPrivate());
            s.update(payload);
            return s.sign();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
