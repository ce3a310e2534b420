package dev.asyncjobs.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.crypto.SignatureScheme;
import dev.asyncjobs.examples.webflux.KeyRing.SigningKey;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/** The endpoints, each error, and 1,000 concurrent requests, against the running server. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@Import(SigningApplicationTest.InFlight.class)
class SigningApplicationTest {
    private static final Base64.Encoder B64 = Base64.getEncoder();
    static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() { };

    @Autowired
    WebTestClient client;

    @Autowired
    KeyRing keys;

    @Autowired
    JobLoopGroup signingLoops;

    @Autowired
    InFlight inFlight;

    @LocalServerPort
    int port;

    /**
     * Counts the requests the server is handling at once. With {@link #holdUntil} set, requests
     * wait (without blocking their event loop) before the handler until that many are in flight,
     * or 10 s: signing on the event loops with a fast provider ends each request in microseconds,
     * so without the hold the clients alone decide how many overlap (36 to 96 seen of 1,000), and a
     * server that handled them one at a time could not reach the count at all.
     */
    @TestConfiguration(proxyBeanMethods = false)
    static class InFlight {
        final AtomicInteger now = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();
        volatile int holdUntil;
        volatile Sinks.Empty<Void> released = Sinks.empty();

        void hold(int count) {
            released = Sinks.empty();
            holdUntil = count;
        }

        @Bean
        WebFilter inFlightCounter() {
            return (exchange, chain) -> Mono.defer(() -> {
                int n = now.incrementAndGet();
                peak.accumulateAndGet(n, Math::max);
                int until = holdUntil;
                if (until <= 0) {
                    return chain.filter(exchange);
                }
                Sinks.Empty<Void> gate = released;
                if (n >= until) {
                    gate.tryEmitEmpty();
                }
                return gate.asMono().timeout(Duration.ofSeconds(10), Mono.empty()).then(chain.filter(exchange));
            }).doFinally(s -> now.decrementAndGet());
        }
    }

    @BeforeEach
    @AfterEach
    void noJobLeftBehind() throws InterruptedException {
        // every request's job has ended (its slot freed) once its response is out
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (signingLoops.liveJobs() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(signingLoops.liveJobs()).isZero();
    }

    // ------------------------------------------------------------------ endpoints

    @Test
    void keysAreGeneratedAtStartUp() {
        assertThat(keys.ids()).containsExactly("ed25519", "p256");
        List<Map<String, String>> listed = client.get().uri("/keys").exchange()
                .expectStatus().isOk()
                .expectBodyList(new ParameterizedTypeReference<Map<String, String>>() { })
                .returnResult().getResponseBody();
        assertThat(listed).hasSize(2);
        for (Map<String, String> k : listed) {
            SigningKey key = keys.find(k.get("keyId"));
            assertThat(key).isNotNull();
            assertThat(k.get("algorithm")).isEqualTo(key.scheme().algorithm());
            assertThat(Base64.getDecoder().decode(k.get("publicKey"))).isEqualTo(key.keys().getPublic().getEncoded());
        }
    }

    @Test
    void signMakesSignaturesThatPlainJcaAccepts() throws Exception {
        for (String keyId : keys.ids()) {
            byte[] payload = ("hello " + keyId).getBytes(StandardCharsets.UTF_8);
            Map<String, Object> r = post("/sign", Map.of("keyId", keyId, "payload", B64.encodeToString(payload)))
                    .expectStatus().isOk()
                    .expectHeader().contentType(MediaType.APPLICATION_JSON)
                    .expectBody(JSON).returnResult().getResponseBody();
            assertThat(r).containsEntry("keyId", keyId).containsEntry("algorithm", keys.find(keyId).scheme().algorithm());
            byte[] sig = Base64.getDecoder().decode((String) r.get("signature"));
            assertThat(plainVerify(keys.find(keyId), payload, sig)).as(keyId).isTrue();
        }
    }

    @Test
    void verifyAcceptsGoodSignaturesAndRejectsBadOnes() throws Exception {
        SigningKey p256 = keys.find("p256");
        byte[] payload = "pay me".getBytes(StandardCharsets.UTF_8);
        byte[] sig = plainSign(p256, payload); // signed by plain JCA: verified by the service
        verify("p256", payload, sig).jsonPath("$.valid").isEqualTo(true).jsonPath("$.keyId").isEqualTo("p256");
        verify("p256", "pay you".getBytes(StandardCharsets.UTF_8), sig).jsonPath("$.valid").isEqualTo(false);
        // a signature by the other key
        verify("ed25519", payload, sig).jsonPath("$.valid").isEqualTo(false);
        byte[] flipped = sig.clone();
        flipped[flipped.length - 1] ^= 1;
        verify("p256", payload, flipped).jsonPath("$.valid").isEqualTo(false);
        // valid base64 that is no ECDSA signature at all (not DER): not valid, not an error
        verify("p256", payload, new byte[] {1, 2, 3}).jsonPath("$.valid").isEqualTo(false);
        verify("ed25519", payload, new byte[] {1, 2, 3}).jsonPath("$.valid").isEqualTo(false);
    }

    // ------------------------------------------------------------------ errors

    @Test
    void invalidBase64IsA400NamingTheField() {
        expectFieldError(post("/sign", Map.of("keyId", "p256", "payload", "not base64!")), "payload", "not valid base64");
        expectFieldError(post("/verify", Map.of("keyId", "p256", "payload", "@@@@", "signature", "AAAA")),
                "payload", "not valid base64");
        expectFieldError(post("/verify", Map.of("keyId", "p256", "payload", "AAAA", "signature", "A")),
                "signature", "not valid base64");
    }

    @Test
    void anUnknownOrMissingKeyIdIsA400NamingTheField() {
        expectFieldError(post("/sign", Map.of("keyId", "nope", "payload", "AAAA")), "keyId",
                "unknown key id 'nope' (known: ed25519, p256)");
        expectFieldError(post("/verify", Map.of("keyId", "nope", "payload", "AAAA", "signature", "AAAA")), "keyId",
                "unknown key id 'nope'");
        expectFieldError(post("/sign", Map.of("payload", "AAAA")), "keyId", "keyId is missing");
    }

    @Test
    void aMissingFieldIsA400NamingIt() {
        expectFieldError(post("/sign", Map.of("keyId", "p256")), "payload", "payload is missing");
        expectFieldError(post("/verify", Map.of("keyId", "p256", "payload", "AAAA")), "signature", "signature is missing");
    }

    @Test
    void aBodyThatIsNotJsonIsA400() {
        for (String body : List.of("{\"keyId\": ", "[1, 2]", "\"text\"", "")) {
            client.post().uri("/sign").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                    .expectStatus().isBadRequest()
                    .expectBody()
                    .jsonPath("$.error").isEqualTo("malformed_body")
                    .jsonPath("$.field").isEqualTo("body");
        }
    }

    @Test
    void anOversizedBodyIsA413() {
        // 100 KB of payload: over the 64 KB limit, with a Content-Length the filter sees up front
        String big = B64.encodeToString(new byte[100 * 1024]);
        expect413(post("/sign", Map.of("keyId", "p256", "payload", big)));
        expect413(post("/verify", Map.of("keyId", "p256", "payload", big, "signature", "AAAA")));
    }

    @Test
    void anOversizedChunkedBodyIsA413Too() {
        // no Content-Length: the body streams in chunks and the decoder stops at the limit
        byte[] json = ("{\"keyId\":\"p256\",\"payload\":\"" + B64.encodeToString(new byte[100 * 1024]) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        Flux<DataBuffer> chunks = Flux.range(0, (json.length + 8191) / 8192).map(i -> DefaultDataBufferFactory.sharedInstance
                .wrap(java.util.Arrays.copyOfRange(json, i * 8192, Math.min(json.length, (i + 1) * 8192))));
        expect413(client.post().uri("/sign").contentType(MediaType.APPLICATION_JSON).body(chunks, DataBuffer.class).exchange());
        // and a body just under the limit goes through
        String fits = B64.encodeToString(new byte[40 * 1024]);
        post("/sign", Map.of("keyId", "p256", "payload", fits)).expectStatus().isOk();
    }

    // ------------------------------------------------------------------ load

    @Test
    void aThousandConcurrentRequestsAreAllCorrect() throws Exception {
        int n = 1000;
        ConnectionProvider pool = ConnectionProvider.builder("thousand").maxConnections(n).pendingAcquireMaxCount(-1).build();
        WebTestClient wide = WebTestClient.bindToServer(new ReactorClientHttpConnector(HttpClient.create(pool)))
                .baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(60)).build();
        inFlight.peak.set(0);
        inFlight.hold(150);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            // each client thread blocks on its own exchange; a gate starts them together
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<byte[]>> signatures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String keyId = i % 2 == 0 ? "p256" : "ed25519";
                byte[] payload = ("message " + i).getBytes(StandardCharsets.UTF_8);
                signatures.add(clients.submit(() -> {
                    gate.await();
                    Map<String, Object> r = wide.post().uri("/sign").contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(Map.of("keyId", keyId, "payload", B64.encodeToString(payload))).exchange()
                            .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
                    return Base64.getDecoder().decode((String) r.get("signature"));
                }));
            }
            gate.countDown();
            for (int i = 0; i < n; i++) {
                SigningKey key = keys.find(i % 2 == 0 ? "p256" : "ed25519");
                byte[] sig = signatures.get(i).get(60, TimeUnit.SECONDS);
                assertThat(plainVerify(key, ("message " + i).getBytes(StandardCharsets.UTF_8), sig)).as("signature %d", i).isTrue();
            }
            int signPeak = inFlight.peak.get();
            inFlight.hold(0);

            // the same signatures back through /verify, every third one against the wrong message
            CountDownLatch gate2 = new CountDownLatch(1);
            List<Future<Boolean>> verdicts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String keyId = i % 2 == 0 ? "p256" : "ed25519";
                byte[] payload = ("message " + (i % 3 == 0 ? i + 1 : i)).getBytes(StandardCharsets.UTF_8);
                byte[] sig = signatures.get(i).get();
                verdicts.add(clients.submit(() -> {
                    gate2.await();
                    Map<String, Object> r = wide.post().uri("/verify").contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(Map.of("keyId", keyId, "payload", B64.encodeToString(payload),
                                    "signature", B64.encodeToString(sig)))
                            .exchange().expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
                    return (Boolean) r.get("valid");
                }));
            }
            gate2.countDown();
            for (int i = 0; i < n; i++) {
                assertThat(verdicts.get(i).get(60, TimeUnit.SECONDS)).as("verdict %d", i).isEqualTo(i % 3 != 0);
            }
            // the requests really were in flight together, not one after another
            assertThat(signPeak).as("peak requests in flight while signing").isGreaterThan(100);
        } finally {
            inFlight.hold(0);
            pool.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    // ------------------------------------------------------------------ helpers

    private WebTestClient.ResponseSpec post(String uri, Map<String, String> body) {
        return client.post().uri(uri).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    private WebTestClient.BodyContentSpec verify(String keyId, byte[] payload, byte[] sig) {
        return post("/verify", Map.of("keyId", keyId, "payload", B64.encodeToString(payload), "signature", B64.encodeToString(sig)))
                .expectStatus().isOk().expectBody();
    }

    private static void expectFieldError(WebTestClient.ResponseSpec r, String field, String message) {
        r.expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_JSON)
                .expectBody()
                .jsonPath("$.error").isEqualTo("invalid_field")
                .jsonPath("$.field").isEqualTo(field)
                .jsonPath("$.message").value(m -> assertThat((String) m).contains(message));
    }

    private static void expect413(WebTestClient.ResponseSpec r) {
        r.expectStatus().isEqualTo(HttpStatus.CONTENT_TOO_LARGE)
                .expectBody()
                .jsonPath("$.error").isEqualTo("payload_too_large")
                .jsonPath("$.field").isEqualTo("body")
                .jsonPath("$.message").isEqualTo("the body is larger than 65536 bytes");
    }

    static boolean plainVerify(SigningKey key, byte[] payload, byte[] sig) throws Exception {
        SignatureScheme scheme = key.scheme();
        // through the encoded form, as a client holding only GET /keys' answer would
        PublicKey pub = KeyFactory.getInstance(key.keys().getPublic().getAlgorithm())
                .generatePublic(new X509EncodedKeySpec(key.keys().getPublic().getEncoded()));
        Signature s = Signature.getInstance(scheme.algorithm());
        if (scheme.parameters() != null) {
            s.setParameter(scheme.parameters());
        }
        s.initVerify(pub);
        s.update(payload);
        return s.verify(sig);
    }

    static byte[] plainSign(SigningKey key, byte[] payload) throws Exception {
        Signature s = Signature.getInstance(key.scheme().algorithm());
        s.initSign(key.keys().getPrivate());
        s.update(payload);
        return s.sign();
    }
}
