package dev.asyncjobs.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.examples.webflux.KeyRing.SigningKey;
import dev.asyncjobs.netty.NettyJobs;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The service's engine, as application.properties has the starter make it, is strict: signing
 * outside a job (a handler that forgot {@code AsyncMono.fromJob}, which would sign on the Netty
 * event loop) fails with an {@link IllegalStateException} naming the fix, while the service's own
 * path, a job per request, signs.
 */
class StrictSigningEngineTest {

    @Test
    void signingOutsideAJobIsRefusedAndTheServicesJobsSign() throws Exception {
        OffloadEngine engine;
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(SigningApplication.class)
                .web(WebApplicationType.NONE)
                .properties("asyncjobs.engine.threads=1", "asyncjobs.loops.threads=1",
                        "asyncjobs.loops.max-jobs-per-loop=16", "spring.main.banner-mode=off")
                .run()) {
            engine = ctx.getBean(OffloadEngine.class);
            assertThat(engine.isStrict()).isTrue();
            assertThat(engine.name()).isEqualTo("signing-device");
            assertThat(ctx.getBean(JobLoopGroup.class).name()).isEqualTo("asyncjobs-loop-web");
            AsyncCrypto crypto = ctx.getBean(AsyncCrypto.class);
            assertThat(crypto.engine()).isSameAs(engine);
            SigningKey key = ctx.getBean(KeyRing.class).find("p256");
            byte[] payload = "strict".getBytes(StandardCharsets.UTF_8);

            assertThatThrownBy(() -> crypto.sign(key.scheme(), key.keys().getPrivate(), payload))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside a job")
                    .hasMessageContaining("AsyncMono.fromJob");

            assertThat(ctx.getBean(JobOptions.class).placement().loops()).isSameAs(ctx.getBean(JobLoopGroup.class));
            // application.properties: on the event loop that subscribes; this test's thread is none,
            // so the service's jobs below run on the loops
            assertThat(ctx.getBean(JobOptions.class).placement().hostLookup()).isSameAs(NettyJobs.currentEventLoop());
            SigningService service = ctx.getBean(SigningService.class);
            byte[] sig = service.sign(key, payload).block(Duration.ofSeconds(30));
            assertThat(service.verify(key, payload, sig).block(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(engine.isClosed()).isTrue();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
    }
}
