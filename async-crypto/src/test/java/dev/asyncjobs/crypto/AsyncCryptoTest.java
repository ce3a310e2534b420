package dev.asyncjobs.crypto;

import static dev.asyncjobs.crypto.CryptoFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobTicket;
import dev.asyncjobs.core.StartStatus;
import dev.asyncjobs.engine.OffloadEngine;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every operation inside jobs (through {@link AsyncJobs#launch}, the adapters' path) checked
 * cross-wise against plain JCA, and every failure surfacing as the JCA's own exception type.
 */
class AsyncCryptoTest {
    @RegisterExtension
    static final CryptoFixture JOBS = new CryptoFixture("crypto", 32);
    private static AsyncCrypto crypto;
    private static KeyPair ec;
    private static KeyPair ed;
    private static KeyPair rsa;
    private static KeyPair x1;
    private static KeyPair x2;

    @BeforeAll
    static void setUp() throws Exception {
        crypto = new AsyncCrypto(JOBS.engine());
        ec = SignatureScheme.ECDSA_P256_SHA256.generateKeyPair();
        ed = SignatureScheme.ED25519.generateKeyPair();
        rsa = SignatureScheme.RSA_PSS_SHA256.generateKeyPair();
        x1 = KeyPairGenerator.getInstance("X25519").generateKeyPair();
        x2 = KeyPairGenerator.getInstance("X25519").generateKeyPair();
    }

    private static SecretKey aes256() {
        return new SecretKeySpec(bytes(32), "AES");
    }

    private static Signature plain(SignatureScheme s) throws Exception {
        Signature sig = Signature.getInstance(s.algorithm());
        if (s.parameters() != null) {
            sig.setParameter(s.parameters());
        }
        return sig;
    }

    private static byte[] plainSign(SignatureScheme s, KeyPair kp, byte[] data) throws Exception {
        Signature sig = plain(s);
        sig.initSign(kp.getPrivate());
        sig.update(data);
        return sig.sign();
    }

    private static boolean plainVerify(SignatureScheme s, KeyPair kp, byte[] data, byte[] signature) throws Exception {
        Signature sig = plain(s);
        sig.initVerify(kp.getPublic());
        sig.update(data);
        return sig.verify(signature);
    }

    private static KeyPair keysFor(SignatureScheme s) {
        return switch (s) {
            case ECDSA_P256_SHA256 -> ec;
            case ED25519 -> ed;
            case RSA_PSS_SHA256 -> rsa;
        };
    }

    // ---------------------------------------------------------------- signatures

    @Test
    void signaturesCrossVerifyWithPlainJcaForEveryScheme() throws Exception {
        for (SignatureScheme s : SignatureScheme.values()) {
            KeyPair kp = keysFor(s);
            for (int len : new int[] {0, 1, 32, 1000, 70_000}) {
                byte[] msg = bytes(len);
                byte[] asyncSig = JOBS.inJob(() -> crypto.sign(s, kp.getPrivate(), msg));
                assertThat(plainVerify(s, kp, msg, asyncSig)).as("%s: async sign, plain verify", s).isTrue();
                byte[] plainSig = plainSign(s, kp, msg);
                assertThat(JOBS.inJob(() -> crypto.verify(s, kp.getPublic(), msg, plainSig)))
                        .as("%s: plain sign, async verify", s).isTrue();
                byte[] other = msg.clone();
                if (other.length > 0) {
                    other[other.length / 2] ^= 1;
                } else {
                    other = new byte[] {1};
                }
                byte[] tampered = other;
                assertThat(JOBS.inJob(() -> crypto.verify(s, kp.getPublic(), tampered, asyncSig)))
                        .as("%s: another message does not verify", s).isFalse();
                assertThat(plainVerify(s, kp, tampered, asyncSig)).isFalse();
            }
        }
    }

    @Test
    void ed25519SignaturesAreByteForByteThePlainOnes() throws Exception {
        byte[] msg = "deterministic".getBytes(StandardCharsets.UTF_8);
        byte[] asyncSig = JOBS.inJob(() -> crypto.sign(SignatureScheme.ED25519, ed.getPrivate(), msg));
        assertThat(asyncSig).hasSize(64).isEqualTo(plainSign(SignatureScheme.ED25519, ed, msg));
    }

    @Test
    void rsaPssUsesSha256Mgf1AndSalt32() throws Exception {
        byte[] msg = bytes(100);
        byte[] sig = JOBS.inJob(() -> crypto.sign(SignatureScheme.RSA_PSS_SHA256, rsa.getPrivate(), msg));
        assertThat(sig).hasSize(256);
        // a verifier with the same named parameters, built independently, accepts it
        Signature v = Signature.getInstance("RSASSA-PSS");
        v.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
        v.initVerify(rsa.getPublic());
        v.update(msg);
        assertThat(v.verify(sig)).isTrue();
        // one with another salt length does not
        Signature w = Signature.getInstance("RSASSA-PSS");
        w.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                java.security.spec.MGF1ParameterSpec.SHA256, 20, 1));
        w.initVerify(rsa.getPublic());
        w.update(msg);
        assertThat(w.verify(sig)).isFalse();
    }

    @Test
    void outsideAJobTheSameCallsRunInTheCaller() throws Exception {
        byte[] msg = bytes(10);
        byte[] sig = crypto.sign(SignatureScheme.ECDSA_P256_SHA256, ec.getPrivate(), msg);
        assertThat(plainVerify(SignatureScheme.ECDSA_P256_SHA256, ec, msg, sig)).isTrue();
        assertThat(crypto.sha256(msg)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(msg));
    }

    @Test
    void genericAlgorithmOverloadsWorkAndRejectUnknownNames() throws Exception {
        byte[] msg = bytes(50);
        KeyPair p384 = ecPair("secp384r1");
        byte[] sig = JOBS.inJob(() -> crypto.sign("SHA384withECDSA", null, p384.getPrivate(), msg));
        Signature v = Signature.getInstance("SHA384withECDSA");
        v.initVerify(p384.getPublic());
        v.update(msg);
        assertThat(v.verify(sig)).isTrue();
        assertThat(JOBS.inJob(() -> crypto.verify("SHA384withECDSA", null, p384.getPublic(), msg, sig))).isTrue();
        assertThat(JOBS.inJob(() -> crypto.verify(SignatureScheme.RSA_PSS_SHA256.algorithm(),
                SignatureScheme.RSA_PSS_SHA256.parameters(), rsa.getPublic(), msg,
                plainSign(SignatureScheme.RSA_PSS_SHA256, rsa, msg)))).isTrue();
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.sign("SHA256withNothing", null, ec.getPrivate(), msg)))
                .isInstanceOf(NoSuchAlgorithmException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.digest("SHA-999", msg)))
                .isInstanceOf(NoSuchAlgorithmException.class);
    }

    @Test
    void keysThatDoNotFitTheSchemeAreInvalidKeyExceptions() throws Exception {
        byte[] msg = bytes(10);
        KeyPair p384 = ecPair("secp384r1");
        KeyPair p521 = ecPair("secp521r1");
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.sign(SignatureScheme.ECDSA_P256_SHA256, rsa.getPrivate(), msg)))
                .isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.sign(SignatureScheme.ECDSA_P256_SHA256, p384.getPrivate(), msg)))
                .isInstanceOf(InvalidKeyException.class).hasMessageContaining("P-256");
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.verify(SignatureScheme.ECDSA_P256_SHA256, p521.getPublic(), msg,
                new byte[70]))).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.sign(SignatureScheme.ED25519, ec.getPrivate(), msg)))
                .isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.sign(SignatureScheme.RSA_PSS_SHA256, ed.getPrivate(), msg)))
                .isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.verify(SignatureScheme.ED25519, rsa.getPublic(), msg,
                new byte[64]))).isInstanceOf(InvalidKeyException.class);
    }

    @Test
    void malformedSignaturesAreSignatureExceptions() {
        byte[] msg = bytes(10);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.verify(SignatureScheme.ECDSA_P256_SHA256, ec.getPublic(), msg,
                new byte[] {1, 2, 3}))).isInstanceOf(SignatureException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.verify(SignatureScheme.RSA_PSS_SHA256, rsa.getPublic(), msg,
                new byte[300]))).isInstanceOf(SignatureException.class);
    }

    // ---------------------------------------------------------------- ciphers

    @Test
    void aesGcmCrossDecryptsWithPlainJcaAndGivesTheSameBytes() throws Exception {
        SecretKey key = aes256();
        for (int len : new int[] {0, 1, 16, 16_384, 100_000}) {
            for (byte[] aad : new byte[][] {null, bytes(20)}) {
                byte[] pt = bytes(len);
                byte[] iv = bytes(12);
                byte[] ct = JOBS.inJob(() -> crypto.encryptAesGcm(key, iv, pt, aad));
                assertThat(ct).hasSize(len + 16);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
                if (aad != null) {
                    c.updateAAD(aad);
                }
                assertThat(c.doFinal(ct)).isEqualTo(pt);
                byte[] iv2 = bytes(12);
                Cipher e = Cipher.getInstance("AES/GCM/NoPadding");
                e.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv2));
                if (aad != null) {
                    e.updateAAD(aad);
                }
                byte[] plainCt = e.doFinal(pt);
                assertThat(JOBS.inJob(() -> crypto.decryptAesGcm(key, iv2, plainCt, aad))).isEqualTo(pt);
                SecretKey sameKey = new SecretKeySpec(key.getEncoded(), "AES");
                assertThat(JOBS.inJob(() -> crypto.encryptAesGcm(sameKey, iv2, pt, aad)))
                        .as("same key, IV, AAD: same ciphertext as plain JCA").isEqualTo(plainCt);
            }
        }
    }

    @Test
    void tamperedGcmCiphertextsAreAeadBadTagExceptions() throws Exception {
        SecretKey key = aes256();
        byte[] iv = bytes(12);
        byte[] aad = bytes(8);
        byte[] ct = JOBS.inJob(() -> crypto.encryptAesGcm(key, iv, bytes(64), aad));
        for (int i : new int[] {0, 31, ct.length - 1}) {
            byte[] bad = ct.clone();
            bad[i] ^= 0x40;
            assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptAesGcm(key, iv, bad, aad)))
                    .isInstanceOf(AEADBadTagException.class);
        }
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptAesGcm(key, iv, ct, bytes(8))))
                .as("other AAD").isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptAesGcm(aes256(), iv, ct, aad)))
                .as("other key").isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptAesGcm(key, bytes(12), ct, aad)))
                .as("other IV").isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptAesGcm(key, iv, Arrays.copyOf(ct, 10), aad)))
                .as("shorter than a tag").isInstanceOf(AEADBadTagException.class);
        // the device threads' cached ciphers still work after all those failures
        for (int i = 0; i < 20; i++) {
            byte[] pt = bytes(i * 7);
            byte[] ivi = bytes(12);
            byte[] c = JOBS.inJob(() -> crypto.encryptAesGcm(key, ivi, pt, aad));
            assertThat(JOBS.inJob(() -> crypto.decryptAesGcm(key, ivi, c, aad))).isEqualTo(pt);
        }
    }

    @Test
    void badAesKeysAndIvsAreTheJcaExceptionTypes() {
        byte[] iv = bytes(12);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.encryptAesGcm(new SecretKeySpec(bytes(16), "AES"), iv, bytes(5),
                null))).isInstanceOf(InvalidKeyException.class).hasMessageContaining("256-bit");
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.encryptAesGcm(new SecretKeySpec(bytes(32), "HmacSHA256"), iv,
                bytes(5), null))).isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.encryptAesGcm(aes256(), bytes(16), bytes(5), null)))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptAesGcm(aes256(), new byte[0], bytes(32), null)))
                .isInstanceOf(InvalidAlgorithmParameterException.class);
    }

    @Test
    void reusingAnIvTwiceInARowOnOneDeviceThreadIsRefusedLikeAReusedJdkCipher() throws Exception {
        OffloadEngine one = OffloadEngine.builder().name("iv-engine").threads(1).build();
        try {
            AsyncCrypto c = new AsyncCrypto(one);
            SecretKey key = aes256();
            byte[] iv = bytes(12);
            byte[] pt = bytes(32);
            byte[] first = JOBS.inJob(() -> c.encryptAesGcm(key, iv, pt, null));
            assertThatThrownBy(() -> JOBS.inJob(() -> c.encryptAesGcm(key, iv, pt, null)))
                    .isInstanceOf(InvalidAlgorithmParameterException.class);
            assertThat(JOBS.inJob(() -> c.decryptAesGcm(key, iv, first, null))).isEqualTo(pt);
        } finally {
            one.close();
        }
    }

    @Test
    void rsaOaepCrossDecryptsWithPlainJca() throws Exception {
        for (int len : new int[] {0, 1, 32, 190}) {
            byte[] pt = bytes(len);
            byte[] ct = JOBS.inJob(() -> crypto.encryptRsaOaep(rsa.getPublic(), pt));
            assertThat(ct).hasSize(256);
            Cipher d = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
            d.init(Cipher.DECRYPT_MODE, rsa.getPrivate(), AsyncCrypto.OAEP_SHA256);
            assertThat(d.doFinal(ct)).isEqualTo(pt);
            Cipher e = Cipher.getInstance("RSA/ECB/OAEPPadding");
            e.init(Cipher.ENCRYPT_MODE, rsa.getPublic(), new javax.crypto.spec.OAEPParameterSpec("SHA-256", "MGF1",
                    java.security.spec.MGF1ParameterSpec.SHA256, javax.crypto.spec.PSource.PSpecified.DEFAULT));
            byte[] plainCt = e.doFinal(pt);
            assertThat(JOBS.inJob(() -> crypto.decryptRsaOaep(rsa.getPrivate(), plainCt))).isEqualTo(pt);
        }
    }

    @Test
    void rsaOaepFailuresAreTheJcaExceptionTypes() throws Exception {
        byte[] ct = JOBS.inJob(() -> crypto.encryptRsaOaep(rsa.getPublic(), bytes(20)));
        byte[] bad = ct.clone();
        bad[100] ^= 1;
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptRsaOaep(rsa.getPrivate(), bad)))
                .isInstanceOf(BadPaddingException.class);
        KeyPair other = SignatureScheme.RSA_PSS_SHA256.generateKeyPair();
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptRsaOaep(other.getPrivate(), ct)))
                .isInstanceOf(BadPaddingException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.encryptRsaOaep(rsa.getPublic(), bytes(191))))
                .isInstanceOf(IllegalBlockSizeException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.encryptRsaOaep(ec.getPublic(), bytes(10))))
                .isInstanceOf(InvalidKeyException.class);
        // a SHA-1 OAEP ciphertext (the JDK's default MGF1) is not accepted as SHA-256
        Cipher sha1 = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        sha1.init(Cipher.ENCRYPT_MODE, rsa.getPublic());
        byte[] sha1Ct = sha1.doFinal(bytes(10));
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.decryptRsaOaep(rsa.getPrivate(), sha1Ct)))
                .isInstanceOf(BadPaddingException.class);
    }

    // ---------------------------------------------------------------- digests, MACs, agreement

    @Test
    void digestsAndHmacEqualPlainJca() throws Exception {
        for (int len : new int[] {0, 3, 64, 1 << 20}) {
            byte[] data = bytes(len);
            assertThat(JOBS.inJob(() -> crypto.sha256(data))).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
            assertThat(JOBS.inJob(() -> crypto.sha512(data))).isEqualTo(MessageDigest.getInstance("SHA-512").digest(data));
            assertThat(JOBS.inJob(() -> crypto.digest("SHA-512", data))).hasSize(64);
            SecretKey k = new SecretKeySpec(bytes(len % 100 + 1), "HmacSHA256");
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(k);
            assertThat(JOBS.inJob(() -> crypto.hmacSha256(k, data))).isEqualTo(m.doFinal(data));
        }
        // RFC 4231 test case 2
        SecretKey jefe = new SecretKeySpec("Jefe".getBytes(StandardCharsets.US_ASCII), "HmacSHA256");
        byte[] mac = JOBS.inJob(() -> crypto.hmacSha256(jefe,
                "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)));
        assertThat(java.util.HexFormat.of().formatHex(mac))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // SHA-256("abc"), FIPS 180-2
        assertThat(java.util.HexFormat.of().formatHex(JOBS.inJob(() -> crypto.sha256("abc".getBytes(StandardCharsets.US_ASCII)))))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void x25519BothSidesAgreeAndMatchPlainJca() throws Exception {
        byte[] a = JOBS.inJob(() -> crypto.x25519(x1.getPrivate(), x2.getPublic()));
        byte[] b = JOBS.inJob(() -> crypto.x25519(x2.getPrivate(), x1.getPublic()));
        assertThat(a).hasSize(32).isEqualTo(b);
        KeyAgreement ka = KeyAgreement.getInstance("X25519");
        ka.init(x1.getPrivate());
        ka.doPhase(x2.getPublic(), true);
        assertThat(a).isEqualTo(ka.generateSecret());
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.x25519(ed.getPrivate(), x2.getPublic())))
                .isInstanceOf(InvalidKeyException.class);
        assertThatThrownBy(() -> JOBS.inJob(() -> crypto.x25519(x1.getPrivate(), ec.getPublic())))
                .isInstanceOf(InvalidKeyException.class);
    }

    // ---------------------------------------------------------------- jobs, engine, arguments

    @Test
    void manyConcurrentJobsMixingOperationsAllMatchPlainJca() throws Exception {
        int jobs = 300;
        SecretKey key = aes256();
        List<CompletableFuture<Boolean>> all = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            int n = i;
            all.add(JOBS.launch(() -> {
                byte[] msg = ("message " + n).getBytes(StandardCharsets.UTF_8);
                SignatureScheme s = SignatureScheme.values()[n % 3];
                KeyPair kp = keysFor(s);
                byte[] sig = crypto.sign(s, kp.getPrivate(), msg);
                boolean ok = crypto.verify(s, kp.getPublic(), msg, sig);
                byte[] iv = new byte[12];
                iv[0] = (byte) n;
                iv[1] = (byte) (n >> 8);
                byte[] ct = crypto.encryptAesGcm(key, iv, msg, null);
                ok &= Arrays.equals(crypto.decryptAesGcm(key, iv, ct, null), msg);
                ok &= Arrays.equals(crypto.sha256(msg), MessageDigest.getInstance("SHA-256").digest(msg));
                return ok && plainVerify(s, kp, msg, sig);
            }));
        }
        for (CompletableFuture<Boolean> f : all) {
            assertThat(f.get(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void onTheFdPathTooWhenTheCtxHasNoCallback() throws Exception {
        byte[] msg = bytes(40);
        try (AsyncWaitCtx ctx = new AsyncWaitCtx(); Selector selector = Selector.open()) {
            JobHandle<byte[]> h = new JobHandle<>();
            StartStatus st = AsyncJob.start(h, ctx, () -> crypto.sign(SignatureScheme.ECDSA_P256_SHA256,
                    ec.getPrivate(), msg));
            while (st == StartStatus.PAUSE) {
                for (SelectableChannel ch : ctx.getAllFds()) {
                    if (ch.keyFor(selector) == null) {
                        ch.register(selector, SelectionKey.OP_READ);
                    }
                }
                selector.selectedKeys().clear();
                assertThat(selector.select(30_000)).isPositive();
                st = AsyncJob.start(h, ctx, null);
            }
            assertThat(st).isEqualTo(StartStatus.FINISH);
            assertThat(h.failure()).isNull();
            // whether it paused depends on the scheduler; that it took the fd path does not
            assertThat(ctx.getAllFds()).as("the engine's wait fd on a ctx without callback").hasSize(1);
            assertThat(plainVerify(SignatureScheme.ECDSA_P256_SHA256, ec, msg, h.result())).isTrue();
        }
    }

    @Test
    void cancellingAJobThatWaitsForRsaKeyGenerationEndsItAtOnce() throws Exception {
        CompletableFuture<Throwable> dropped = new CompletableFuture<>();
        AtomicReference<Boolean> succeeded = new AtomicReference<>();
        AtomicInteger started = new AtomicInteger();
        JobTicket t = AsyncJobs.launch(() -> {
            started.incrementAndGet();
            return crypto.generateKeyPair(SignatureScheme.RSA_PSS_SHA256);
        }, JOBS.options(), new JobObserver<KeyPair>() {
            @Override
            public void onSuccess(@Nullable KeyPair value) {
                succeeded.set(true);
                dropped.complete(null);
            }

            @Override
            public void onFailure(Throwable error) {
                dropped.completeExceptionally(error);
            }

            @Override
            public void onDropped(@Nullable KeyPair value, @Nullable Throwable error) {
                dropped.complete(error);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (started.get() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        t.cancel();
        Throwable error = dropped.get(30, TimeUnit.SECONDS);
        if (succeeded.get() == null) {
            assertThat(error).isInstanceOf(CancellationException.class);
        }
    }

    @Test
    void aClosedEngineRejects() throws Exception {
        OffloadEngine closed = OffloadEngine.builder().name("closed-crypto").threads(1).build();
        closed.close();
        AsyncCrypto c = new AsyncCrypto(closed);
        assertThatThrownBy(() -> JOBS.inJob(() -> c.sha256(new byte[1]))).isInstanceOf(RejectedExecutionException.class);
        assertThatThrownBy(() -> c.sha256(new byte[1])).isInstanceOf(RejectedExecutionException.class);
        assertThat(c.engine()).isSameAs(closed);
    }

    @Test
    void nullArgumentsThrowNamingTheParameter() {
        byte[] b = new byte[1];
        SecretKey k = aes256();
        assertThatThrownBy(() -> new AsyncCrypto(null)).hasMessage("engine");
        assertThatThrownBy(() -> crypto.sign((SignatureScheme) null, ec.getPrivate(), b)).hasMessage("scheme");
        assertThatThrownBy(() -> crypto.sign(SignatureScheme.ED25519, null, b)).hasMessage("key");
        assertThatThrownBy(() -> crypto.sign(SignatureScheme.ED25519, ed.getPrivate(), null)).hasMessage("data");
        assertThatThrownBy(() -> crypto.verify(SignatureScheme.ED25519, ed.getPublic(), b, null))
                .hasMessage("signature");
        assertThatThrownBy(() -> crypto.sign((String) null, null, ec.getPrivate(), b)).hasMessage("algorithm");
        assertThatThrownBy(() -> crypto.encryptAesGcm(null, b, b, null)).hasMessage("key");
        assertThatThrownBy(() -> crypto.encryptAesGcm(k, null, b, null)).hasMessage("iv");
        assertThatThrownBy(() -> crypto.encryptAesGcm(k, new byte[12], null, null)).hasMessage("plaintext");
        assertThatThrownBy(() -> crypto.decryptAesGcm(k, new byte[12], null, null)).hasMessage("ciphertext");
        assertThatThrownBy(() -> crypto.encryptRsaOaep(null, b)).hasMessage("key");
        assertThatThrownBy(() -> crypto.decryptRsaOaep(rsa.getPrivate(), null)).hasMessage("ciphertext");
        assertThatThrownBy(() -> crypto.digest(null, b)).hasMessage("algorithm");
        assertThatThrownBy(() -> crypto.hmacSha256(k, null)).hasMessage("data");
        assertThatThrownBy(() -> crypto.x25519(null, x2.getPublic())).hasMessage("privateKey");
        assertThatThrownBy(() -> crypto.x25519(x1.getPrivate(), null)).hasMessage("peerPublicKey");
        assertThatThrownBy(() -> crypto.generateKeyPair(null)).hasMessage("scheme");
    }

    @Test
    void schemesDescribeTheirJcaAlgorithmAndMakeFittingKeys() throws Exception {
        assertThat(SignatureScheme.ECDSA_P256_SHA256.algorithm()).isEqualTo("SHA256withECDSA");
        assertThat(SignatureScheme.ECDSA_P256_SHA256.parameters()).isNull();
        assertThat(SignatureScheme.ED25519.algorithm()).isEqualTo("Ed25519");
        assertThat(SignatureScheme.RSA_PSS_SHA256.algorithm()).isEqualTo("RSASSA-PSS");
        assertThat(SignatureScheme.RSA_PSS_SHA256.parameters()).isInstanceOfSatisfying(
                java.security.spec.PSSParameterSpec.class, p -> {
                    assertThat(p.getDigestAlgorithm()).isEqualTo("SHA-256");
                    assertThat(p.getMGFAlgorithm()).isEqualTo("MGF1");
                    assertThat(((java.security.spec.MGF1ParameterSpec) p.getMGFParameters()).getDigestAlgorithm())
                            .isEqualTo("SHA-256");
                    assertThat(p.getSaltLength()).isEqualTo(32);
                });
        assertThat(((java.security.interfaces.RSAKey) rsa.getPublic()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(((java.security.interfaces.ECKey) ec.getPublic()).getParams().getCurve().getField().getFieldSize())
                .isEqualTo(256);
        KeyPair viaEngine = JOBS.inJob(() -> crypto.generateKeyPair(SignatureScheme.ED25519));
        byte[] msg = bytes(5);
        assertThat(plainVerify(SignatureScheme.ED25519, viaEngine, msg,
                plainSign(SignatureScheme.ED25519, viaEngine, msg))).isTrue();
    }

    private static KeyPair ecPair(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }
}
