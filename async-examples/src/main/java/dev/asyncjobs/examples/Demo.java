package dev.asyncjobs.examples;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.CryptoOperation;
import dev.asyncjobs.crypto.CryptoPolicy;
import dev.asyncjobs.crypto.SignatureScheme;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.reactor.AsyncFlux;
import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The README's main command: {@code java -jar async-examples/target/asyncjobs-demo.jar}.
 *
 * <ol>
 *   <li>runs the {@code ASYNC_start_job(3)} man page's EXAMPLES program ({@link ManPageExample});</li>
 *   <li>signs {@code N} messages with ECDSA P-256 ({@code --messages N}, default 100,000) three
 *       ways, and prints them side by side (median throughput of the rounds and its spread, p50/p99
 *       latency, threads, peaks, and the provider each used):
 *       <ul>
 *         <li><b>asyncjobs</b>: {@link AsyncFlux#mapJobs} and an {@link OffloadEngine}; each
 *             message is a job that hands the signing to the engine's device threads and pauses,
 *             so a couple of job loops keep hundreds of signatures in flight; {@link AsyncCrypto}
 *             signs on the fastest provider installed ({@link CryptoPolicy#fastest()}: Amazon
 *             Corretto Crypto Provider, which the demo registers);</li>
 *         <li><b>naive</b>: {@code Mono.fromCallable(sign).subscribeOn(Schedulers.boundedElastic())}
 *             with the <em>same provider</em>, so the difference is the scheduling alone;</li>
 *         <li><b>today</b>: the same naive way on the JDK's provider (SunEC), what most
 *             applications run today.</li>
 *       </ul>
 *       Every way is warmed up first; then the messages are signed in {@code --rounds R} rounds
 *       (default 3) of {@code N/R} messages, each round running all three ways in a rotated order
 *       (round 1: asyncjobs, naive, today; round 2: naive, today, asyncjobs; ...), so no way always
 *       runs first or last on a noisy machine;</li>
 *   <li>verifies every signature (through the engine as well) and prints {@code verified K/N}.</li>
 * </ol>
 * The exit status is 0 only if every step succeeded and every signature verified.
 *
 * <p>The jar's manifest carries {@code Add-Exports: java.base/jdk.internal.vm}, which {@code java
 * -jar} honours for the main jar, so jobs run on the continuation backend with no flag to type;
 * the header says which backend ran. It also carries {@code Enable-Native-Access: ALL-UNNAMED}
 * for ACCP's native library. ACCP is added at the end of the provider list ({@link
 * Security#addProvider}), so plain JCA calls in this JVM keep the JDK's providers and only the
 * routing picks ACCP; where ACCP cannot load (another OS or CPU), everything runs on the JDK's
 * providers and the demo says so.
 */
public final class Demo {
    static final int DEFAULT_MESSAGES = 100_000;
    static final int DEFAULT_IN_FLIGHT = 256;
    static final int DEFAULT_ROUNDS = 3;
    private static final int WARM_UP_MESSAGES = 2_000;
    /** The three ways, in the order of the table's columns. */
    static final List<String> WAYS = List.of("asyncjobs", "naive", "today");
    static final String DEVICE_NAME = "demo-device";
    static final SignatureScheme SCHEME = SignatureScheme.ECDSA_P256_SHA256;

    private Demo() {
    }

    /**
     * Runs the demo and exits with its status.
     *
     * @param args {@code [--messages N] [--in-flight M] [--tamper K]}; {@code --help} lists them
     */
    public static void main(String[] args) {
        int status = run(args, System.out, isTerminal(System.console()));
        System.out.flush();
        System.exit(status);
    }

    /** The parsed command line. */
    record Options(int messages, int inFlight, int tamper, int rounds) {
    }

    /**
     * Runs the demo, printing to {@code out}.
     *
     * @param args the command line
     * @param out where to print
     * @param terminal draw progress bars in place (a terminal) or print plain progress lines
     * @return the exit status: 0 on success, 1 on a failure, 2 on a bad command line
     */
    static int run(String[] args, PrintStream out, boolean terminal) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            out.println("asyncjobs-demo: " + e.getMessage());
            out.println(USAGE);
            return 2;
        }
        if (options == null) {
            out.println(USAGE);
            return 0;
        }
        try {
            return demo(options, out, terminal);
        } catch (Exception | AssertionError e) {
            out.println();
            out.println("FAILED: " + e);
            e.printStackTrace(out);
            return 1;
        }
    }

    static final String USAGE = """
            usage: java -jar asyncjobs-demo.jar [--messages N] [--in-flight M] [--rounds R] [--tamper K]
              --messages N   messages to sign and verify (default 100000)
              --in-flight M  most signing jobs alive at once, for every way (default 256)
              --rounds R     rounds the signing is split in, the ways alternating (default 3)
              --tamper K     flip a bit in K signatures before verifying them (shows a failure)""";

    /** The options, or {@code null} for {@code --help}. */
    static @Nullable Options parse(String[] args) {
        int messages = DEFAULT_MESSAGES;
        int inFlight = DEFAULT_IN_FLIGHT;
        int tamper = 0;
        int rounds = DEFAULT_ROUNDS;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--messages" -> messages = intArg(args, ++i, a, 1);
                case "--in-flight" -> inFlight = intArg(args, ++i, a, 1);
                case "--tamper" -> tamper = intArg(args, ++i, a, 0);
                case "--rounds" -> rounds = intArg(args, ++i, a, 1);
                default -> throw new IllegalArgumentException("unknown option: " + a);
            }
        }
        if (tamper > messages) {
            throw new IllegalArgumentException("--tamper " + tamper + " is more than --messages " + messages);
        }
        if (rounds > messages) {
            throw new IllegalArgumentException("--rounds " + rounds + " is more than --messages " + messages);
        }
        return new Options(messages, inFlight, tamper, rounds);
    }

    private static int intArg(String[] args, int i, String option, int min) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a number");
        }
        int v;
        try {
            v = Integer.parseInt(args[i].replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number, got '" + args[i] + "'");
        }
        if (v < min) {
            throw new IllegalArgumentException(option + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    private static int demo(Options o, PrintStream out, boolean terminal) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf(Locale.ROOT, "asyncjobs demo: backend %s, JDK %s, %d cores%n",
                AsyncJob.backend(), Runtime.version(), cores);
        String cause = AsyncJob.continuationUnavailabilityCause();
        if (!cause.isEmpty()) {
            out.println("  (" + cause + ")");
        }

        out.println();
        out.println("1. ASYNC_start_job(3), EXAMPLES, in Java");
        out.println();
        ManPageExample.run(out);

        int n = o.messages();
        out.println();
        out.printf(Locale.ROOT, "2. Signing %,d messages with ECDSA P-256, at most %d in flight%n", n, o.inFlight());
        out.println();
        byte[][] messages = new byte[n][];
        for (int i = 0; i < n; i++) {
            messages[i] = ("message #" + i + ": the quick brown fox jumps over the lazy dog")
                    .getBytes(StandardCharsets.UTF_8);
        }
        String accp = registerAccp();
        KeyPair keys = SCHEME.generateKeyPair();
        OffloadEngine engine = OffloadEngine.builder().threads(cores).name(DEVICE_NAME).build();
        int status;
        try {
            out.flush(); // the routing's log line goes to stderr: keep the order on a shared console
            AsyncCrypto ours = new AsyncCrypto(engine); // the fastest provider installed, per operation
            CryptoPolicy jdk = CryptoPolicy.jdk();
            Provider fast = provider(ours.policy(), CryptoOperation.ECDSA_P256_SIGN);
            Provider slow = provider(jdk, CryptoOperation.ECDSA_P256_SIGN);
            out.printf(Locale.ROOT, "  providers: %s%n", accp);
            out.printf(Locale.ROOT, "    sign   (asyncjobs, naive) %s%n", fast.getName());
            out.printf(Locale.ROOT, "    sign   (today)            %s%n", slow.getName());
            out.printf(Locale.ROOT, "    verify (asyncjobs)        %s%n",
                    provider(ours.policy(), CryptoOperation.ECDSA_P256_VERIFY).getName());
            out.println();
            Signer[] signers = {new Signer(ours, keys, fast), new Signer(ours, keys, fast), new Signer(ours, keys, slow)};
            status = signAndVerify(signers, messages, o, out, terminal);
        } finally {
            engine.close();
        }
        if (!engine.awaitTermination(Duration.ofSeconds(30))) {
            out.println("FAILED: the engine's device threads did not end");
            return 1;
        }
        return status;
    }

    /** Parts 2 and 3: the three ways of signing, the table, the verification; the exit status. */
    private static int signAndVerify(Signer[] signers, byte[][] messages, Options o, PrintStream out, boolean terminal) {
        int n = messages.length;
        warmUp(signers, messages, o.inFlight());

        byte[][][] signatures = new byte[WAYS.size()][n][];
        RunStats[] stats = new RunStats[WAYS.size()];
        for (int w = 0; w < stats.length; w++) {
            stats[w] = new RunStats(WAYS.get(w), n);
        }
        Progress p = Progress.start(out, terminal, "signing", (long) n * WAYS.size(),
                () -> stats[0].completedCount() + stats[1].completedCount() + stats[2].completedCount());
        try {
            for (int r = 0; r < o.rounds(); r++) {
                int from = (int) ((long) n * r / o.rounds());
                int to = (int) ((long) n * (r + 1) / o.rounds());
                for (int k = 0; k < WAYS.size(); k++) {
                    int w = (r + k) % WAYS.size(); // rotated: each way runs first, second and last in turn
                    sign(w, signers[w], messages, signatures[w], from, to, o.inFlight(), stats[w]);
                }
            }
        } finally {
            p.close();
        }
        out.println();
        printTable(out, stats, signers, signers[0].crypto().engine().threads(), o.rounds());
        byte[][] ours = signatures[0];

        for (int i = 0; i < o.tamper(); i++) {
            byte[] s = ours[i * (n / o.tamper())];
            s[s.length - 1] ^= 1; // the last byte of s: still valid DER, no longer a valid signature
        }

        out.println();
        out.printf(Locale.ROOT, "3. Verifying %,d signatures%n", n);
        out.println();
        AtomicLong checked = new AtomicLong();
        long valid;
        p = Progress.start(out, terminal, "verify", n, checked::get);
        try {
            valid = verifyWithJobs(signers[0], messages, ours, o.inFlight(), checked);
        } finally {
            p.close();
        }
        int otherMissing = 0;
        for (int w = 1; w < WAYS.size(); w++) {
            for (byte[] s : signatures[w]) {
                if (s == null) {
                    otherMissing++;
                }
            }
        }
        out.println();
        out.printf(Locale.ROOT, "verified %d/%d%n", valid, n);
        if (valid != n || otherMissing != 0 || stats[0].completedCount() != n) {
            out.printf(Locale.ROOT, "FAILED: %d signatures did not verify, %d naive signatures missing%n",
                    n - valid, otherMissing);
            return 1;
        }
        return 0;
    }

    /** Way {@code w} signs messages {@code from..to-1}: one round. */
    private static void sign(int w, Signer signer, byte[][] messages, byte[][] signatures, int from, int to,
            int inFlight, RunStats stats) {
        if (w == 0) {
            signWithJobs(signer, messages, signatures, from, to, inFlight, stats);
        } else {
            signNaively(signer, messages, signatures, from, to, inFlight, stats);
        }
    }

    /**
     * The demo's one key pair and what signs with it. {@code crypto} is the asyncjobs way (inside a
     * job the job pauses while a device thread signs); {@code provider} is what the naive ways call
     * directly on their own threads, as plain JCA code would (one {@code Signature} per thread).
     */
    record Signer(AsyncCrypto crypto, KeyPair keys, Provider provider) {
        private static final ThreadLocal<Map<Provider, Signature>> PLAIN = ThreadLocal.withInitial(HashMap::new);

        /** Inside a job: the job pauses while a device thread signs. */
        byte[] sign(byte[] message) throws GeneralSecurityException {
            return crypto.sign(SCHEME, keys.getPrivate(), message);
        }

        /** Plain JCA on this thread, on {@link #provider}. */
        byte[] signPlain(byte[] message) throws GeneralSecurityException {
            Map<Provider, Signature> mine = PLAIN.get();
            Signature s = mine.get(provider);
            if (s == null) {
                s = Signature.getInstance(SCHEME.algorithm(), provider);
                mine.put(provider, s);
            }
            s.initSign(keys.getPrivate());
            s.update(message);
            return s.sign();
        }

        boolean verify(byte[] message, byte[] signature) throws GeneralSecurityException {
            return crypto.verify(SCHEME, keys.getPublic(), message, signature);
        }
    }

    /** Runs every way briefly, unmeasured, so none pays the JIT's warm-up in the comparison. */
    private static void warmUp(Signer[] signers, byte[][] messages, int inFlight) {
        int w = Math.min(WARM_UP_MESSAGES, messages.length);
        for (int k = 0; k < signers.length; k++) {
            sign(k, signers[k], messages, new byte[messages.length][], 0, w, inFlight, new RunStats("warm-up", messages.length));
        }
    }

    /**
     * The asyncjobs way: one job per message, at most {@code inFlight} alive; each hands the
     * signing to the engine and pauses until a device thread has done it.
     */
    static void signWithJobs(Signer crypto, byte[][] messages, byte[][] signatures, int from, int to, int inFlight,
            RunStats stats) {
        stats.start();
        AsyncFlux.mapJobs(Flux.range(from, to - from), i -> {
            stats.admitted(i);
            return () -> {
                stats.bodyRuns(); // the job's thread: a job loop (or its virtual thread)
                signatures[i] = crypto.sign(messages[i]); // pauses the job; a device thread signs
                stats.completed(i);
                return i;
            };
        }, inFlight).then().block();
        stats.stop();
    }

    /** The naive way: each signature on a boundedElastic thread, at most {@code inFlight} at once. */
    static void signNaively(Signer crypto, byte[][] messages, byte[][] signatures, int from, int to, int inFlight,
            RunStats stats) {
        stats.start();
        Flux.range(from, to - from).flatMapSequential(i -> {
            stats.admitted(i);
            return Mono.fromCallable(() -> {
                stats.bodyRuns();
                signatures[i] = crypto.signPlain(messages[i]); // plain JCA, on this thread
                stats.completed(i);
                return i;
            }).subscribeOn(Schedulers.boundedElastic());
        }, inFlight, 1).then().block();
        stats.stop();
    }

    /** Verifies every signature through the engine; returns how many are valid. */
    static long verifyWithJobs(Signer crypto, byte[][] messages, byte[][] signatures, int inFlight,
            AtomicLong checked) {
        Long valid = AsyncFlux.mapJobs(Flux.range(0, messages.length), i -> () -> {
            boolean ok;
            try {
                ok = crypto.verify(messages[i], signatures[i]);
            } catch (SignatureException e) {
                ok = false; // a signature that does not even parse is not valid either
            }
            checked.incrementAndGet();
            return ok;
        }, inFlight).filter(ok -> ok).count().block();
        return valid == null ? 0 : valid;
    }

    private static void printTable(PrintStream out, RunStats[] st, Signer[] signers, int deviceThreads, int rounds) {
        String[][] rows = {
            {"", "asyncjobs", "naive", "today"},
            {"", "mapJobs + OffloadEngine", "boundedElastic", "boundedElastic"},
            {"provider", signers[0].provider().getName(), signers[1].provider().getName(), signers[2].provider().getName()},
            {"messages", fmt("%,d", st[0].messages), fmt("%,d", st[1].messages), fmt("%,d", st[2].messages)},
            {"time", fmt("%.2f s", st[0].elapsedSeconds()), fmt("%.2f s", st[1].elapsedSeconds()),
                fmt("%.2f s", st[2].elapsedSeconds())},
            {"throughput", tput(st[0]), tput(st[1]), tput(st[2])},
            {"rounds min-max", spread(st[0]), spread(st[1]), spread(st[2])},
            {"vs today", fmt("%.1fx", ratio(st[0], st[2])), fmt("%.1fx", ratio(st[1], st[2])), "1.0x"},
            {"latency p50", fmt("%.2f ms", st[0].latencyMillis(50)), fmt("%.2f ms", st[1].latencyMillis(50)),
                fmt("%.2f ms", st[2].latencyMillis(50))},
            {"latency p99", fmt("%.2f ms", st[0].latencyMillis(99)), fmt("%.2f ms", st[1].latencyMillis(99)),
                fmt("%.2f ms", st[2].latencyMillis(99))},
            {"threads used", ourThreads(st[0].threads(), deviceThreads), fmt("%d", st[1].threads().size()),
                fmt("%d", st[2].threads().size())},
            {"peak jobs in flight", fmt("%d", st[0].peakInFlight()), fmt("%d", st[1].peakInFlight()),
                fmt("%d", st[2].peakInFlight())},
        };
        int[] width = {26, 18, 18};
        for (String[] r : rows) {
            for (int c = 0; c < 3; c++) {
                width[c] = Math.max(width[c], r[c + 1].length() + 3);
            }
        }
        for (String[] r : rows) {
            out.println(fmt("  %-22s %-" + width[0] + "s %-" + width[1] + "s %s", r[0], r[1], r[2], r[3]).stripTrailing());
        }
        out.println(fmt("  (throughput: the median of %d rounds; the ways alternate within each round)", rounds));
    }

    private static String tput(RunStats s) {
        return fmt("%,.0f msg/s", s.medianThroughput());
    }

    private static String spread(RunStats s) {
        double[] mm = s.throughputSpread();
        return fmt("%,.0f-%,.0f", mm[0], mm[1]);
    }

    private static double ratio(RunStats a, RunStats today) {
        double t = today.medianThroughput();
        return t == 0 ? 0 : a.medianThroughput() / t;
    }

    /** Registers ACCP at the end of the provider list when its native library loads; says what happened. */
    static String registerAccp() {
        Provider accp = AmazonCorrettoCryptoProvider.INSTANCE;
        Throwable error = AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError();
        if (error != null) {
            return "Amazon Corretto Crypto Provider unavailable here (" + error
                    + "): everything runs on the JDK's providers";
        }
        if (Security.getProvider(accp.getName()) == null) {
            Security.addProvider(accp); // last: plain JCA keeps the JDK's, the routing finds ACCP
        }
        return accp.getName() + " " + accp.getVersionStr() + " registered; the routing picks per operation";
    }

    private static Provider provider(CryptoPolicy policy, CryptoOperation op) {
        Provider p = policy.provider(op);
        if (p == null) {
            throw new IllegalStateException("no installed provider offers " + op);
        }
        return p;
    }

    /**
     * "4 (2 loops + 2 device)": the loops ran the jobs, the engine's device threads signed. On the
     * virtual-thread backend each pooled job's body runs on a virtual thread of its own, which the
     * loops start and resume (they do not show in the jobs' own thread): the loops are the shared
     * group's, and the virtual threads are counted apart.
     */
    private static String ourThreads(Set<Thread> jobThreads, int deviceThreads) {
        long virtual = jobThreads.stream().filter(Thread::isVirtual).count();
        long loops = jobThreads.size() - virtual;
        if (virtual > 0) {
            loops = Math.max(loops, JobLoopGroup.shared().size());
        }
        String s = fmt("%d (%d loops + %d device)", loops + deviceThreads, loops, deviceThreads);
        return virtual == 0 ? s : s + fmt(" + %d virtual", virtual);
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** Whether {@code console} is an interactive terminal (JDK 22+ may return one that is not). */
    static boolean isTerminal(@Nullable Console console) {
        if (console == null) {
            return false;
        }
        try {
            Method m = Console.class.getMethod("isTerminal");
            return (Boolean) m.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: System.console() is non-null only for a terminal
        }
    }

}
