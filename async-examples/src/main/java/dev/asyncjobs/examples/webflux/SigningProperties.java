package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.crypto.SignatureScheme;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The service's own settings ({@code signing.*}). The job loops and the engine are the starter's,
 * set under {@code asyncjobs.*} (application.properties; docs/spring-boot.md).
 *
 * @param keys the keys to generate at start-up: key id to scheme ({@code signing.keys.p256=ecdsa-p256-sha256});
 *     by default {@code p256} (ECDSA P-256) and {@code ed25519}
 */
@ConfigurationProperties("signing")
public record SigningProperties(@Nullable Map<String, SignatureScheme> keys) {

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
}
