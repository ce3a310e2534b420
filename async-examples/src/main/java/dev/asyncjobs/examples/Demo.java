package dev.asyncjobs.examples;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.SignatureScheme;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.reactor.AsyncFlux;
import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SignatureException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
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
 *   <li>signs {@code N} messages with ECDSA P-256 ({@code --messages N}, default 100,000) through
 *       {@link AsyncFlux#mapJobs} and an {@link OffloadEngine}: each message is a job that hands the
 *       signing to the engine's device threads and pauses, so a couple of job loops keep hundreds of
 *       signatures in flight; then does the same work the naive way,
 *       {@code Mono.fromCallable(sign).subscribeOn(Schedulers.boundedElastic())}, and prints both
 *       side by side (throughput, p50/p99 latency, threads, peaks);</li>
 *   <li>verifies every signature (through the engine as well) and prints {@code verified K/N}.</li>
 * </ol>
 * The exit status is 0 only if every step succeeded and every signature verified.
 *
 * <p>The jar's manifest carries {@code Add-Exports: java.base/jdk.internal.vm}, which {@code java
 * -jar} honours for the main jar, so jobs run on the continuation backend with no flag to type;
 * the header says which backend ran.
 */
public final class Demo {
    static final int DEFAULT_MESSAGES = 100_000;
    static final int DEFAULT_IN_FLIGHT = 256;
    private static final int WARM_UP_MESSAGES = 2_000;
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
    record Options(int messages, int inFlight, int tamper) {
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
            usage: java -jar asyncjobs-demo.jar [--messages N] [--in-flight M] [--tamper K]
              --messages N   messages to sign and verify (default 100000)
              --in-flight M  most signing jobs alive at once, for both ways (default 256)
              --tamper K     flip a bit in K signatures before verifying them (shows a failure)""";

    /** The options, or {@code null} for {@code --help}. */
    static @Nullable Options parse(String[] args) {
        int messages = DEFAULT_MESSAGES;
        int inFlight = DEFAULT_IN_FLIGHT;
        int tamper = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--messages" -> messages = intArg(args, ++i, a, 1);
                case "--in-flight" -> inFlight = intArg(args, ++i, a, 1);
                case "--tamper" -> tamper = intArg(args, ++i, a, 0);
                default -> throw new IllegalArgumentException("unknown option: " + a);
            }
        }
        if (tamper > messages) {
            throw new IllegalArgumentException("--tamper " + tamper + " is more than --messages " + messages);
        }
        return new Options(messages, inFlight, tamper);
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
        KeyPair keys = SCHEME.generateKeyPair();
        OffloadEngine engine = OffloadEngine.builder().threads(cores).name(DEVICE_NAME).build();
        int status;
        try {
            status = signAndVerify(new Signer(new AsyncCrypto(engine), keys), messages, o, out, terminal);
        } finally {
            engine.close();
        }
        if (!engine.awaitTermination(Duration.ofSeconds(30))) {
            out.println("FAILED: the engine's device threads did not end");
            return 1;
        }
        return status;
    }

    /** Parts 2 and 3: both ways of signing, the table, the verification; the exit status. */
    private static int signAndVerify(Signer crypto, byte[][] messages, Options o, PrintStream out, boolean terminal) {
        int n = messages.length;
        warmUp(crypto, messages, o.inFlight());

        byte[][] ours = new byte[n][];
        RunStats async = new RunStats("asyncjobs", n);
        Progress p = Progress.start(out, terminal, "asyncjobs", n, async::completedCount);
        try {
            signWithJobs(crypto, messages, ours, o.inFlight(), async);
        } finally {
            p.close();
        }
        byte[][] theirs = new byte[n][];
        RunStats naive = new RunStats("naive", n);
        p = Progress.start(out, terminal, "naive", n, naive::completedCount);
        try {
            signNaively(crypto, messages, theirs, o.inFlight(), naive);
        } finally {
            p.close();
        }
        out.println();
        printTable(out, async, naive, crypto.crypto().engine().threads());

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
            valid = verifyWithJobs(crypto, messages, ours, o.inFlight(), checked);
        } finally {
            p.close();
        }
        int naiveMissing = 0;
        for (byte[] s : theirs) {
            if (s == null) {
                naiveMissing++;
            }
        }
        out.println();
        out.printf(Locale.ROOT, "verified %d/%d%n", valid, n);
        if (valid != n || naiveMissing != 0 || async.completedCount() != n) {
            out.printf(Locale.ROOT, "FAILED: %d signatures did not verify, %d naive signatures missing%n",
                    n - valid, naiveMissing);
            return 1;
        }
        return 0;
    }

    /** The demo's one key pair and what signs with it. */
    record Signer(AsyncCrypto crypto, KeyPair keys) {
        /** Inside a job: the job pauses while a device thread signs. Outside: signs right here. */
        byte[] sign(byte[] message) throws GeneralSecurityException {
            return crypto.sign(SCHEME, keys.getPrivate(), message);
        }

        boolean verify(byte[] message, byte[] signature) throws GeneralSecurityException {
            return crypto.verify(SCHEME, keys.getPublic(), message, signature);
        }
    }

    /** Runs both ways briefly, unmeasured, so neither pays the JIT's warm-up in the comparison. */
    private static void warmUp(Signer crypto, byte[][] messages, int inFlight) {
        int w = Math.min(WARM_UP_MESSAGES, messages.length);
        byte[][] m = Arrays.copyOf(messages, w);
        signWithJobs(crypto, m, new byte[w][], inFlight, new RunStats("warm-up", w));
        signNaively(crypto, m, new byte[w][], inFlight, new RunStats("warm-up", w));
    }

    /**
     * The asyncjobs way: one job per message, at most {@code inFlight} alive; each hands the
     * signing to the engine and pauses until a device thread has done it.
     */
    static void signWithJobs(Signer crypto, byte[][] messages, byte[][] signatures, int inFlight, RunStats stats) {
        stats.start();
        AsyncFlux.mapJobs(Flux.range(0, messages.length), i -> {
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
    static void signNaively(Signer crypto, byte[][] messages, byte[][] signatures, int inFlight, RunStats stats) {
        stats.start();
        Flux.range(0, messages.length).flatMapSequential(i -> {
            stats.admitted(i);
            return Mono.fromCallable(() -> {
                stats.bodyRuns();
                signatures[i] = crypto.sign(messages[i]); // not in a job: signs on this thread
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

    private static void printTable(PrintStream out, RunStats a, RunStats b, int deviceThreads) {
        String[][] rows = {
            {"", "asyncjobs", "naive"},
            {"", "mapJobs + OffloadEngine", "boundedElastic"},
            {"messages", fmt("%,d", a.messages), fmt("%,d", b.messages)},
            {"time", fmt("%.2f s", a.elapsedSeconds()), fmt("%.2f s", b.elapsedSeconds())},
            {"throughput", fmt("%,.0f msg/s", a.throughput()), fmt("%,.0f msg/s", b.throughput())},
            {"latency p50", fmt("%.2f ms", a.latencyMillis(50)), fmt("%.2f ms", b.latencyMillis(50))},
            {"latency p99", fmt("%.2f ms", a.latencyMillis(99)), fmt("%.2f ms", b.latencyMillis(99))},
            {"threads used", ourThreads(a.threads(), deviceThreads), fmt("%d", b.threads().size())},
            {"peak jobs in flight", fmt("%d", a.peakInFlight()), fmt("%d", b.peakInFlight())},
        };
        int width = 26;
        for (String[] r : rows) {
            width = Math.max(width, r[1].length() + 3);
        }
        for (String[] r : rows) {
            out.println(fmt("  %-22s %-" + width + "s %s", r[0], r[1], r[2]).stripTrailing());
        }
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
