package dev.asyncjobs.crypto;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The measured table behind {@link CryptoPolicy#fastest()}: per operation, the providers known to
 * this project by name, fastest first, and how much input is cheap enough to run inline.
 *
 * <p>The order comes from async-benchmarks' {@code CryptoProviderTable} (one thread, providers
 * interleaved round by round; the figures are in async-benchmarks/RESULTS.md, "Figures behind
 * choices in the source", and docs/engine-and-crypto.md). Why it is what it is: the native
 * providers win every public-key operation, ACCP first (AWS-LC's hand-written field arithmetic);
 * for AES-GCM, SHA-2 and HMAC the JDK's intrinsics (AES-NI/VAES, SHA-NI) are as fast as AWS-LC and
 * need no JNI crossing, so the JDK stays first there; X25519 only the JDK offers (neither ACCP 2.5
 * nor Conscrypt 2.5 register it). A provider not named here is never chosen by default: the user
 * pins it.
 */
final class ProviderTable {
    static final String ACCP = "AmazonCorrettoCryptoProvider";
    static final String CONSCRYPT = "Conscrypt";
    /** The JDK's own providers: what "the JDK's" means in reports. */
    static final Set<String> JDK = Set.of("SUN", "SunRsaSign", "SunEC", "SunJCE");

    /**
     * The inline cost budget, in microseconds: about what one hand-off to a device thread and back
     * costs the machine (submit, pause, a device thread's wake-up and the job's resume; measured in
     * RESULTS.md). Work that costs less than that is cheaper done in the job than handed off.
     */
    static final double INLINE_BUDGET_MICROS = 4.0;

    private static final Map<CryptoOperation, List<String>> RANKING = new EnumMap<>(CryptoOperation.class);
    private static final Map<CryptoOperation, Integer> INLINE = new EnumMap<>(CryptoOperation.class);

    static {
        List<String> nativeFirst = List.of(ACCP, CONSCRYPT, "SunEC");
        RANKING.put(CryptoOperation.ECDSA_P256_SIGN, nativeFirst);
        RANKING.put(CryptoOperation.ECDSA_P256_VERIFY, nativeFirst);
        RANKING.put(CryptoOperation.ED25519_SIGN, List.of(ACCP, "SunEC"));
        RANKING.put(CryptoOperation.ED25519_VERIFY, List.of(ACCP, "SunEC"));
        RANKING.put(CryptoOperation.RSA_PSS_SIGN, List.of(ACCP, "SunRsaSign"));
        RANKING.put(CryptoOperation.RSA_PSS_VERIFY, List.of(ACCP, "SunRsaSign"));
        // Conscrypt's OAEP decryption was slower than SunJCE's here
        RANKING.put(CryptoOperation.RSA_OAEP, List.of(ACCP, "SunJCE", CONSCRYPT));
        // the JDK's intrinsics match AWS-LC per byte and skip the JNI crossing; Conscrypt was slowest
        RANKING.put(CryptoOperation.AES_GCM, List.of("SunJCE", ACCP, CONSCRYPT));
        RANKING.put(CryptoOperation.SHA256, List.of("SUN", ACCP, CONSCRYPT));
        RANKING.put(CryptoOperation.SHA512, List.of("SUN", ACCP, CONSCRYPT));
        RANKING.put(CryptoOperation.HMAC_SHA256, List.of(ACCP, "SunJCE", CONSCRYPT));
        RANKING.put(CryptoOperation.X25519, List.of("SunEC"));

        // fixed-cost public-key work costs several budgets even at its cheapest (Ed25519 sign on
        // ACCP): never inline
        for (CryptoOperation op : CryptoOperation.values()) {
            INLINE.put(op, CryptoPolicy.NEVER_INLINE);
        }
        // size-bound work: the largest power-of-two input whose measured cost on the first-ranked
        // provider stays within the budget (the cost per size is in RESULTS.md)
        INLINE.put(CryptoOperation.AES_GCM, 16 * 1024);
        INLINE.put(CryptoOperation.SHA256, 4 * 1024);
        INLINE.put(CryptoOperation.SHA512, 2 * 1024);
        INLINE.put(CryptoOperation.HMAC_SHA256, 4 * 1024);
    }

    private ProviderTable() {
    }

    /** Provider names for {@code op}, fastest first. */
    static List<String> ranking(CryptoOperation op) {
        return RANKING.get(op);
    }

    /** The default inline limit of {@code op}, in bytes of input ({@link CryptoPolicy#NEVER_INLINE}: never). */
    static int inlineMaxBytes(CryptoOperation op) {
        return INLINE.get(op);
    }

    static boolean isJdk(String providerName) {
        return JDK.contains(providerName);
    }
}
