package dev.asyncjobs.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Issue 14's crypto targets, measured the way a noisy shared machine allows: the ways of
 * {@link CryptoThroughput} (same engine, same {@value CryptoThroughput#DEVICE_THREADS} device or
 * plain threads, same batches, same checks) run <em>interleaved</em>, round by round in a rotated
 * order, each for at least {@code -DbudgetMs} per round; the ratio to each baseline is taken
 * within a round (so load drifts that hit a round hit both sides of its ratio), and the median and
 * the spread of the rounds are reported, with the load average before and after.
 *
 * <p>Next to the wall-clock rate, each round records the process's CPU time per request (all
 * threads: loops, device threads, plain threads, JIT and GC alike). On a machine shared with
 * other work, wall-clock rates mostly measure the scheduler (a way with 4 threads gets a larger
 * share of an oversubscribed CPU than a way with 2), while CPU per request stays put; for work that
 * keeps every thread busy, requests per CPU-second is the throughput the same cores would give
 * when idle. Both are printed; the CPU ratios are the ones to read when the load average is above
 * the core count.
 *
 * <p>{@code reactorPlainJca} runs too: the same Reactor pipeline with the plain JCA on the same
 * number of threads and no job, so the table tells what the in-order pipeline costs apart from
 * what the jobs add.
 *
 * <p>Run it with a fixed, pre-touched heap: a heap that grows during the run puts the AES rows
 * (16 KiB of new ciphertext per request) on pages the kernel has to fault in and zero, 2 to 4
 * faults per request, which made 10,000-request AES bursts 5 to 20 times slower in the rounds
 * where it happened (RESULTS.md).
 *
 * <pre>
 * java -Xms2g -Xmx2g -XX:+AlwaysPreTouch --add-exports=java.base/jdk.internal.vm=ALL-UNNAMED --enable-native-access=ALL-UNNAMED \
 *     -Drounds=5 -DbudgetMs=1000 -cp target/benchmarks.jar dev.asyncjobs.benchmarks.CryptoTargets
 * </pre>
 */
public final class CryptoTargets {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    private static final String[] WAYS = {"engineMapJobs", "engineMapJobsNoInline", "plainDirect", "plainJca",
        "reactorPlainJca"};

    private CryptoTargets() {
    }

    /**
     * Runs every op's rounds and prints the table.
     *
     * @param args the ops to run (default: all three)
     * @throws Exception on any failure, including a wrong result
     */
    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("rounds", 5);
        long budget = Long.getLong("budgetMs", 1000) * 1_000_000L;
        String[] ops = args.length > 0 ? args : new String[] {CryptoWork.ECDSA, CryptoWork.ED25519, CryptoWork.AES};
        System.out.println("# load before: " + load());
        List<String> rows = new ArrayList<>();
        for (String op : ops) {
            CryptoThroughput b = new CryptoThroughput();
            b.op = op;
            b.setUp();
            try {
                for (String w : WAYS) {
                    rate(b, w, budget); // warm-up, every way
                }
                double[][] r = new double[WAYS.length][rounds];
                double[][] c = new double[WAYS.length][rounds];
                for (int round = 0; round < rounds; round++) {
                    for (int k = 0; k < WAYS.length; k++) {
                        int w = (k + round) % WAYS.length;
                        double[] rc = rate(b, WAYS[w], budget);
                        r[w][round] = rc[0];
                        c[w][round] = rc[1];
                    }
                }
                for (int w = 0; w < WAYS.length; w++) {
                    rows.add(String.format(Locale.ROOT, "| %s | %s | %,.0f ops/s | %,.0f-%,.0f |", op, WAYS[w],
                            median(r[w]), min(r[w]), max(r[w])));
                }
                double[] vsJdk = ratios(r[0], r[3]);
                double[] vsDirect = ratios(r[0], r[2]);
                double[] inline = ratios(r[0], r[1]);
                rows.add(String.format(Locale.ROOT, "| %s | **engine / plainJca (JDK)** | **%.2fx** | %.2f-%.2fx |", op,
                        median(vsJdk), min(vsJdk), max(vsJdk)));
                rows.add(String.format(Locale.ROOT, "| %s | **engine / plainDirect (same provider)** | **%.2fx** | %.2f-%.2fx |",
                        op, median(vsDirect), min(vsDirect), max(vsDirect)));
                rows.add(String.format(Locale.ROOT, "| %s | engine / engine without inline | %.2fx | %.2f-%.2fx |", op,
                        median(inline), min(inline), max(inline)));
                double[] vsPipeline = ratios(r[0], r[4]);
                rows.add(String.format(Locale.ROOT, "| %s | engine / reactorPlainJca (same pipeline, no job) | %.2fx | %.2f-%.2fx |",
                        op, median(vsPipeline), min(vsPipeline), max(vsPipeline)));
                for (int w = 0; w < WAYS.length; w++) {
                    rows.add(String.format(Locale.ROOT, "| %s | %s, requests per CPU-second | %,.0f | %,.0f-%,.0f |", op,
                            WAYS[w], median(c[w]), min(c[w]), max(c[w])));
                }
                double[] cJdk = ratios(c[0], c[3]);
                double[] cDirect = ratios(c[0], c[2]);
                double[] cInline = ratios(c[0], c[1]);
                rows.add(String.format(Locale.ROOT, "| %s | **CPU: engine / plainJca (JDK)** | **%.2fx** | %.2f-%.2fx |", op,
                        median(cJdk), min(cJdk), max(cJdk)));
                rows.add(String.format(Locale.ROOT, "| %s | **CPU: engine / plainDirect (same provider)** | **%.2fx** | %.2f-%.2fx |",
                        op, median(cDirect), min(cDirect), max(cDirect)));
                rows.add(String.format(Locale.ROOT, "| %s | CPU: engine / engine without inline | %.2fx | %.2f-%.2fx |", op,
                        median(cInline), min(cInline), max(cInline)));
                double[] cPipeline = ratios(c[0], c[4]);
                rows.add(String.format(Locale.ROOT, "| %s | CPU: engine / reactorPlainJca (same pipeline, no job) | %.2fx | %.2f-%.2fx |",
                        op, median(cPipeline), min(cPipeline), max(cPipeline)));
            } finally {
                b.tearDown();
            }
        }
        System.out.println("| op | way or ratio | median of " + rounds + " rounds | min-max |");
        System.out.println("|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println("# load after: " + load());
    }

    /** Batches of one way for at least {@code budget} ns; requests per second and per CPU-second. */
    private static double[] rate(CryptoThroughput b, String way, long budget) throws Exception {
        long n = 0;
        long cpu0 = OS.getProcessCpuTime();
        long t0 = System.nanoTime();
        long t;
        do {
            n += switch (way) {
                case "engineMapJobs" -> b.engineMapJobs();
                case "engineMapJobsNoInline" -> b.engineMapJobsNoInline();
                case "plainDirect" -> b.plainDirect();
                case "plainJca" -> b.plainJca();
                case "reactorPlainJca" -> b.reactorPlainJca();
                default -> throw new IllegalArgumentException(way);
            };
            t = System.nanoTime();
        } while (t - t0 < budget);
        long cpu = OS.getProcessCpuTime() - cpu0;
        return new double[] {n * 1e9 / (t - t0), cpu <= 0 ? 0 : n * 1e9 / cpu};
    }

    private static double[] ratios(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / b[i];
        }
        return r;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
