package dev.asyncjobs.benchmarks;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.conscrypt.Conscrypt;

/**
 * The table behind {@code CryptoPolicy.fastest()}: the cost of each operation {@code AsyncCrypto}
 * routes, on one thread, on the JDK's providers, ACCP and Conscrypt, the providers interleaved
 * round by round (so load drifts hit all three alike), with the same per-call JCA work as
 * {@code AsyncCrypto} (instance reused, initialised per call), median and spread of the rounds.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -Drounds=5 -DbudgetMs=300 -cp target/benchmarks.jar \
 *     dev.asyncjobs.benchmarks.CryptoProviderTable [-Donly=ecdsa]
 * </pre>
 */
public final class CryptoProviderTable {
    private CryptoProviderTable() {
    }

    /** One call of an operation. */
    interface Op { Object run() throws Exception; }
    static volatile Object sink;

    static double nsPerOp(Op op, long budgetNanos) throws Exception {
        long n = 0, t0 = System.nanoTime(), t;
        do { for (int i = 0; i < 8; i++) sink = op.run(); n += 8; t = System.nanoTime(); } while (t - t0 < budgetNanos);
        return (t - t0) / (double) n;
    }

    /**
     * Prints the table.
     *
     * @param a unused
     * @throws Exception on any failure
     */
    public static void main(String[] a) throws Exception {
        Provider accp = AmazonCorrettoCryptoProvider.INSTANCE;
        Provider con = Conscrypt.newProvider();
        Provider[] ps = {null, accp, con};
        System.out.println("# ns per operation, one thread; median [min-max] of " + Integer.getInteger("rounds", 3)
                + " rounds of " + Long.getLong("budgetMs", 300) + " ms, providers interleaved; load "
                + new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).strip());
        System.out.printf("%-24s | %-28s | %-28s | %-28s%n", "operation", "JDK", "ACCP 2.5.0", "Conscrypt 2.5.2");
        String[] names = {"JDK", "ACCP", "Conscrypt"};
        SecureRandom r = new SecureRandom();
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC"); g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = g.generateKeyPair();
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPairGenerator rg = KeyPairGenerator.getInstance("RSA"); rg.initialize(2048); KeyPair rsa = rg.generateKeyPair();
        KeyPair x1 = KeyPairGenerator.getInstance("X25519").generateKeyPair(), x2 = KeyPairGenerator.getInstance("X25519").generateKeyPair();
        byte[] k32 = new byte[32]; r.nextBytes(k32);
        SecretKey aes = new SecretKeySpec(k32, "AES"); SecretKey hk = new SecretKeySpec(k32, "HmacSHA256");
        byte[] msg = new byte[64]; r.nextBytes(msg);
        PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
        OAEPParameterSpec oaep = new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
        int[] sizes = {64, 1024, 4096, 16384, 65536, 1 << 20};
        LinkedHashMap<String, Op[]> ops = new LinkedHashMap<>();
        long budget = Long.getLong("budgetMs", 300) * 1_000_000L;
        for (int pi = 0; pi < 3; pi++) {
            Provider p = ps[pi];
            Op[] row;
            // each op: set up instance once, per-call init like AsyncCrypto
            try {
                Signature s = p == null ? Signature.getInstance("SHA256withECDSA") : Signature.getInstance("SHA256withECDSA", p);
                byte[] sig = sign(s, ec.getPrivate(), msg, null);
                put(ops, "ecdsa-p256 sign", pi, () -> sign(s, ec.getPrivate(), msg, null));
                put(ops, "ecdsa-p256 verify", pi, () -> verify(s, ec.getPublic(), msg, sig, null));
            } catch (Exception e) { System.out.println(names[pi] + " ecdsa: " + e); }
            try {
                Signature s = p == null ? Signature.getInstance("Ed25519") : Signature.getInstance("Ed25519", p);
                byte[] sig = sign(s, ed.getPrivate(), msg, null);
                put(ops, "ed25519 sign", pi, () -> sign(s, ed.getPrivate(), msg, null));
                put(ops, "ed25519 verify", pi, () -> verify(s, ed.getPublic(), msg, sig, null));
            } catch (Exception e) { System.out.println(names[pi] + " ed25519: " + e); }
            try {
                Signature s = p == null ? Signature.getInstance("RSASSA-PSS") : Signature.getInstance("RSASSA-PSS", p);
                byte[] sig = sign(s, rsa.getPrivate(), msg, pss);
                put(ops, "rsa-pss sign", pi, () -> sign(s, rsa.getPrivate(), msg, pss));
                put(ops, "rsa-pss verify", pi, () -> verify(s, rsa.getPublic(), msg, sig, pss));
            } catch (Exception e) { System.out.println(names[pi] + " rsa-pss: " + e); }
            try {
                Cipher c = p == null ? Cipher.getInstance("RSA/ECB/OAEPPadding") : Cipher.getInstance("RSA/ECB/OAEPPadding", p);
                c.init(Cipher.ENCRYPT_MODE, rsa.getPublic(), oaep); byte[] ct = c.doFinal(msg);
                put(ops, "rsa-oaep encrypt", pi, () -> { c.init(Cipher.ENCRYPT_MODE, rsa.getPublic(), oaep); return c.doFinal(msg); });
                put(ops, "rsa-oaep decrypt", pi, () -> { c.init(Cipher.DECRYPT_MODE, rsa.getPrivate(), oaep); return c.doFinal(ct); });
            } catch (Exception e) { System.out.println(names[pi] + " oaep: " + e); }
            try {
                javax.crypto.KeyAgreement ka = p == null ? javax.crypto.KeyAgreement.getInstance("X25519") : javax.crypto.KeyAgreement.getInstance("X25519", p);
                put(ops, "x25519", pi, () -> { ka.init(x1.getPrivate()); ka.doPhase(x2.getPublic(), true); return ka.generateSecret(); });
            } catch (Exception e) { System.out.println(names[pi] + " x25519: " + e); }
            for (int size : sizes) {
                byte[] data = new byte[size]; r.nextBytes(data);
                try {
                    Cipher c = p == null ? Cipher.getInstance("AES/GCM/NoPadding") : Cipher.getInstance("AES/GCM/NoPadding", p);
                    long[] ctr = {0};
                    put(ops, "aes-256-gcm enc " + size, pi, () -> { byte[] iv = new byte[12]; long n = ++ctr[0]; for (int k = 0; k < 8; k++) iv[k] = (byte) (n >>> 8 * k);
                        c.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(128, iv)); return c.doFinal(data); });
                } catch (Exception e) { System.out.println(names[pi] + " gcm: " + e); }
                for (String d : new String[] {"SHA-256", "SHA-512"}) {
                    try {
                        MessageDigest md = p == null ? MessageDigest.getInstance(d) : MessageDigest.getInstance(d, p);
                        put(ops, d + " " + size, pi, () -> md.digest(data));
                    } catch (Exception e) { System.out.println(names[pi] + " " + d + ": " + e); }
                }
                try {
                    Mac m = p == null ? Mac.getInstance("HmacSHA256") : Mac.getInstance("HmacSHA256", p);
                    put(ops, "hmac-sha256 " + size, pi, () -> { m.init(hk); return m.doFinal(data); });
                } catch (Exception e) { System.out.println(names[pi] + " hmac: " + e); }
            }
        }
        int rounds = Integer.getInteger("rounds", 3);
        for (var e : ops.entrySet()) {
            String filter = System.getProperty("only");
            if (filter != null && !e.getKey().contains(filter)) continue;
            double[][] v = new double[3][rounds];
            for (int w = 0; w < 3; w++) for (Op o : e.getValue()) if (o != null) nsPerOp(o, budget); // warm-up: SunEC needs C2
            for (int rd = 0; rd < rounds; rd++)
                for (int k = 0; k < 3; k++) { int pi = (k + rd) % 3; Op o = e.getValue()[pi]; v[pi][rd] = o == null ? Double.NaN : nsPerOp(o, budget); }
            StringBuilder sb = new StringBuilder(String.format("%-24s", e.getKey()));
            for (int pi = 0; pi < 3; pi++) {
                double[] x = v[pi].clone(); Arrays.sort(x);
                if (Double.isNaN(x[0])) sb.append(String.format(" | %9s %-14s", "-", ""));
                else sb.append(String.format(" | %9.2f us [%.2f-%.2f]", x[rounds / 2] / 1000, x[0] / 1000, x[rounds - 1] / 1000));
            }
            System.out.println(sb);
        }
    }
    static void put(Map<String, Op[]> m, String k, int pi, Op o) { m.computeIfAbsent(k, x -> new Op[3])[pi] = o; }
    static byte[] sign(Signature s, PrivateKey k, byte[] m, AlgorithmParameterSpec p) throws Exception { if (p != null) s.setParameter(p); s.initSign(k); s.update(m); return s.sign(); }
    static boolean verify(Signature s, PublicKey k, byte[] m, byte[] sig, AlgorithmParameterSpec p) throws Exception { if (p != null) s.setParameter(p); s.initVerify(k); s.update(m); if (!s.verify(sig)) throw new IllegalStateException(); return true; }
}
