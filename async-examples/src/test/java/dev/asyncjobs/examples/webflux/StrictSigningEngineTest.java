package dev.asyncjobs.examples.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.examples.webflux.KeyRing.SigningKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The service's engine is strict: signing outside a job (a handler that forgot {@code
 * AsyncMono.fromJob}, which would sign on the Netty event loop) fails with an {@link
 * IllegalStateException} naming the fix, while the service's own path, a job per request, signs.
 */
class StrictSigningEngineTest {

    @Test
    void signingOutsideAJobIsRefusedAndTheServicesJobsSign() throws Exception {
        AsyncJobsConfiguration config = new AsyncJobsConfiguration();
        SigningProperties p = new SigningProperties(null, 1, 0, 1, 16);
        OffloadEngine engine = config.signingEngine(p);
        JobLoopGroup loops = config.signingLoops(p);
        try {
            assertThat(engine.isStrict()).isTrue();
            AsyncCrypto crypto = config.asyncCrypto(engine);
            SigningKey key = KeyRing.generate(p.keysOrDefault()).find("p256");
            byte[] payload = "strict".getBytes(StandardCharsets.UTF_8);

            assertThatThrownBy(() -> crypto.sign(key.scheme(), key.keys().getPrivate(), payload))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside a job")
                    .hasMessageContaining("AsyncMono.fromJob");

            JobOptions options = config.signingJobOptions(loops);
            SigningService service = config.signingService(crypto, options);
            byte[] sig = service.sign(key, payload).block(Duration.ofSeconds(30));
            assertThat(service.verify(key, payload, sig).block(Duration.ofSeconds(30))).isTrue();
        } finally {
            loops.close();
            engine.close();
            assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
        }
    }
}
