package dev.asyncjobs.benchmarks;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.SignatureScheme;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The two crypto operations the benchmarks compare: ECDSA P-256 sign of a 64-byte message
 * ({@code SHA256withECDSA}) and AES-256-GCM encryption of 16 KiB, either through
 * {@link AsyncCrypto} (the product: inside a job it pauses while a device thread of its
 * {@link dev.asyncjobs.engine.OffloadEngine} does the work) or with the plain JCA on the calling
 * thread, making the same JCA calls per request as {@code AsyncCrypto} does on its device thread (a
 * {@link Signature} or {@link Cipher} cached per thread, neither being thread-safe, initialised per
 * request). Keys are made once; every encryption gets a fresh IV from a counter (GCM must never
 * reuse one with a key).
 */
final class CryptoWork {
    /** ECDSA P-256 sign. */
    static final String ECDSA = "ecdsa-p256-sign";
    /** AES-256-GCM encrypt 16 KiB. */
    static final String AES = "aes-gcm-16k";

    private final String op;
    private final KeyPair ecKeys;
    private final SecretKey aesKey;
    private final byte[][] messages = new byte[64][];
    private final byte[] plaintext = new byte[16 * 1024];
    private final AtomicLong ivCounter = new AtomicLong();
    private final ThreadLocal<Signature> signer;
    private final ThreadLocal<Cipher> cipher = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    CryptoWork(String op) {
        if (!op.equals(ECDSA) && !op.equals(AES)) {
            throw new IllegalArgumentException("unknown op " + op);
        }
        this.op = op;
        try {
            SecureRandom random = new SecureRandom();
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
            kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
            ecKeys = kpg.generateKeyPair();
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
        signer = ThreadLocal.withInitial(() -> {
            try {
                return Signature.getInstance("SHA256withECDSA");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The operation's name. */
    String op() {
        return op;
    }

    /**
     * Does request {@code i} with the plain JCA on the calling thread.
     *
     * @return the signature or the ciphertext
     */
    byte[] plain(int i) throws GeneralSecurityException {
        if (op.equals(ECDSA)) {
            Signature s = signer.get();
            s.initSign(ecKeys.getPrivate());
            s.update(message(i));
            return s.sign();
        }
        Cipher c = cipher.get();
        c.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(AsyncCrypto.GCM_TAG_BITS, nextIv()));
        return c.doFinal(plaintext);
    }

    /**
     * Does request {@code i} through {@link AsyncCrypto} (in a job: offloaded, the job pauses).
     *
     * @return the signature or the ciphertext
     */
    byte[] async(AsyncCrypto crypto, int i) throws GeneralSecurityException {
        if (op.equals(ECDSA)) {
            return crypto.sign(SignatureScheme.ECDSA_P256_SHA256, ecKeys.getPrivate(), message(i));
        }
        return crypto.encryptAesGcm(aesKey, nextIv(), plaintext, null);
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
        boolean ok = op.equals(ECDSA) ? out != null && out.length >= 64 && out.length <= 72
                : out != null && out.length == plaintext.length + 16;
        if (!ok) {
            throw new IllegalStateException(op + ": bad result " + (out == null ? null : out.length + " bytes"));
        }
    }
}
