package dev.asyncjobs.crypto;

/**
 * The operations {@link AsyncCrypto} routes, each to one JCA {@link java.security.Provider} of a
 * {@link CryptoPolicy}: the fastest implementation differs per algorithm (an OpenSSL-based
 * provider signs ECDSA P-256 about ten times faster than the JDK's SunEC, while the JDK's AES-GCM
 * is as fast as any), so the choice is made per operation, not once.
 */
public enum CryptoOperation {
    /** {@link SignatureScheme#ECDSA_P256_SHA256} signing. */
    ECDSA_P256_SIGN("Signature", "SHA256withECDSA"),
    /** {@link SignatureScheme#ECDSA_P256_SHA256} verification. */
    ECDSA_P256_VERIFY("Signature", "SHA256withECDSA"),
    /** {@link SignatureScheme#ED25519} signing. */
    ED25519_SIGN("Signature", "Ed25519"),
    /** {@link SignatureScheme#ED25519} verification. */
    ED25519_VERIFY("Signature", "Ed25519"),
    /** {@link SignatureScheme#RSA_PSS_SHA256} signing. */
    RSA_PSS_SIGN("Signature", "RSASSA-PSS"),
    /** {@link SignatureScheme#RSA_PSS_SHA256} verification. */
    RSA_PSS_VERIFY("Signature", "RSASSA-PSS"),
    /** AES-256-GCM encryption and decryption ({@code AES/GCM/NoPadding}). */
    AES_GCM("Cipher", "AES/GCM/NoPadding"),
    /** RSA-OAEP encryption and decryption with SHA-256 ({@link AsyncCrypto#OAEP_SHA256}). */
    RSA_OAEP("Cipher", "RSA/ECB/OAEPPadding"),
    /** SHA-256. */
    SHA256("MessageDigest", "SHA-256"),
    /** SHA-512. */
    SHA512("MessageDigest", "SHA-512"),
    /** HMAC-SHA256. */
    HMAC_SHA256("Mac", "HmacSHA256"),
    /** X25519 key agreement. */
    X25519("KeyAgreement", "X25519");

    private final String type;
    private final String algorithm;

    CryptoOperation(String type, String algorithm) {
        this.type = type;
        this.algorithm = algorithm;
    }

    /**
     * The JCA engine class that does this operation.
     *
     * @return {@code "Signature"}, {@code "Cipher"}, {@code "MessageDigest"}, {@code "Mac"} or
     *     {@code "KeyAgreement"}
     */
    public String jcaType() {
        return type;
    }

    /**
     * The JCA algorithm (or transformation) name a provider must offer for this operation.
     *
     * @return e.g. {@code "SHA256withECDSA"}
     */
    public String jcaAlgorithm() {
        return algorithm;
    }

    static CryptoOperation sign(SignatureScheme s) {
        return switch (s) {
            case ECDSA_P256_SHA256 -> ECDSA_P256_SIGN;
            case ED25519 -> ED25519_SIGN;
            case RSA_PSS_SHA256 -> RSA_PSS_SIGN;
        };
    }

    static CryptoOperation verify(SignatureScheme s) {
        return switch (s) {
            case ECDSA_P256_SHA256 -> ECDSA_P256_VERIFY;
            case ED25519 -> ED25519_VERIFY;
            case RSA_PSS_SHA256 -> RSA_PSS_VERIFY;
        };
    }
}
