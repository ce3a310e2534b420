package dev.asyncjobs.crypto;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.engine.OffloadEngine;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.jspecify.annotations.Nullable;

/**
 * JCA cryptography through an {@link OffloadEngine}: each method looks synchronous, and inside a
 * job it pauses the job while a device thread does the work, so a job loop is never blocked by a
 * signature or a cipher. Outside a job it runs in the caller, like plain JCA.
 *
 * <pre>{@code
 * OffloadEngine engine = OffloadEngine.builder().threads(2).build();
 * AsyncCrypto crypto = new AsyncCrypto(engine);
 * KeyPair keys = SignatureScheme.ECDSA_P256_SHA256.generateKeyPair();
 * Mono<byte[]> sig = AsyncMono.fromJob(() -> crypto.sign(SignatureScheme.ECDSA_P256_SHA256, keys.getPrivate(), msg));
 * }</pre>
 *
 * <p>Results are exactly the JCA's (a signature made here verifies with plain JCA and the other
 * way round; ciphertexts, digests, MACs and shared secrets are byte for byte the same). Failures
 * are the JCA's own exceptions, unwrapped: a key of the wrong type or curve gives an {@link
 * InvalidKeyException}, a tampered AES-GCM ciphertext an {@link AEADBadTagException}, a malformed
 * signature a {@link java.security.SignatureException} (on the JDK's providers; ACCP and Conscrypt
 * verify it as {@code false}), an unknown algorithm a {@link
 * java.security.NoSuchAlgorithmException}. Besides those, every method throws {@link
 * CancellationException} if the job is cancelled while it waits, and {@link
 * RejectedExecutionException} if the engine is closed.
 *
 * <h2>Providers and small work</h2>
 * Each operation runs on the JCA provider its {@link CryptoPolicy} chose: by default the fastest
 * installed, per operation ({@link CryptoPolicy#fastest()}), so with Amazon Corretto Crypto
 * Provider installed ECDSA P-256 signs about ten times faster than on the JDK's SunEC, while
 * AES-GCM stays on the JDK's intrinsics. Keys from any provider work (the JCA translates them).
 * Work below the policy's inline limit for its operation (AES-GCM up to 16 KiB, SHA-256 and HMAC
 * up to 4 KiB, SHA-512 up to 2 KiB by default) runs in the job itself with no pause: it costs less
 * than the hand-off. {@link #toString()} and one log line ({@link System.Logger}, INFO, logger
 * {@code dev.asyncjobs.crypto}) when a routing is first used say what was chosen.
 *
 * <p>JCA instances are pooled per operation (lock-free, no {@code ThreadLocal}). As with a reused
 * JDK {@code Cipher}, encrypting twice in a row with the same AES key and IV may be refused by the
 * provider ({@link InvalidAlgorithmParameterException}): never reuse an IV with a key.
 *
 * <p>Thread-safe; one instance can serve any number of jobs.
 */
public final class AsyncCrypto {
    /** The AES-GCM IV length, in bytes. */
    public static final int GCM_IV_BYTES = 12;
    /** The AES-GCM tag length, in bits; the tag is appended to the ciphertext, as the JCA does. */
    public static final int GCM_TAG_BITS = 128;
    /**
     * The RSA-OAEP parameters: SHA-256 for both the label hash and MGF1, empty label (what
     * OpenSSL's {@code rsa_oaep_md:sha256} with {@code rsa_mgf1_md:sha256} produces).
     */
    public static final OAEPParameterSpec OAEP_SHA256 = new OAEPParameterSpec("SHA-256", "MGF1",
            MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

    private static final String HMAC_SHA256 = "HmacSHA256";
    private static final String X25519_ALG = "X25519";
    private static final System.Logger LOG = System.getLogger("dev.asyncjobs.crypto");
    /** Routings already logged at INFO: one line per distinct choice, not per instance. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private final OffloadEngine engine;
    private final CryptoPolicy policy;
    private final EnumMap<CryptoOperation, JcaPool<Signature>> signatures = new EnumMap<>(CryptoOperation.class);
    private final JcaPool<Cipher> aesGcm;
    private final JcaPool<Cipher> rsaOaep;
    private final JcaPool<MessageDigest> sha256;
    private final JcaPool<MessageDigest> sha512;
    private final JcaPool<Mac> hmacSha256;
    private final JcaPool<KeyAgreement> x25519;
    /** Other digests by name, on the JCA's default provider. */
    private final ConcurrentHashMap<String, JcaPool<MessageDigest>> otherDigests = new ConcurrentHashMap<>();

    /**
     * Crypto through {@code engine}, on the fastest providers installed ({@link CryptoPolicy#fastest()}).
     *
     * @param engine the device the work runs on
     */
    public AsyncCrypto(OffloadEngine engine) {
        this(Objects.requireNonNull(engine, "engine"), CryptoPolicy.fastest());
    }

    /**
     * Crypto through {@code engine}, on the providers and inline limits of {@code policy}.
     *
     * @param engine the device the work runs on
     * @param policy which provider runs each operation, and what runs inline
     */
    public AsyncCrypto(OffloadEngine engine, CryptoPolicy policy) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.policy = Objects.requireNonNull(policy, "policy");
        for (SignatureScheme s : SignatureScheme.values()) {
            for (CryptoOperation op : new CryptoOperation[] {CryptoOperation.sign(s), CryptoOperation.verify(s)}) {
                Provider p = policy.provider(op);
                signatures.put(op, new JcaPool<>(() -> p == null ? Signature.getInstance(s.algorithm())
                        : Signature.getInstance(s.algorithm(), p)));
            }
        }
        aesGcm = cipherPool(CryptoOperation.AES_GCM);
        rsaOaep = cipherPool(CryptoOperation.RSA_OAEP);
        sha256 = digestPool(CryptoOperation.SHA256);
        sha512 = digestPool(CryptoOperation.SHA512);
        Provider mac = policy.provider(CryptoOperation.HMAC_SHA256);
        hmacSha256 = new JcaPool<>(() -> mac == null ? Mac.getInstance(HMAC_SHA256) : Mac.getInstance(HMAC_SHA256, mac));
        Provider ka = policy.provider(CryptoOperation.X25519);
        x25519 = new JcaPool<>(() -> ka == null ? KeyAgreement.getInstance(X25519_ALG)
                : KeyAgreement.getInstance(X25519_ALG, ka));
        String routing = policy.toString();
        if (LOGGED.add(routing)) {
            LOG.log(System.Logger.Level.INFO, "asyncjobs crypto routing: {0}", routing);
        }
    }

    private JcaPool<Cipher> cipherPool(CryptoOperation op) {
        Provider p = policy.provider(op);
        String t = op.jcaAlgorithm();
        return new JcaPool<>(() -> p == null ? Cipher.getInstance(t) : Cipher.getInstance(t, p));
    }

    private JcaPool<MessageDigest> digestPool(CryptoOperation op) {
        Provider p = policy.provider(op);
        String a = op.jcaAlgorithm();
        return new JcaPool<>(() -> p == null ? MessageDigest.getInstance(a) : MessageDigest.getInstance(a, p));
    }

    /**
     * The routing: which provider runs each operation, and what runs inline.
     *
     * @return the policy
     */
    public CryptoPolicy policy() {
        return policy;
    }

    /**
     * The engine and the routing, e.g. {@code AsyncCrypto[engine demo-device, CryptoPolicy[...]]}.
     *
     * @return a description
     */
    @Override
    public String toString() {
        return "AsyncCrypto[engine " + engine.name() + ", " + policy + "]";
    }

    /**
     * The engine the work runs on.
     *
     * @return the engine
     */
    public OffloadEngine engine() {
        return engine;
    }

    // ---------------------------------------------------------------- signatures

    /**
     * Signs {@code data}.
     *
     * @param scheme the scheme
     * @param key the private key: P-256 EC for ECDSA, Ed25519, or RSA for RSA-PSS
     * @param data the message
     * @return the signature (DER for ECDSA, 64 bytes for Ed25519, the modulus size for RSA-PSS)
     * @throws InvalidKeyException if the key does not fit the scheme (for ECDSA: not on P-256)
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public byte[] sign(SignatureScheme scheme, PrivateKey key, byte[] data) throws GeneralSecurityException {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        CryptoOperation op = CryptoOperation.sign(scheme);
        JcaPool<Signature> pool = signatures.get(op);
        return run(op, data.length, () -> {
            checkCurve(scheme, key);
            Signature s = pool.take();
            if (scheme.parameters() != null) {
                s.setParameter(scheme.parameters());
            }
            s.initSign(key);
            s.update(data);
            byte[] sig = s.sign();
            pool.giveBack(s);
            return sig;
        });
    }

    /**
     * Verifies a signature of {@code data}.
     *
     * @param scheme the scheme
     * @param key the public key
     * @param data the message
     * @param signature the signature
     * @return whether the signature is valid
     * @throws InvalidKeyException if the key does not fit the scheme
     * @throws java.security.SignatureException if the signature is malformed and the provider says
     *     so by throwing (the JDK's do; ACCP and Conscrypt return {@code false} instead: the JCA
     *     allows both)
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public boolean verify(SignatureScheme scheme, PublicKey key, byte[] data, byte[] signature)
            throws GeneralSecurityException {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(signature, "signature");
        CryptoOperation op = CryptoOperation.verify(scheme);
        JcaPool<Signature> pool = signatures.get(op);
        return run(op, data.length, () -> {
            checkCurve(scheme, key);
            Signature s = pool.take();
            if (scheme.parameters() != null) {
                s.setParameter(scheme.parameters());
            }
            s.initVerify(key);
            s.update(data);
            boolean ok = s.verify(signature);
            pool.giveBack(s);
            return ok;
        });
    }

    /**
     * Signs with any JCA signature algorithm (a fresh {@code Signature} per call).
     *
     * @param algorithm the JCA name, e.g. {@code "SHA384withECDSA"}
     * @param parameters set on the {@code Signature} first, or {@code null}
     * @param key the private key
     * @param data the message
     * @return the signature
     * @throws java.security.NoSuchAlgorithmException if no provider has {@code algorithm}
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public byte[] sign(String algorithm, @Nullable AlgorithmParameterSpec parameters,
            PrivateKey key, byte[] data) throws GeneralSecurityException {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        return offload(() -> {
            Signature s = Signature.getInstance(algorithm);
            if (parameters != null) {
                s.setParameter(parameters);
            }
            s.initSign(key);
            s.update(data);
            return s.sign();
        });
    }

    /**
     * Verifies with any JCA signature algorithm (a fresh {@code Signature} per call).
     *
     * @param algorithm the JCA name
     * @param parameters set on the {@code Signature} first, or {@code null}
     * @param key the public key
     * @param data the message
     * @param signature the signature
     * @return whether the signature is valid
     * @throws java.security.NoSuchAlgorithmException if no provider has {@code algorithm}
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public boolean verify(String algorithm, @Nullable AlgorithmParameterSpec parameters,
            PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(signature, "signature");
        return offload(() -> {
            Signature s = Signature.getInstance(algorithm);
            if (parameters != null) {
                s.setParameter(parameters);
            }
            s.initVerify(key);
            s.update(data);
            return s.verify(signature);
        });
    }

    /**
     * Makes a key pair for {@code scheme} on the device ({@link SignatureScheme#generateKeyPair()};
     * RSA key generation takes tens of milliseconds).
     *
     * @param scheme the scheme
     * @return the key pair
     * @throws GeneralSecurityException what the JCA throws
     */
    public KeyPair generateKeyPair(SignatureScheme scheme) throws GeneralSecurityException {
        Objects.requireNonNull(scheme, "scheme");
        return offload(scheme::generateKeyPair);
    }

    // ---------------------------------------------------------------- ciphers

    /**
     * AES-256-GCM encryption ({@code AES/GCM/NoPadding}, 12-byte IV, 128-bit tag).
     *
     * @param key a 256-bit AES key
     * @param iv 12 bytes, never used twice with the same key
     * @param plaintext the plaintext
     * @param aad additional authenticated data, or {@code null}
     * @return the ciphertext followed by the 16-byte tag, as the JCA returns it
     * @throws InvalidKeyException if the key is not a 256-bit AES key
     * @throws InvalidAlgorithmParameterException if the IV is not 12 bytes (or was just used)
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public byte[] encryptAesGcm(SecretKey key, byte[] iv, byte[] plaintext, byte @Nullable [] aad)
            throws GeneralSecurityException {
        return aesGcm(Cipher.ENCRYPT_MODE, key, iv, plaintext, aad, "plaintext");
    }

    /**
     * AES-256-GCM decryption.
     *
     * @param key the 256-bit AES key
     * @param iv the 12-byte IV used to encrypt
     * @param ciphertext the ciphertext followed by its tag
     * @param aad the additional authenticated data given to encrypt, or {@code null}
     * @return the plaintext
     * @throws AEADBadTagException if the ciphertext, tag, IV, AAD or key do not match
     * @throws InvalidKeyException if the key is not a 256-bit AES key
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public byte[] decryptAesGcm(SecretKey key, byte[] iv, byte[] ciphertext, byte @Nullable [] aad)
            throws GeneralSecurityException {
        return aesGcm(Cipher.DECRYPT_MODE, key, iv, ciphertext, aad, "ciphertext");
    }

    private byte[] aesGcm(int mode, SecretKey key, byte[] iv, byte[] input, byte @Nullable [] aad, String inputName)
            throws GeneralSecurityException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(iv, "iv");
        Objects.requireNonNull(input, inputName);
        if (iv.length != GCM_IV_BYTES) {
            throw new InvalidAlgorithmParameterException("AES-GCM needs a " + GCM_IV_BYTES + "-byte IV, got "
                    + iv.length + " bytes");
        }
        checkAes256(key);
        return run(CryptoOperation.AES_GCM, input.length, () -> {
            Cipher c = aesGcm.take();
            c.init(mode, key, new GCMParameterSpec(GCM_TAG_BITS, iv));
            if (aad != null) {
                c.updateAAD(aad);
            }
            byte[] out = c.doFinal(input);
            aesGcm.giveBack(c);
            return out;
        });
    }

    /**
     * RSA-OAEP encryption with SHA-256 and MGF1-SHA-256 ({@link #OAEP_SHA256}).
     *
     * @param key the RSA public key
     * @param plaintext at most the modulus size minus 66 bytes (190 for RSA-2048)
     * @return the ciphertext, the size of the modulus
     * @throws InvalidKeyException if the key is not an RSA public key
     * @throws javax.crypto.IllegalBlockSizeException if the plaintext is too long
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public byte[] encryptRsaOaep(PublicKey key, byte[] plaintext) throws GeneralSecurityException {
        return rsaOaep(Cipher.ENCRYPT_MODE, key, plaintext, "plaintext");
    }

    /**
     * RSA-OAEP decryption with SHA-256 and MGF1-SHA-256.
     *
     * @param key the RSA private key
     * @param ciphertext the ciphertext
     * @return the plaintext
     * @throws javax.crypto.BadPaddingException if the ciphertext was not made with the matching
     *     public key and these parameters
     * @throws GeneralSecurityException what the JCA throws otherwise
     */
    public byte[] decryptRsaOaep(PrivateKey key, byte[] ciphertext) throws GeneralSecurityException {
        return rsaOaep(Cipher.DECRYPT_MODE, key, ciphertext, "ciphertext");
    }

    private byte[] rsaOaep(int mode, Key key, byte[] input, String inputName) throws GeneralSecurityException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(input, inputName);
        return run(CryptoOperation.RSA_OAEP, input.length, () -> {
            Cipher c = rsaOaep.take();
            c.init(mode, key, OAEP_SHA256);
            byte[] out = c.doFinal(input);
            rsaOaep.giveBack(c);
            return out;
        });
    }

    // ---------------------------------------------------------------- digests, MACs, agreement

    /**
     * A message digest.
     *
     * @param algorithm {@code "SHA-256"}, {@code "SHA-512"} or any JCA digest name
     * @param data the data
     * @return the digest
     * @throws java.security.NoSuchAlgorithmException if no provider has {@code algorithm}
     */
    public byte[] digest(String algorithm, byte[] data) throws GeneralSecurityException {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(data, "data");
        CryptoOperation op = digestOperation(algorithm);
        JcaPool<MessageDigest> pool = op == CryptoOperation.SHA256 ? sha256 : op == CryptoOperation.SHA512 ? sha512
                : otherDigests.computeIfAbsent(algorithm, a -> new JcaPool<>(() -> MessageDigest.getInstance(a)));
        Callable<byte[]> work = () -> {
            MessageDigest md = pool.take();
            byte[] out = md.digest(data);
            pool.giveBack(md);
            return out;
        };
        return op == null ? offload(work) : run(op, data.length, work);
    }

    /**
     * SHA-256.
     *
     * @param data the data
     * @return the 32-byte digest
     * @throws GeneralSecurityException never with the JDK's providers
     */
    public byte[] sha256(byte[] data) throws GeneralSecurityException {
        return digest("SHA-256", data);
    }

    /**
     * SHA-512.
     *
     * @param data the data
     * @return the 64-byte digest
     * @throws GeneralSecurityException never with the JDK's providers
     */
    public byte[] sha512(byte[] data) throws GeneralSecurityException {
        return digest("SHA-512", data);
    }

    /**
     * HMAC-SHA256.
     *
     * @param key the MAC key (any length; a {@code SecretKeySpec(bytes, "HmacSHA256")} does)
     * @param data the data
     * @return the 32-byte MAC
     * @throws InvalidKeyException if the JCA refuses the key
     */
    public byte[] hmacSha256(SecretKey key, byte[] data) throws GeneralSecurityException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(data, "data");
        return run(CryptoOperation.HMAC_SHA256, data.length, () -> {
            Mac m = hmacSha256.take();
            m.init(key);
            byte[] out = m.doFinal(data);
            hmacSha256.giveBack(m);
            return out;
        });
    }

    /**
     * X25519 key agreement (RFC 7748): the shared secret of our private key and the peer's public
     * key; both sides get the same 32 bytes.
     *
     * @param privateKey our X25519 private key
     * @param peerPublicKey the peer's X25519 public key
     * @return the 32-byte shared secret
     * @throws InvalidKeyException if either key is not an X25519 key, or the result is all zeros
     *     (a small-order peer key)
     */
    public byte[] x25519(PrivateKey privateKey, PublicKey peerPublicKey) throws GeneralSecurityException {
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(peerPublicKey, "peerPublicKey");
        return run(CryptoOperation.X25519, 0, () -> {
            KeyAgreement ka = x25519.take();
            ka.init(privateKey);
            ka.doPhase(peerPublicKey, true);
            byte[] secret = ka.generateSecret();
            x25519.giveBack(ka);
            return secret;
        });
    }

    // ---------------------------------------------------------------- internals

    /**
     * In the job itself when {@code inputBytes} is within the policy's inline limit for {@code op}
     * (QAT's small-packet path: no hand-off, no pause), else through the engine. Inline work keeps
     * the engine's contract (a closed engine rejects, a cancelled job gets its
     * {@link CancellationException}), and outside a job everything goes to the engine, which runs it
     * in the caller or, if strict, refuses.
     */
    private <T> T run(CryptoOperation op, int inputBytes, Callable<T> work) throws GeneralSecurityException {
        if (inputBytes <= policy.inlineMaxBytes(op)) {
            AsyncJob job = AsyncJob.current();
            if (job != null) {
                if (engine.isClosed()) {
                    throw new RejectedExecutionException("engine " + engine.name() + " is closed");
                }
                if (job.isCancelled()) {
                    throw new CancellationException("the job was cancelled");
                }
                return narrow(work);
            }
        }
        return offload(work);
    }

    private static <T> T narrow(Callable<T> work) throws GeneralSecurityException {
        try {
            return work.call();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("unexpected checked exception from JCA work", e);
        }
    }

    private static @Nullable CryptoOperation digestOperation(String algorithm) {
        return switch (algorithm.toUpperCase(java.util.Locale.ROOT)) {
            case "SHA-256", "SHA256", "2.16.840.1.101.3.4.2.1" -> CryptoOperation.SHA256;
            case "SHA-512", "SHA512", "2.16.840.1.101.3.4.2.3" -> CryptoOperation.SHA512;
            default -> null;
        };
    }

    /** Through the engine, with the checked exceptions narrowed to what JCA work can throw. */
    private <T> T offload(Callable<T> work) throws GeneralSecurityException {
        try {
            return engine.call(work);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // JCA work throws nothing else checked; keep the cause rather than lose it
            throw new IllegalStateException("unexpected checked exception from JCA work", e);
        }
    }

    private static void checkAes256(SecretKey key) throws InvalidKeyException {
        if (!"AES".equalsIgnoreCase(key.getAlgorithm())) {
            throw new InvalidKeyException("AES-GCM needs an AES key, got a " + key.getAlgorithm() + " key");
        }
        byte[] encoded = key.getEncoded();
        if (encoded != null) {
            int bits = encoded.length * 8;
            Arrays.fill(encoded, (byte) 0);
            if (bits != 256) {
                throw new InvalidKeyException("AES-256-GCM needs a 256-bit key, got " + bits + " bits");
            }
        }
    }

    /** {@code SHA256withECDSA} accepts any curve; the scheme promises P-256. */
    private static void checkCurve(SignatureScheme scheme, Key key) throws InvalidKeyException {
        if (scheme != SignatureScheme.ECDSA_P256_SHA256 || !(key instanceof ECKey ec)) {
            return; // other key types: the JCA's own init rejects them with its own message
        }
        ECParameterSpec p = ec.getParams();
        ECParameterSpec p256 = P256.SPEC;
        if (!p.getCurve().equals(p256.getCurve()) || !p.getOrder().equals(p256.getOrder())
                || !p.getGenerator().equals(p256.getGenerator())) {
            throw new InvalidKeyException("ECDSA_P256_SHA256 needs a key on P-256 (secp256r1), got a curve over a "
                    + p.getCurve().getField().getFieldSize() + "-bit field");
        }
    }

    /** The P-256 domain parameters, looked up once. */
    private static final class P256 {
        static final ECParameterSpec SPEC = load();

        private static ECParameterSpec load() {
            try {
                AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
                ap.init(new ECGenParameterSpec("secp256r1"));
                return ap.getParameterSpec(ECParameterSpec.class);
            } catch (GeneralSecurityException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
