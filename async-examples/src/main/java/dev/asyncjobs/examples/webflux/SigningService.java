package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.examples.webflux.KeyRing.SigningKey;
import dev.asyncjobs.reactor.AsyncMono;
import java.security.SignatureException;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Signing and verification as {@code Mono}s: each subscription is a job that hands the JCA work to
 * the offload engine and pauses until a device thread has done it. Where the job runs is the
 * options' business: with the service's settings ({@code asyncjobs.placement=event-loop}) on the
 * Netty event loop that subscribed, which took the request, else on the service's job loops.
 * Either way the job only starts, pauses and resumes there; nothing here blocks that thread.
 */
public final class SigningService {
    private final AsyncCrypto crypto;
    private final JobOptions options;

    /**
     * A service over {@code crypto}'s engine, with jobs where {@code options} put them.
     *
     * @param crypto the crypto
     * @param options the placement (event loop or job loops) and pool policy
     */
    public SigningService(AsyncCrypto crypto, JobOptions options) {
        this.crypto = Objects.requireNonNull(crypto, "crypto");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Signs {@code payload}.
     *
     * @param key the key
     * @param payload the message
     * @return the signature, when a device thread has made it
     */
    public Mono<byte[]> sign(SigningKey key, byte[] payload) {
        return AsyncMono.fromJob(() -> crypto.sign(key.scheme(), key.keys().getPrivate(), payload), options);
    }

    /**
     * Verifies {@code signature}. A signature the scheme cannot even parse (bad DER, wrong length)
     * is simply not valid: the JCA's {@link SignatureException} becomes {@code false}.
     *
     * @param key the key
     * @param payload the message
     * @param signature the signature
     * @return whether it is valid
     */
    public Mono<Boolean> verify(SigningKey key, byte[] payload, byte[] signature) {
        return AsyncMono.fromJob(() -> {
            try {
                return crypto.verify(key.scheme(), key.keys().getPublic(), payload, signature);
            } catch (SignatureException e) {
                return false;
            }
        }, options);
    }
}
