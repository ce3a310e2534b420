package dev.asyncjobs.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.StartStatus;
import dev.asyncjobs.engine.OffloadEngine;
import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.conscrypt.Conscrypt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The routing (which provider runs each operation, chosen from the table or pinned, and reported)
 * and the inline path (small work runs in the job with no pause, the rest on the engine).
 */
@Timeout(120)
class CryptoPolicyTest {
    static final Provider ACCP = AmazonCorrettoCryptoProvider.INSTANCE;
    static final Provider CONSCRYPT = Conscrypt.newProvider();
    private static OffloadEngine engine;

    @BeforeAll
    static void setUp() {
        ACCP.getClass(); // loads its native library once
        engine = OffloadEngine.builder().name("policy-engine").threads(2).build();
    }

    @AfterAll
    static void tearDown() throws InterruptedException {
        engine.close();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
    }

    static Provider[] jdkProviders() {
        List<Provider> l = new ArrayList<>();
        for (Provider p : Security.getProviders()) {
            if (ProviderTable.isJdk(p.getName())) {
                l.add(p);
            }
        }
        assertThat(l).extracting(Provider::getName).contains("SUN", "SunEC", "SunJCE", "SunRsaSign");
        return l.toArray(Provider[]::new);
    }

    static Provider[] with(Provider... extra) {
        List<Provider> l = new ArrayList<>(List.of(jdkProviders()));
        l.addAll(List.of(extra));
        return l.toArray(Provider[]::new);
    }

    private static String name(CryptoPolicy p, CryptoOperation op) {
        Provider pr = p.provider(op);
        return pr == null ? "none" : pr.getName();
    }

    @Test
    void withAccpAndConscryptEachOperationGoesToTheFastestThatOffersIt() {
        // the JDK's listed first, as installed: the table, not the JCA's order, decides
        CryptoPolicy p = CryptoPolicy.builder().candidates(with(CONSCRYPT, ACCP)).build();
        assertThat(name(p, CryptoOperation.ECDSA_P256_SIGN)).isEqualTo(ProviderTable.ACCP);
        assertThat(name(p, CryptoOperation.ECDSA_P256_VERIFY)).isEqualTo(ProviderTable.ACCP);
        assertThat(name(p, CryptoOperation.ED25519_SIGN)).isEqualTo(ProviderTable.ACCP);
        assertThat(name(p, CryptoOperation.RSA_PSS_SIGN)).isEqualTo(ProviderTable.ACCP);
        assertThat(name(p, CryptoOperation.RSA_OAEP)).isEqualTo(ProviderTable.ACCP);
        assertThat(name(p, CryptoOperation.HMAC_SHA256)).isEqualTo(ProviderTable.ACCP);
        assertThat(name(p, CryptoOperation.AES_GCM)).isEqualTo("SunJCE");
        assertThat(name(p, CryptoOperation.SHA256)).isEqualTo("SUN");
        assertThat(name(p, CryptoOperation.SHA512)).isEqualTo("SUN");
        // neither native provider offers X25519
        assertThat(name(p, CryptoOperation.X25519)).isEqualTo("SunEC");
        assertThat(p.onlyJdkProviders()).isFalse();
        assertThat(p.toString()).contains("ECDSA_P256_SIGN AmazonCorrettoCryptoProvider")
                .contains("AES_GCM SunJCE inline<=16384B").doesNotContain("all on the JDK's");
    }

    @Test
    void aProviderThatLacksAnOperationIsSkippedForItOnly() {
        CryptoPolicy p = CryptoPolicy.builder().candidates(with(CONSCRYPT)).build();
        assertThat(name(p, CryptoOperation.ECDSA_P256_SIGN)).isEqualTo(ProviderTable.CONSCRYPT);
        assertThat(name(p, CryptoOperation.ECDSA_P256_VERIFY)).isEqualTo(ProviderTable.CONSCRYPT);
        // Conscrypt 2.5 has no Ed25519 and no RSASSA-PSS: the JDK's serve them
        assertThat(CryptoPolicy.offers(CONSCRYPT, CryptoOperation.ED25519_SIGN)).isFalse();
        assertThat(name(p, CryptoOperation.ED25519_SIGN)).isEqualTo("SunEC");
        assertThat(CryptoPolicy.offers(CONSCRYPT, CryptoOperation.RSA_PSS_SIGN)).isFalse();
        assertThat(name(p, CryptoOperation.RSA_PSS_SIGN)).isEqualTo("SunRsaSign");
        assertThat(name(p, CryptoOperation.X25519)).isEqualTo("SunEC");
    }

    @Test
    void withNoFastProviderEverythingRunsOnTheJdksAndSaysSo() {
        CryptoPolicy p = CryptoPolicy.builder().candidates(jdkProviders()).build();
        for (CryptoOperation op : CryptoOperation.values()) {
            assertThat(ProviderTable.isJdk(name(p, op))).as("%s on %s", op, name(p, op)).isTrue();
            assertThat(p.isPinned(op)).isFalse();
        }
        assertThat(p.onlyJdkProviders()).isTrue();
        assertThat(p.toString()).endsWith("; all on the JDK's providers (no faster provider installed)");
        // this test JVM installs no other provider: the default is the same
        assertThat(CryptoPolicy.fastest().onlyJdkProviders()).isTrue();
        assertThat(CryptoPolicy.jdk().toString()).isEqualTo(p.toString());
        assertThat(new AsyncCrypto(engine).toString()).startsWith("AsyncCrypto[engine policy-engine, CryptoPolicy[")
                .endsWith("all on the JDK's providers (no faster provider installed)]");
    }

    @Test
    void anInstalledProviderIsFoundWithoutBeingGiven() {
        Security.addProvider(CONSCRYPT); // last: the JCA's own default stays the JDK's
        try {
            CryptoPolicy p = CryptoPolicy.fastest();
            assertThat(name(p, CryptoOperation.ECDSA_P256_SIGN)).isEqualTo(ProviderTable.CONSCRYPT);
            assertThat(CryptoPolicy.jdk().onlyJdkProviders()).isTrue();
        } finally {
            Security.removeProvider(CONSCRYPT.getName());
        }
    }

    @Test
    void theUserPinsAnyOperation() {
        CryptoPolicy p = CryptoPolicy.builder().candidates(with(ACCP))
                .provider(CryptoOperation.AES_GCM, ACCP)
                .provider(CryptoOperation.ECDSA_P256_SIGN, Security.getProvider("SunEC"))
                .build();
        assertThat(p.provider(CryptoOperation.AES_GCM)).isSameAs(ACCP);
        assertThat(p.isPinned(CryptoOperation.AES_GCM)).isTrue();
        assertThat(name(p, CryptoOperation.ECDSA_P256_SIGN)).isEqualTo("SunEC");
        assertThat(name(p, CryptoOperation.ECDSA_P256_VERIFY)).isEqualTo(ProviderTable.ACCP);
        assertThat(p.isPinned(CryptoOperation.ECDSA_P256_VERIFY)).isFalse();
        assertThat(p.toString()).contains("AES_GCM AmazonCorrettoCryptoProvider (pinned) inline<=16384B")
                .contains("ECDSA_P256_SIGN SunEC (pinned)");
        assertThatThrownBy(() -> CryptoPolicy.builder().provider(CryptoOperation.X25519, ACCP))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not offer X25519");
        assertThatThrownBy(() -> CryptoPolicy.builder().inlineMaxBytes(CryptoOperation.SHA256, -2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theDefaultInlineLimitsAreTheDocumentedOnes() {
        CryptoPolicy p = CryptoPolicy.fastest();
        assertThat(p.inlineMaxBytes(CryptoOperation.AES_GCM)).isEqualTo(16 * 1024);
        assertThat(p.inlineMaxBytes(CryptoOperation.SHA256)).isEqualTo(4 * 1024);
        assertThat(p.inlineMaxBytes(CryptoOperation.HMAC_SHA256)).isEqualTo(4 * 1024);
        assertThat(p.inlineMaxBytes(CryptoOperation.SHA512)).isEqualTo(2 * 1024);
        for (CryptoOperation op : List.of(CryptoOperation.ECDSA_P256_SIGN, CryptoOperation.ECDSA_P256_VERIFY,
                CryptoOperation.ED25519_SIGN, CryptoOperation.ED25519_VERIFY, CryptoOperation.RSA_PSS_SIGN,
                CryptoOperation.RSA_PSS_VERIFY, CryptoOperation.RSA_OAEP, CryptoOperation.X25519)) {
            assertThat(p.inlineMaxBytes(op)).as("%s", op).isEqualTo(CryptoPolicy.NEVER_INLINE);
        }
        CryptoPolicy never = CryptoPolicy.builder().neverInline().build();
        for (CryptoOperation op : CryptoOperation.values()) {
            assertThat(never.inlineMaxBytes(op)).isEqualTo(CryptoPolicy.NEVER_INLINE);
        }
    }

    // ---------------------------------------------------------------- the routing is used

    /** A SHA-256 that records where each digest ran and delegates to the JDK's. */
    static final class SpyProvider extends Provider {
        private static final long serialVersionUID = 1L;
        final transient List<String> where = new CopyOnWriteArrayList<>();

        SpyProvider() {
            super("Spy", "1", "records where SHA-256 runs");
            putService(new Service(this, "MessageDigest", "SHA-256", SpyDigest.class.getName(), null, null) {
                @Override
                public Object newInstance(Object param) throws NoSuchAlgorithmException {
                    return new SpyDigest(SpyProvider.this);
                }
            });
        }
    }

    static final class SpyDigest extends MessageDigestSpi {
        private final SpyProvider owner;
        private final MessageDigest real;

        SpyDigest(SpyProvider owner) throws NoSuchAlgorithmException {
            this.owner = owner;
            this.real = MessageDigest.getInstance("SHA-256", Security.getProvider("SUN"));
        }

        @Override
        protected void engineUpdate(byte input) {
            real.update(input);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            real.update(input, offset, len);
        }

        @Override
        protected byte[] engineDigest() {
            owner.where.add(OffloadEngine.isDeviceThread() ? "device" : AsyncJob.current() != null ? "job" : "caller");
            return real.digest();
        }

        @Override
        protected void engineReset() {
            real.reset();
        }

        @Override
        protected int engineGetDigestLength() {
            return 32;
        }
    }

    private static SpyProvider spy() {
        return new SpyProvider();
    }

    @Test
    void thePinnedProviderDoesTheWork() throws Exception {
        SpyProvider spy = spy();
        AsyncCrypto c = new AsyncCrypto(engine, CryptoPolicy.builder().provider(CryptoOperation.SHA256, spy).build());
        byte[] data = new byte[100];
        assertThat(c.sha256(data)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        assertThat(c.digest("SHA-256", data)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
        assertThat(spy.where).containsExactly("caller", "caller");
        assertThat(c.toString()).contains("SHA256 Spy (pinned)");
    }

    /** Runs {@code f} as a job on this thread with a ctx that has no callback; the status of the first start. */
    private static <R> StartStatus firstStart(JobHandle<R> h, AsyncWaitCtx ctx, dev.asyncjobs.core.JobFunction<R> f) {
        return AsyncJob.start(h, ctx, f);
    }

    /** Resumes {@code h} until it finishes (its wake-up is the engine's fd: wait for it). */
    private static <R> void finish(JobHandle<R> h, AsyncWaitCtx ctx, StartStatus st) throws Exception {
        try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
            while (st == StartStatus.PAUSE) {
                for (java.nio.channels.SelectableChannel ch : ctx.getAllFds()) {
                    if (ch.keyFor(sel) == null) {
                        ch.register(sel, java.nio.channels.SelectionKey.OP_READ);
                    }
                }
                sel.selectedKeys().clear();
                sel.select(1_000);
                st = AsyncJob.start(h, ctx, null);
            }
        }
        assertThat(st).isEqualTo(StartStatus.FINISH);
    }

    @Test
    void smallWorkRunsInTheJobWithNoPauseAndLargeWorkOnTheEngine() throws Exception {
        SpyProvider spy = spy();
        AsyncCrypto c = new AsyncCrypto(engine, CryptoPolicy.builder().provider(CryptoOperation.SHA256, spy).build());
        byte[] small = new byte[4 * 1024];
        byte[] large = new byte[4 * 1024 + 1];
        for (int round = 0; round < 200; round++) {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<byte[]> h = new JobHandle<>();
                StartStatus st = firstStart(h, ctx, () -> c.sha256(small));
                assertThat(st).as("a 4 KiB SHA-256 finishes in the first run, no pause").isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(small));
                assertThat(ctx.getAllFds()).as("no engine fd: the engine was never involved").isEmpty();
            }
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<byte[]> h = new JobHandle<>();
                StartStatus st = firstStart(h, ctx, () -> c.sha256(large));
                finish(h, ctx, st);
                assertThat(h.failure()).isNull();
                assertThat(h.result()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(large));
                assertThat(ctx.getAllFds()).as("the engine's wait fd").hasSize(1);
            }
        }
        assertThat(spy.where).hasSize(400);
        for (int i = 0; i < 400; i += 2) {
            assertThat(spy.where.get(i)).as("small, round %d", i / 2).isEqualTo("job");
            assertThat(spy.where.get(i + 1)).as("large, round %d", i / 2).isEqualTo("device");
        }
    }

    @Test
    void inlineLimitsAreConfigurable() throws Exception {
        SpyProvider spy = spy();
        AsyncCrypto never = new AsyncCrypto(engine, CryptoPolicy.builder().provider(CryptoOperation.SHA256, spy)
                .inlineMaxBytes(CryptoOperation.SHA256, CryptoPolicy.NEVER_INLINE).build());
        AsyncCrypto always = new AsyncCrypto(engine, CryptoPolicy.builder().provider(CryptoOperation.SHA256, spy)
                .inlineMaxBytes(CryptoOperation.SHA256, Integer.MAX_VALUE).build());
        for (AsyncCrypto c : List.of(never, always)) {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<byte[]> h = new JobHandle<>();
                byte[] data = new byte[c == never ? 0 : 1 << 20];
                finish(h, ctx, firstStart(h, ctx, () -> c.sha256(data)));
                assertThat(h.result()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
            }
        }
        assertThat(spy.where).containsExactly("device", "job");
    }

    @Test
    void inlineWorkKeepsTheEnginesContract() throws Exception {
        OffloadEngine closed = OffloadEngine.builder().name("closed-inline").threads(1).build();
        closed.close();
        AsyncCrypto c = new AsyncCrypto(closed);
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            JobHandle<byte[]> h = new JobHandle<>();
            assertThat(firstStart(h, ctx, () -> c.sha256(new byte[1]))).isEqualTo(StartStatus.FINISH);
            assertThat(h.failure()).isInstanceOf(RejectedExecutionException.class);
        }
        // a job resumed cancelled gets its CancellationException from inline work too
        AsyncCrypto open = new AsyncCrypto(engine);
        for (int round = 0; round < 1000; round++) {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                JobHandle<byte[]> h = new JobHandle<>();
                assertThat(firstStart(h, ctx, () -> {
                    AsyncJob.pause();
                    return open.sha256(new byte[10]);
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(h.cancel()).isTrue();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isInstanceOf(CancellationException.class);
            }
        }
    }

    @Test
    void theRoutingIsLoggedOnceAtInfo() {
        Logger jul = Logger.getLogger("dev.asyncjobs.crypto");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try {
            // an inline limit no other test uses: a routing not logged yet
            CryptoPolicy p = CryptoPolicy.builder().inlineMaxBytes(CryptoOperation.SHA512, 12_345).build();
            new AsyncCrypto(engine, p);
            new AsyncCrypto(engine, p);
            assertThat(records).hasSize(1);
            LogRecord r = records.get(0);
            assertThat(r.getLevel()).isEqualTo(Level.INFO);
            String msg = java.text.MessageFormat.format(r.getMessage(), r.getParameters());
            assertThat(msg).isEqualTo("asyncjobs crypto routing: " + p);
        } finally {
            jul.removeHandler(h);
        }
    }

    @Test
    void nullsNameTheParameter() {
        assertThatThrownBy(() -> new AsyncCrypto(engine, null)).hasMessage("policy");
        assertThatThrownBy(() -> new AsyncCrypto(null, CryptoPolicy.jdk())).hasMessage("engine");
        assertThatThrownBy(() -> CryptoPolicy.builder().provider(null, ACCP)).hasMessage("op");
        assertThatThrownBy(() -> CryptoPolicy.builder().provider(CryptoOperation.SHA256, null)).hasMessage("provider");
        assertThatThrownBy(() -> CryptoPolicy.builder().candidates((Provider[]) null)).hasMessage("providers");
        assertThatThrownBy(() -> CryptoPolicy.builder().inlineMaxBytes(null, 1)).hasMessage("op");
        assertThatThrownBy(() -> CryptoPolicy.jdk().provider(null)).hasMessage("op");
    }
}
