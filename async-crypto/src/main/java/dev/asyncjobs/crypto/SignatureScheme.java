package dev.asyncjobs.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import org.jspecify.annotations.Nullable;

/**
 * The signature schemes {@link AsyncCrypto} offers, each pinned to one JCA algorithm and parameter
 * set so that both sides of a signature agree on every detail.
 */
public enum SignatureScheme {
    /** ECDSA on NIST P-256 ({@code secp256r1}) with SHA-256, DER-encoded signatures ({@code SHA256withECDSA}). */
    ECDSA_P256_SHA256("SHA256withECDSA", null, "EC"),
    /** Ed25519 (RFC 8032, pure): deterministic 64-byte signatures. */
    ED25519("Ed25519", null, "Ed25519"),
    /**
     * RSASSA-PSS with SHA-256, MGF1 with SHA-256, a 32-byte salt and the standard trailer field
     * ({@code RSASSA-PSS} with a {@link PSSParameterSpec}); RSA keys of 2048 bits or more.
     */
    RSA_PSS_SHA256("RSASSA-PSS", new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32,
            PSSParameterSpec.TRAILER_FIELD_BC), "RSA");

    private final String algorithm;
    private final @Nullable AlgorithmParameterSpec parameters;
    private final String keyAlgorithm;

    SignatureScheme(String algorithm, @Nullable AlgorithmParameterSpec parameters, String keyAlgorithm) {
        this.algorithm = algorithm;
        this.parameters = parameters;
        this.keyAlgorithm = keyAlgorithm;
    }

    /**
     * The JCA {@code Signature} algorithm name.
     *
     * @return e.g. {@code "SHA256withECDSA"}
     */
    public String algorithm() {
        return algorithm;
    }

    /**
     * The parameters set on the JCA {@code Signature} ({@link PSSParameterSpec} for RSA-PSS).
     *
     * @return the parameters, or {@code null} when the algorithm takes none
     */
    public @Nullable AlgorithmParameterSpec parameters() {
        return parameters;
    }

    /**
     * Makes a new key pair for this scheme, synchronously: a P-256 EC pair, an Ed25519 pair, or a
     * 2048-bit RSA pair (also usable with RSA-OAEP). RSA key generation takes tens of
     * milliseconds; inside a job use {@link AsyncCrypto#generateKeyPair(SignatureScheme)}.
     *
     * @return the key pair
     * @throws GeneralSecurityException if the JDK's providers cannot make one
     */
    public KeyPair generateKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance(keyAlgorithm);
        switch (this) {
            case ECDSA_P256_SHA256 -> g.initialize(new ECGenParameterSpec("secp256r1"));
            case RSA_PSS_SHA256 -> g.initialize(2048);
            case ED25519 -> { }
        }
        return g.generateKeyPair();
    }
}
