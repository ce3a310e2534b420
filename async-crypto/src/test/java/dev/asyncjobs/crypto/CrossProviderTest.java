package dev.asyncjobs.crypto;

import static dev.asyncjobs.crypto.CryptoFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Keys made by one provider used by another, signatures made by one verified by another,
 * ciphertexts of one decrypted by another, digests, MACs and shared secrets byte for byte the same:
 * for every scheme, across every pair of the providers installed for the test (the JDK's, ACCP,
 * Conscrypt), every operation inside jobs through {@link AsyncCrypto} pinned to one provider. A
 * provider that lacks an operation is skipped for it, and the test reports each skip and checks
 * that the skips are exactly the known gaps (none silent, none unexpected).
 */
@Timeout(300)
class CrossProviderTest {
    @RegisterExtension
    static final CryptoFixture JOBS = new CryptoFixture("cross", 0);
    /** The known gaps: Conscrypt 2.5 has no Ed25519, RSASSA-PSS or X25519, ACCP 2.5 no X25519. */
    private static final Set<String> EXPECTED_GAPS = Set.of(
            "Conscrypt ED25519_SIGN", "Conscrypt ED25519_VERIFY", "Conscrypt RSA_PSS_SIGN",
            "Conscrypt RSA_PSS_VERIFY", "Conscrypt X25519", "AmazonCorrettoCryptoProvider X25519");

    /** Provider name -> the provider; "JDK" is the JDK's own per operation. */
    private static final Map<String, Provider[]> PROVIDERS = new LinkedHashMap<>();

    @BeforeAll
    static void setUp() {
        PROVIDERS.put("JDK", CryptoPolicyTest.jdkProviders());
        PROVIDERS.put(ProviderTable.ACCP, new Provider[] {CryptoPolicyTest.ACCP});
        PROVIDERS.put(ProviderTable.CONSCRYPT, new Provider[] {CryptoPolicyTest.CONSCRYPT});
    }

    /** The provider called {@code name} that runs {@code op}, or null if it lacks it. */
    private static @Nullable Provider provider(String name, CryptoOperation op) {
        for (Provider p : PROVIDERS.get(name)) {
            if (CryptoPolicy.offers(p, op)) {
                return p;
            }
        }
        return null;
    }

    /** An AsyncCrypto with {@code ops} pinned to the provider called {@code name}; small work inline too. */
    private static AsyncCrypto pinned(String name, CryptoOperation... ops) {
        CryptoPolicy.Builder b = CryptoPolicy.builder().candidates(CryptoPolicyTest.jdkProviders());
        for (CryptoOperation op : ops) {
            b.provider(op, java.util.Objects.requireNonNull(provider(name, op), name + " " + op));
        }
        CryptoPolicy p = b.build();
        for (CryptoOperation op : ops) {
            assertThat(p.provider(op).getName()).isEqualTo(name.equals("JDK") ? p.provider(op).getName() : name);
        }
        return new AsyncCrypto(JOBS.engine(), p);
    }

    /** A key pair for {@code scheme} made by the provider called {@code name}, or null if it cannot. */
    private static @Nullable KeyPair keys(String name, String algorithm) throws GeneralSecurityException {
        for (Provider p : PROVIDERS.get(name)) {
            KeyPairGenerator g;
            try {
                g = KeyPairGenerator.getInstance(algorithm, p);
            } catch (GeneralSecurityException e) {
                continue;
            }
            switch (algorithm) {
                case "EC" -> g.initialize(new ECGenParameterSpec("secp256r1"));
                case "RSA" -> g.initialize(2048);
                default -> { }
            }
            return g.generateKeyPair();
        }
        return null;
    }

    private static String keyAlgorithm(SignatureScheme s) {
        return switch (s) {
            case ECDSA_P256_SHA256 -> "EC";
            case ED25519 -> "Ed25519";
            case RSA_PSS_SHA256 -> "RSA";
        };
    }

    @Test
    void everyProviderPairAgreesOnEveryScheme(TestReporter reporter) throws Exception {
        Set<String> gaps = new TreeSet<>();
        List<String> checked = new ArrayList<>();
        List<String> names = List.copyOf(PROVIDERS.keySet());
        for (String n : names) {
            for (CryptoOperation op : CryptoOperation.values()) {
                if (provider(n, op) == null) {
                    gaps.add(n + " " + op);
                }
            }
        }
        for (String gap : gaps) {
            reporter.publishEntry("skipped", gap + ": the provider does not offer it; the routing never picks it");
        }
        assertThat(gaps).as("operations a provider lacks (skipped, by name)").isEqualTo(new TreeSet<>(EXPECTED_GAPS));

        byte[] msg = bytes(200);
        for (SignatureScheme s : SignatureScheme.values()) {
            CryptoOperation signOp = CryptoOperation.sign(s);
            CryptoOperation verifyOp = CryptoOperation.verify(s);
            for (String keyMaker : names) {
                KeyPair kp = keys(keyMaker, keyAlgorithm(s));
                if (kp == null) {
                    reporter.publishEntry("skipped", keyMaker + " makes no " + keyAlgorithm(s) + " keys");
                    continue;
                }
                for (String signer : names) {
                    if (provider(signer, signOp) == null) {
                        continue; // reported above
                    }
                    AsyncCrypto a = pinned(signer, signOp);
                    byte[] sig = JOBS.inJob(() -> a.sign(s, kp.getPrivate(), msg));
                    for (String verifier : names) {
                        if (provider(verifier, verifyOp) == null) {
                            continue;
                        }
                        AsyncCrypto b = pinned(verifier, verifyOp);
                        assertThat(JOBS.inJob(() -> b.verify(s, kp.getPublic(), msg, sig)))
                                .as("%s: keys %s, signed %s, verified %s", s, keyMaker, signer, verifier).isTrue();
                        byte[] other = msg.clone();
                        other[7] ^= 1;
                        assertThat(JOBS.inJob(() -> b.verify(s, kp.getPublic(), other, sig)))
                                .as("%s: another message, keys %s, signed %s, verified %s", s, keyMaker, signer,
                                        verifier).isFalse();
                        checked.add(s + " " + keyMaker + "/" + signer + "/" + verifier);
                    }
                }
            }
        }
        // ECDSA: 3 key makers x 3 signers x 3 verifiers; Ed25519 and RSA-PSS: 2 x 2 x 2 (no Conscrypt)
        // (Conscrypt makes EC and RSA keys, not Ed25519: 2 makers for Ed25519)
        assertThat(checked.stream().filter(c -> c.startsWith("ECDSA"))).hasSize(27);
        assertThat(checked.stream().filter(c -> c.startsWith("ED25519"))).hasSize(8);
        assertThat(checked.stream().filter(c -> c.startsWith("RSA_PSS"))).hasSize(3 * 2 * 2);

        for (String keyMaker : names) {
            KeyPair rsa = keys(keyMaker, "RSA");
            for (String enc : names) {
                AsyncCrypto a = pinned(enc, CryptoOperation.RSA_OAEP);
                byte[] pt = bytes(100);
                byte[] ct = JOBS.inJob(() -> a.encryptRsaOaep(rsa.getPublic(), pt));
                for (String dec : names) {
                    AsyncCrypto b = pinned(dec, CryptoOperation.RSA_OAEP);
                    assertThat(JOBS.inJob(() -> b.decryptRsaOaep(rsa.getPrivate(), ct)))
                            .as("OAEP: keys %s, encrypted %s, decrypted %s", keyMaker, enc, dec).isEqualTo(pt);
                    byte[] bad = ct.clone();
                    bad[50] ^= 1;
                    assertThatThrownBy(() -> JOBS.inJob(() -> b.decryptRsaOaep(rsa.getPrivate(), bad)))
                            .as("OAEP tampered: %s/%s/%s", keyMaker, enc, dec).isInstanceOf(BadPaddingException.class);
                }
            }
        }

        for (String keyMaker : names) {
            SecretKey key = KeyGenerator.getInstance("AES", PROVIDERS.get(keyMaker)[keyMaker.equals("JDK") ? jdk("SunJCE") : 0])
                    .generateKey();
            SecretKey aes = key.getEncoded().length == 32 ? key : new SecretKeySpec(bytes(32), "AES");
            for (String enc : names) {
                AsyncCrypto a = pinned(enc, CryptoOperation.AES_GCM);
                // below and above the inline limit: both paths
                for (int len : new int[] {0, 100, 16 * 1024, 16 * 1024 + 1, 70_000}) {
                    byte[] pt = bytes(len);
                    byte[] iv = bytes(12);
                    byte[] aad = bytes(13);
                    byte[] ct = JOBS.inJob(() -> a.encryptAesGcm(aes, iv, pt, aad));
                    for (String dec : names) {
                        AsyncCrypto b = pinned(dec, CryptoOperation.AES_GCM);
                        assertThat(JOBS.inJob(() -> b.decryptAesGcm(aes, iv, ct, aad)))
                                .as("AES-GCM %d B: key %s, encrypted %s, decrypted %s", len, keyMaker, enc, dec)
                                .isEqualTo(pt);
                        byte[] bad = ct.clone();
                        bad[bad.length - 1] ^= 1;
                        assertThatThrownBy(() -> JOBS.inJob(() -> b.decryptAesGcm(aes, iv, bad, aad)))
                                .isInstanceOf(AEADBadTagException.class);
                    }
                }
            }
        }

        for (int len : new int[] {0, 64, 4096, 4097, 100_000}) {
            byte[] data = bytes(len);
            SecretKey mk = new SecretKeySpec(bytes(32), "HmacSHA256");
            byte[] sha256 = null;
            byte[] sha512 = null;
            byte[] mac = null;
            for (String n : names) {
                AsyncCrypto c = pinned(n, CryptoOperation.SHA256, CryptoOperation.SHA512, CryptoOperation.HMAC_SHA256);
                byte[] d1 = JOBS.inJob(() -> c.sha256(data));
                byte[] d2 = JOBS.inJob(() -> c.sha512(data));
                byte[] m = JOBS.inJob(() -> c.hmacSha256(mk, data));
                if (sha256 == null) {
                    sha256 = d1;
                    sha512 = d2;
                    mac = m;
                }
                assertThat(d1).as("SHA-256 %d B on %s", len, n).isEqualTo(sha256);
                assertThat(d2).as("SHA-512 %d B on %s", len, n).isEqualTo(sha512);
                assertThat(m).as("HMAC %d B on %s", len, n).isEqualTo(mac);
            }
        }

        // X25519: only the JDK offers it (ACCP and Conscrypt skipped above, by name)
        KeyPair x1 = keys("JDK", "X25519");
        KeyPair x2 = keys("JDK", "X25519");
        AsyncCrypto c = pinned("JDK", CryptoOperation.X25519);
        assertThat(JOBS.inJob(() -> c.x25519(x1.getPrivate(), x2.getPublic())))
                .isEqualTo(JOBS.inJob(() -> c.x25519(x2.getPrivate(), x1.getPublic())));
    }

    private static int jdk(String name) {
        Provider[] jdk = PROVIDERS.get("JDK");
        for (int i = 0; i < jdk.length; i++) {
            if (jdk[i].getName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void everyProviderFailsWithTheJcaExceptionTypes(TestReporter reporter) throws Exception {
        KeyPair ec = keys("JDK", "EC");
        KeyPair rsa = keys("JDK", "RSA");
        for (String n : PROVIDERS.keySet()) {
            AsyncCrypto c = pinned(n, CryptoOperation.ECDSA_P256_SIGN, CryptoOperation.ECDSA_P256_VERIFY);
            assertThatThrownBy(() -> JOBS.inJob(() -> c.sign(SignatureScheme.ECDSA_P256_SHA256, rsa.getPrivate(), bytes(5))))
                    .as(n).isInstanceOf(InvalidKeyException.class);
            // a malformed signature: the JDK's throws SignatureException; ACCP and Conscrypt answer
            // false (the JCA allows both); never true, never another exception
            Boolean malformed;
            try {
                malformed = JOBS.inJob(() -> c.verify(SignatureScheme.ECDSA_P256_SHA256, ec.getPublic(), bytes(5),
                        new byte[] {1, 2, 3}));
            } catch (java.security.SignatureException e) {
                malformed = null;
            }
            if (n.equals("JDK")) {
                assertThat(malformed).as(n).isNull();
            } else {
                assertThat(malformed).as(n).isNotEqualTo(Boolean.TRUE);
            }
            reporter.publishEntry("malformed ECDSA signature on " + n, malformed == null ? "SignatureException" : "false");
            // the pooled instances still work after those failures
            byte[] m = bytes(9);
            byte[] sig = JOBS.inJob(() -> c.sign(SignatureScheme.ECDSA_P256_SHA256, ec.getPrivate(), m));
            assertThat(JOBS.inJob(() -> c.verify(SignatureScheme.ECDSA_P256_SHA256, ec.getPublic(), m, sig))).as(n).isTrue();
        }
    }

    @Test
    void theSecurityListIsLeftAlone() {
        assertThat(Security.getProvider(ProviderTable.ACCP)).isNull();
        assertThat(Security.getProvider(ProviderTable.CONSCRYPT)).isNull();
    }
}
