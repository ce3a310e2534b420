package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.crypto.SignatureScheme;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The service's settings ({@code signing.*}).
 *
 * @param keys the keys to generate at start-up: key id to scheme ({@code signing.keys.p256=ecdsa-p256-sha256});
 *     by default {@code p256} (ECDSA P-256) and {@code ed25519}
 * @param deviceThreads the offload engine's device threads (0: one per core)
 * @param queueCapacity the engine's submission queue (0: the engine's default)
 * @param loops the job loops (0: one per core)
 * @param maxJobsPerLoop jobs alive per loop; requests beyond wait for a slot, in order
 */
@ConfigurationProperties("signing")
public record SigningProperties(
        @Nullable Map<String, SignatureScheme> keys,
        @DefaultValue("0") int deviceThreads,
        @DefaultValue("0") int queueCapacity,
        @DefaultValue("0") int loops,
        @DefaultValue("1024") int maxJobsPerLoop) {

    /** The keys to generate, never empty. */
    Map<String, SignatureScheme> keysOrDefault() {
        if (keys == null || keys.isEmpty()) {
            Map<String, SignatureScheme> m = new LinkedHashMap<>();
            m.put("p256", SignatureScheme.ECDSA_P256_SHA256);
            m.put("ed25519", SignatureScheme.ED25519);
            return m;
        }
        return keys;
    }

    int deviceThreadsOrDefault() {
        return deviceThreads > 0 ? deviceThreads : Runtime.getRuntime().availableProcessors();
    }

    int loopsOrDefault() {
        return loops > 0 ? loops : Runtime.getRuntime().availableProcessors();
    }
}
