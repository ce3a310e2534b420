package dev.asyncjobs.examples.webflux;

import org.jspecify.annotations.Nullable;

/** The JSON bodies of the service. Byte strings are standard base64 (RFC 4648, with padding). */
final class Api {
    private Api() {
    }

    /**
     * {@code POST /sign}'s body.
     *
     * @param keyId the key to sign with
     * @param payload the message, base64
     */
    record SignRequest(@Nullable String keyId, @Nullable String payload) {
    }

    /**
     * {@code POST /sign}'s answer.
     *
     * @param keyId the key used
     * @param algorithm the JCA signature algorithm
     * @param signature the signature, base64
     */
    record SignResponse(String keyId, String algorithm, String signature) {
    }

    /**
     * {@code POST /verify}'s body.
     *
     * @param keyId the key to verify with
     * @param payload the message, base64
     * @param signature the signature, base64
     */
    record VerifyRequest(@Nullable String keyId, @Nullable String payload, @Nullable String signature) {
    }

    /**
     * {@code POST /verify}'s answer.
     *
     * @param keyId the key used
     * @param valid whether the signature is valid
     */
    record VerifyResponse(String keyId, boolean valid) {
    }

    /**
     * One entry of {@code GET /keys}.
     *
     * @param keyId the key id
     * @param algorithm the JCA signature algorithm
     * @param publicKey the public key, X.509 {@code SubjectPublicKeyInfo} DER, base64
     */
    record KeyInfo(String keyId, String algorithm, String publicKey) {
    }

    /**
     * Every error answer.
     *
     * @param error a stable code: {@code invalid_field}, {@code malformed_body}, {@code payload_too_large}
     * @param field the request field at fault ({@code keyId}, {@code payload}, {@code signature},
     *     or {@code body} for the body as a whole)
     * @param message what is wrong, for a person
     */
    record Error(String error, String field, String message) {
    }
}
