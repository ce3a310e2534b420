package dev.asyncjobs.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.testsupport.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * {@code server.shutdown=graceful}: a request in flight when the application closes still gets its
 * answer, new connections are refused meanwhile, and the engine and job loops close after it.
 */
class GracefulShutdownTest {

    @Test
    void aRequestInFlightFinishesBeforeTheEngineCloses() throws Exception {
        ConfigurableApplicationContext ctx = new SpringApplicationBuilder(SigningApplication.class)
                .properties("server.port=0", "asyncjobs.engine.threads=1", "spring.main.banner-mode=off")
                .run();
        CountDownLatch release = new CountDownLatch(1);
        Thread closer = null;
        try {
            int port = ctx.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
            OffloadEngine engine = ctx.getBean(OffloadEngine.class);
            JobLoopGroup loops = ctx.getBean(JobLoopGroup.class);
            KeyRing keys = ctx.getBean(KeyRing.class);

            // hold the one device thread, so the request's signing waits in the engine's queue
            CountDownLatch held = new CountDownLatch(1);
            CompletableFuture<Object> blocker = new CompletableFuture<>();
            AsyncJobs.launch(() -> engine.call(() -> {
                held.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }), JobOptions.builder().loops(loops).build(), observer(blocker));
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();

            byte[] payload = "sign me on the way out".getBytes(StandardCharsets.UTF_8);
            CompletableFuture<Map<String, Object>> response = WebClient.create("http://localhost:" + port).post().uri("/sign")
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("keyId", "p256", "payload", Base64.getEncoder().encodeToString(payload)))
                    .retrieve().bodyToMono(SigningApplicationTest.JSON).toFuture();
            waitFor(() -> engine.queued() == 1, "the request's signing to be queued on the engine");

            closer = new Thread(ctx::close, "closer");
            closer.start();
            // the server stops taking connections, but waits for the request in flight
            waitFor(() -> !accepts(port), "the server to refuse new connections");
            assertThat(response).isNotDone();
            assertThat(closer.isAlive()).isTrue();
            assertThat(engine.isClosed()).isFalse();

            release.countDown();
            Map<String, Object> answer = response.get(30, TimeUnit.SECONDS);
            byte[] sig = Base64.getDecoder().decode((String) answer.get("signature"));
            assertThat(SigningApplicationTest.plainVerify(keys.find("p256"), payload, sig)).isTrue();

            closer.join(Duration.ofSeconds(30));
            assertThat(closer.isAlive()).as("context close finished").isFalse();
            assertThat(ctx.isActive()).isFalse();
            assertThat(engine.isClosed()).isTrue();
            assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThat(loops.isClosed()).isTrue();
            assertThat(loops.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertThat(blocker.get(10, TimeUnit.SECONDS)).isEqualTo(Boolean.TRUE);
        } finally {
            release.countDown();
            if (closer == null) {
                ctx.close();
            }
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("localhost", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void waitFor(BooleanSupplier condition, String what) {
        Await.until(what, Duration.ofSeconds(20), condition);
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
