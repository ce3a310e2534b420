package dev.asyncjobs.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import org.jspecify.annotations.Nullable;

/**
 * Which JCA {@link Provider} runs each {@link CryptoOperation} of an {@link AsyncCrypto}, and how
 * much input is small enough to run inline (in the job itself, with no hand-off to the engine and
 * no pause, as Intel's QAT engine runs small packets in software in the caller). Immutable.
 *
 * <h2>The default: the fastest provider installed, per operation</h2>
 * {@link #fastest()} looks at the providers installed ({@link Security#getProviders()}, or those
 * given to {@link Builder#candidates(Provider...)}) and picks for each operation the first that
 * offers it in a ranking this project measured (docs/engine-and-crypto.md has the table): Amazon
 * Corretto Crypto Provider (ACCP), then Conscrypt, then the JDK's, for the public-key operations;
 * the JDK's first for AES-GCM, SHA-2 and HMAC where its intrinsics are as fast as native code.
 * A provider that lacks an operation is skipped for it (Conscrypt 2.5 has no Ed25519, RSASSA-PSS or
 * X25519; ACCP 2.5 no X25519). A provider the table does not name is picked by default only when
 * no provider it names offers the operation (then the first candidate that does, in the JCA's
 * order); otherwise {@linkplain Builder#provider(CryptoOperation, Provider) pin} it. With no faster provider installed
 * everything runs on the JDK's, and {@link #toString()} says so. This library depends on no
 * provider: installing one (e.g. {@code AmazonCorrettoCryptoProvider.install()} or {@code
 * Security.addProvider(...)}) is the application's choice.
 *
 * <pre>{@code
 * AmazonCorrettoCryptoProvider.install();            // the application's choice, once
 * AsyncCrypto crypto = new AsyncCrypto(engine);      // CryptoPolicy.fastest(): ACCP signs
 * AsyncCrypto pinned = new AsyncCrypto(engine, CryptoPolicy.builder()
 *         .provider(CryptoOperation.AES_GCM, Security.getProvider("SunJCE"))
 *         .inlineMaxBytes(CryptoOperation.SHA256, 0)  // only empty input inline
 *         .build());
 * }</pre>
 *
 * <h2>Inline thresholds</h2>
 * An operation whose input is at most {@link #inlineMaxBytes(CryptoOperation)} bytes runs in the
 * calling job: it costs about what the hand-off to a device thread and back does. Defaults, from
 * the measurements in docs/engine-and-crypto.md: AES-GCM up to 16 KiB, SHA-256 and HMAC-SHA256 up
 * to 4 KiB, SHA-512 up to 2 KiB; signatures, RSA-OAEP and X25519 never ({@link #NEVER_INLINE}: even
 * the cheapest, Ed25519 signing with ACCP, costs several hand-offs). Inline work holds the job's
 * thread (a job loop) while it runs: raise a limit only for work that is cheap on the provider you
 * chose.
 */
public final class CryptoPolicy {
    /** An inline limit meaning "always hand the work to the engine". */
    public static final int NEVER_INLINE = -1;

    private final EnumMap<CryptoOperation, @Nullable Provider> providers;
    private final EnumMap<CryptoOperation, Integer> inline;
    private final EnumSet<CryptoOperation> pinned;

    private CryptoPolicy(EnumMap<CryptoOperation, @Nullable Provider> providers,
            EnumMap<CryptoOperation, Integer> inline, EnumSet<CryptoOperation> pinned) {
        this.providers = providers;
        this.inline = inline;
        this.pinned = pinned;
    }

    /**
     * The fastest provider installed for each operation, and the measured inline limits.
     *
     * @return a policy resolved against {@link Security#getProviders()} now
     */
    public static CryptoPolicy fastest() {
        return builder().build();
    }

    /**
     * Every operation on the JDK's own providers (SUN, SunEC, SunJCE, SunRsaSign), whatever else
     * is installed: what plain JCA code runs when no other provider comes first.
     *
     * @return the JDK-only policy, with the default inline limits
     */
    public static CryptoPolicy jdk() {
        List<Provider> jdk = new ArrayList<>();
        for (Provider p : Security.getProviders()) {
            if (ProviderTable.isJdk(p.getName())) {
                jdk.add(p);
            }
        }
        return builder().candidates(jdk.toArray(Provider[]::new)).build();
    }

    /**
     * A builder starting from {@link #fastest()}'s choices.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The provider that runs {@code op}.
     *
     * @param op the operation
     * @return the provider, or {@code null} if no candidate offers {@code op} (then the JCA's own
     *     lookup runs at call time, and throws {@link java.security.NoSuchAlgorithmException} if
     *     no installed provider has it)
     */
    public @Nullable Provider provider(CryptoOperation op) {
        return providers.get(Objects.requireNonNull(op, "op"));
    }

    /**
     * How large an input of {@code op} may be to run inline, in the calling job.
     *
     * @param op the operation
     * @return bytes of input (data, plaintext or ciphertext), or {@link #NEVER_INLINE}
     */
    public int inlineMaxBytes(CryptoOperation op) {
        return inline.get(Objects.requireNonNull(op, "op"));
    }

    /**
     * Whether {@code op}'s provider was pinned by the user rather than chosen from the table.
     *
     * @param op the operation
     * @return {@code true} if pinned
     */
    public boolean isPinned(CryptoOperation op) {
        return pinned.contains(Objects.requireNonNull(op, "op"));
    }

    /**
     * Whether every operation runs on the JDK's own providers (no faster provider was installed,
     * or none was chosen).
     *
     * @return {@code true} if only SUN, SunEC, SunJCE and SunRsaSign are used
     */
    public boolean onlyJdkProviders() {
        for (Provider p : providers.values()) {
            if (p != null && !ProviderTable.isJdk(p.getName())) {
                return false;
            }
        }
        return true;
    }

    /**
     * What was chosen, one operation after the other, e.g. {@code CryptoPolicy[ECDSA_P256_SIGN
     * AmazonCorrettoCryptoProvider, ..., AES_GCM SunJCE inline<=16384B, ...]}; with no faster
     * provider it ends with {@code ; all on the JDK's providers (no faster provider installed)}.
     *
     * @return the routing
     */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", "CryptoPolicy[", "]");
        for (CryptoOperation op : CryptoOperation.values()) {
            Provider p = providers.get(op);
            StringBuilder sb = new StringBuilder(op.name()).append(' ')
                    .append(p == null ? "none (JCA lookup)" : p.getName());
            if (pinned.contains(op)) {
                sb.append(" (pinned)");
            }
            int max = inline.get(op);
            if (max != NEVER_INLINE) {
                sb.append(" inline<=").append(max).append('B');
            }
            j.add(sb);
        }
        String s = j.toString();
        return onlyJdkProviders() ? s + "; all on the JDK's providers (no faster provider installed)" : s;
    }

    /** Whether {@code p} offers {@code op}: a {@code getInstance} probe, a few microseconds. */
    static boolean offers(Provider p, CryptoOperation op) {
        String alg = op.jcaAlgorithm();
        try {
            switch (op.jcaType()) {
                case "Signature" -> Signature.getInstance(alg, p);
                case "Cipher" -> Cipher.getInstance(alg, p);
                case "MessageDigest" -> MessageDigest.getInstance(alg, p);
                case "Mac" -> Mac.getInstance(alg, p);
                case "KeyAgreement" -> KeyAgreement.getInstance(alg, p);
                default -> throw new AssertionError(op.jcaType());
            }
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            // absent, or present but broken (e.g. a native provider whose library did not load)
            return false;
        }
    }

    /** Builds a {@link CryptoPolicy}; every setting left alone keeps {@link #fastest()}'s choice. */
    public static final class Builder {
        private Provider @Nullable [] candidates;
        private final Map<CryptoOperation, Provider> pins = new EnumMap<>(CryptoOperation.class);
        private final Map<CryptoOperation, Integer> inline = new EnumMap<>(CryptoOperation.class);

        private Builder() {
        }

        /**
         * The providers the default choice picks among, instead of those installed (a provider
         * given here need not be installed).
         *
         * @param providers the candidates
         * @return this builder
         */
        public Builder candidates(Provider... providers) {
            Objects.requireNonNull(providers, "providers");
            for (Provider p : providers) {
                Objects.requireNonNull(p, "providers contains null");
            }
            this.candidates = providers.clone();
            return this;
        }

        /**
         * Pins {@code op} to {@code provider}, whatever the table says.
         *
         * @param op the operation
         * @param provider the provider (need not be installed)
         * @return this builder
         * @throws IllegalArgumentException if {@code provider} does not offer {@code op}
         */
        public Builder provider(CryptoOperation op, Provider provider) {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(provider, "provider");
            if (!offers(provider, op)) {
                throw new IllegalArgumentException(provider.getName() + " does not offer " + op + " ("
                        + op.jcaType() + " " + op.jcaAlgorithm() + ")");
            }
            pins.put(op, provider);
            return this;
        }

        /**
         * Sets how large an input of {@code op} may be to run inline, in the calling job.
         *
         * @param op the operation
         * @param maxBytes bytes of input, {@code 0} for empty input only, {@link #NEVER_INLINE}
         *     for never, {@link Integer#MAX_VALUE} for always
         * @return this builder
         * @throws IllegalArgumentException if {@code maxBytes < -1}
         */
        public Builder inlineMaxBytes(CryptoOperation op, int maxBytes) {
            Objects.requireNonNull(op, "op");
            if (maxBytes < NEVER_INLINE) {
                throw new IllegalArgumentException("maxBytes must be -1 (never) or more, got " + maxBytes);
            }
            inline.put(op, maxBytes);
            return this;
        }

        /**
         * Hands every operation to the engine, whatever its size.
         *
         * @return this builder
         */
        public Builder neverInline() {
            for (CryptoOperation op : CryptoOperation.values()) {
                inline.put(op, NEVER_INLINE);
            }
            return this;
        }

        /**
         * Resolves the choices (probing each candidate with {@code getInstance}).
         *
         * @return the policy
         */
        public CryptoPolicy build() {
            Provider[] cands = candidates != null ? candidates : Security.getProviders();
            EnumMap<CryptoOperation, @Nullable Provider> chosen = new EnumMap<>(CryptoOperation.class);
            EnumMap<CryptoOperation, Integer> limits = new EnumMap<>(CryptoOperation.class);
            EnumSet<CryptoOperation> pinned = EnumSet.noneOf(CryptoOperation.class);
            for (CryptoOperation op : CryptoOperation.values()) {
                Provider pin = pins.get(op);
                if (pin != null) {
                    chosen.put(op, pin);
                    pinned.add(op);
                } else {
                    chosen.put(op, choose(op, cands));
                }
                limits.put(op, inline.getOrDefault(op, ProviderTable.inlineMaxBytes(op)));
            }
            return new CryptoPolicy(chosen, limits, pinned);
        }

        /** The table's first candidate that offers {@code op}; else the JCA's order; else none. */
        private static @Nullable Provider choose(CryptoOperation op, Provider[] cands) {
            for (String name : ProviderTable.ranking(op)) {
                for (Provider p : cands) {
                    if (p.getName().equals(name) && offers(p, op)) {
                        return p;
                    }
                }
            }
            // the JDK's were removed or renamed: fall back to what the JCA itself would pick
            return Arrays.stream(cands).filter(p -> offers(p, op)).findFirst().orElse(null);
        }
    }
}
