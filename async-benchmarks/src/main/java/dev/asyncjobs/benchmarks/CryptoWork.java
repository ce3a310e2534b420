package dev.asyncjobs.benchmarks;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.CryptoOperation;
import dev.asyncjobs.crypto.CryptoPolicy;
import dev.asyncjobs.crypto.SignatureScheme;
import java.security.Provider;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The crypto operations the benchmarks compare: ECDSA P-256 sign of a 64-byte message
 * ({@code SHA256withECDSA}), Ed25519 sign of a 64-byte message, and AES-256-GCM encryption of
 * 16 KiB, either through {@link AsyncCrypto} (the product: inside a job it pauses while a device
 * thread of its {@link dev.asyncjobs.engine.OffloadEngine} does the work, or, for small work, does it
 * in the job) or with the plain JCA on the calling thread, making the same JCA calls per request as
 * {@code AsyncCrypto} does (a {@link Signature} or {@link Cipher} cached per thread, neither being
 * thread-safe, initialised per request), on the JDK's provider ({@link #plain}) or on the provider
 * {@code AsyncCrypto}'s policy chose ({@link #direct}). Keys are made once; every encryption gets
 * a fresh IV from a counter (GCM must never reuse one with a key).
 */
final class CryptoWork {
    /** ECDSA P-256 sign. */
    static final String ECDSA = "ecdsa-p256-sign";
    /** Ed25519 sign. */
    static final String ED25519 = "ed25519-sign";
    /** AES-256-GCM encrypt 16 KiB. */
    static final String AES = "aes-gcm-16k";

    private final String op;
    private final CryptoOperation operation;
    private final KeyPair keys;
    private final SecretKey aesKey;
    private final byte[][] messages = new byte[64][];
    private final byte[] plaintext = new byte[16 * 1024];
    private final AtomicLong ivCounter = new AtomicLong();
    private final Provider jdk;
    private final Provider chosen;
    private final ThreadLocal<Signature> jdkSigner;
    private final ThreadLocal<Signature> chosenSigner;
    private final ThreadLocal<Cipher> jdkCipher;
    private final ThreadLocal<Cipher> chosenCipher;

    /**
     * The work of {@code op}; {@link #direct} runs it on the provider {@code policy} chose.
     *
     * @param op {@link #ECDSA}, {@link #ED25519} or {@link #AES}
     * @param policy the routing {@link #async}'s {@code AsyncCrypto} uses
     */
    CryptoWork(String op, CryptoPolicy policy) {
        this.op = op;
        this.operation = switch (op) {
            case ECDSA -> CryptoOperation.ECDSA_P256_SIGN;
            case ED25519 -> CryptoOperation.ED25519_SIGN;
            case AES -> CryptoOperation.AES_GCM;
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
        try {
            SecureRandom random = new SecureRandom();
            if (op.equals(ED25519)) {
                keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            } else {
                KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
                kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
                keys = kpg.generateKeyPair();
            }
            KeyGenerator kg = KeyGenerator.getInstance("AES");
            kg.init(256, random);
            aesKey = kg.generateKey();
            for (int i = 0; i < messages.length; i++) {
                messages[i] = new byte[64];
                random.nextBytes(messages[i]);
            }
            random.nextBytes(plaintext);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        this.jdk = Objects.requireNonNull(CryptoPolicy.jdk().provider(operation), "a JDK provider of " + operation);
        this.chosen = Objects.requireNonNull(policy.provider(operation), "a provider of " + operation);
        String alg = operation.jcaAlgorithm();
        jdkSigner = ThreadLocal.withInitial(() -> signature(alg, jdk));
        chosenSigner = ThreadLocal.withInitial(() -> signature(alg, chosen));
        jdkCipher = ThreadLocal.withInitial(() -> cipher(jdk));
        chosenCipher = ThreadLocal.withInitial(() -> cipher(chosen));
    }

    CryptoWork(String op) {
        this(op, CryptoPolicy.jdk());
    }

    private static Signature signature(String alg, Provider p) {
        try {
            return Signature.getInstance(alg, p);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Cipher cipher(Provider p) {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding", p);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The operation's name. */
    String op() {
        return op;
    }

    /** The JDK's provider of the operation, and the one the policy chose. */
    String providers() {
        return jdk.getName() + " / " + chosen.getName();
    }

    /**
     * Does request {@code i} with the plain JCA on the calling thread, on the JDK's provider.
     *
     * @return the signature or the ciphertext
     */
    byte[] plain(int i) throws GeneralSecurityException {
        return run(i, jdkSigner, jdkCipher);
    }

    /**
     * Does request {@code i} with the plain JCA on the calling thread, on the provider the policy
     * chose: the same provider called directly.
     *
     * @return the signature or the ciphertext
     */
    byte[] direct(int i) throws GeneralSecurityException {
        return run(i, chosenSigner, chosenCipher);
    }

    private byte[] run(int i, ThreadLocal<Signature> signer, ThreadLocal<Cipher> cipher)
            throws GeneralSecurityException {
        if (!op.equals(AES)) {
            Signature s = signer.get();
            s.initSign(keys.getPrivate());
            s.update(message(i));
            return s.sign();
        }
        Cipher c = cipher.get();
        c.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(AsyncCrypto.GCM_TAG_BITS, nextIv()));
        return c.doFinal(plaintext);
    }

    /**
     * Does request {@code i} through {@link AsyncCrypto} (in a job: offloaded and the job pauses,
     * or inline when small).
     *
     * @return the signature or the ciphertext
     */
    byte[] async(AsyncCrypto crypto, int i) throws GeneralSecurityException {
        return switch (op) {
            case ECDSA -> crypto.sign(SignatureScheme.ECDSA_P256_SHA256, keys.getPrivate(), message(i));
            case ED25519 -> crypto.sign(SignatureScheme.ED25519, keys.getPrivate(), message(i));
            default -> crypto.encryptAesGcm(aesKey, nextIv(), plaintext, null);
        };
    }

    private byte[] message(int i) {
        return messages[i & (messages.length - 1)];
    }

    private byte[] nextIv() {
        long n = ivCounter.incrementAndGet();
        byte[] iv = new byte[AsyncCrypto.GCM_IV_BYTES];
        for (int k = 0; k < 8; k++) {
            iv[k] = (byte) (n >>> (8 * k));
        }
        return iv;
    }

    /** Checks a result's shape, so a benchmark never times wrong work. */
    void check(byte[] out) {
        boolean ok = switch (op) {
            case ECDSA -> out != null && out.length >= 64 && out.length <= 72;
            case ED25519 -> out != null && out.length == 64;
            default -> out != null && out.length == plaintext.length + 16;
        };
        if (!ok) {
            throw new IllegalStateException(op + ": bad result " + (out == null ? null : out.length + " bytes"));
        }
    }
}
