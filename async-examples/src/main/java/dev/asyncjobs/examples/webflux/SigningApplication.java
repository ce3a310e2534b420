package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.crypto.AsyncCrypto;
import java.security.GeneralSecurityException;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * A signing service on Spring WebFlux whose crypto never runs on an event loop: each request's
 * signature or verification is an asyncjobs job ({@link dev.asyncjobs.reactor.AsyncMono}) on the
 * event loop that took the request, which hands the work to an {@link
 * dev.asyncjobs.engine.OffloadEngine} and pauses meanwhile.
 *
 * <pre>
 * POST /sign    {"keyId": "p256", "payload": "aGVsbG8="}
 *            -&gt; {"keyId": "p256", "algorithm": "SHA256withECDSA", "signature": "MEUCIQ..."}
 * POST /verify  {"keyId": "p256", "payload": "aGVsbG8=", "signature": "MEUCIQ..."}
 *            -&gt; {"keyId": "p256", "valid": true}
 * GET  /keys -&gt; [{"keyId": "p256", "algorithm": "SHA256withECDSA", "publicKey": "MFkw..."}, ...]
 * </pre>
 * Keys are generated at start-up ({@code signing.keys.ID=SCHEME}). Bad input is a 400 with a JSON
 * body naming the field, a body over {@code spring.http.codecs.max-in-memory-size} a 413, and on
 * shutdown requests in flight finish first ({@code server.shutdown=graceful}).
 *
 * <p>The job loops, the engine, {@link AsyncCrypto} and the {@link JobOptions} come from
 * asyncjobs-spring-boot-starter, set in application.properties ({@code asyncjobs.*}: a strict
 * engine named {@code signing-device}, loops named {@code asyncjobs-loop-web-N}, and {@code
 * asyncjobs.placement=event-loop}, so each request's job runs on the Netty event loop that took
 * the request, through async-netty, and on the loops only when launched elsewhere); {@code
 * /actuator/health} has an {@code asyncJobs} entry and {@code /actuator/metrics} the {@code
 * asyncjobs.*} meters. The starter closes the engine and the loops after the web server's
 * graceful shutdown.
 *
 * <p>Run it with {@code mvn -pl async-examples compile exec:exec@webflux} (port 8080).
 */
@SpringBootApplication(proxyBeanMethods = false)
@EnableConfigurationProperties(SigningProperties.class)
public class SigningApplication {

    /** Used by Spring. */
    public SigningApplication() {
    }

    @Bean
    KeyRing keyRing(SigningProperties p) throws GeneralSecurityException {
        return KeyRing.generate(p.keysOrDefault());
    }

    @Bean
    SigningService signingService(AsyncCrypto asyncCrypto, JobOptions options) {
        return new SigningService(asyncCrypto, options);
    }

    /**
     * Starts the service.
     *
     * @param args Spring Boot's command line ({@code --server.port=0}, ...)
     */
    public static void main(String[] args) {
        SpringApplication.run(SigningApplication.class, args);
    }
}
