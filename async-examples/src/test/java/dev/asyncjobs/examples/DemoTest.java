package dev.asyncjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.testsupport.Threads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The demo, run in-process as {@code java -jar asyncjobs-demo.jar --messages N} would run it. */
class DemoTest {
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    record Output(int status, String text) {
        List<String> lines() {
            return text.lines().toList();
        }

        /** The table row starting with {@code label}: its three value columns. */
        String[] row(String label) {
            for (String l : lines()) {
                if (l.startsWith("  " + label + " ")) {
                    String rest = l.substring(2 + label.length()).strip();
                    // the columns are 26 wide; values have single spaces inside
                    String[] cols = rest.split(" {2,}");
                    assertThat(cols).as("row %s: %s", label, l).hasSize(3);
                    return cols;
                }
            }
            throw new AssertionError("no table row '" + label + "' in:\n" + text);
        }
    }

    static Output run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            status = Demo.run(args, out, false);
        }
        return new Output(status, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void signsVerifiesAndReports() {
        Output o = run("--messages", "2000");
        assertThat(o.status()).as(o.text()).isZero();
        List<String> lines = o.lines();

        assertThat(lines.get(0)).startsWith("asyncjobs demo: backend " + AsyncJob.backend() + ", JDK ")
                .endsWith(CORES + " cores");
        // the man page's eight lines, in order and together
        assertThat(Collections.indexOfSubList(lines, ManPageExampleTest.DOCUMENTED)).as(o.text()).isPositive();

        assertThat(o.text()).contains("2. Signing 2,000 messages with ECDSA P-256, at most 256 in flight");
        // not a terminal: plain progress lines, no carriage returns, each phase ends at 100%
        assertThat(o.text()).doesNotContain("\r");
        assertThat(lines).anyMatch(l -> l.matches(" {2}signing +100% {2}6,000/6,000 {2}[0-9,]+/s"));
        assertThat(lines).anyMatch(l -> l.matches(" {2}verify +100% {2}2,000/2,000 {2}[0-9,]+/s"));
        for (String phase : List.of("signing", "verify")) {
            assertThat(lines.stream().filter(l -> l.startsWith("  " + phase + " ") && l.contains("%")).count())
                    .as("progress lines of %s", phase).isBetween(1L, 10L);
        }

        // which provider each way used: ours and the naive one the same, "today" the JDK's
        assertThat(o.text()).containsPattern("  providers: AmazonCorrettoCryptoProvider 2\\.5[.0-9]* registered");
        assertThat(o.row("provider")).containsExactly("AmazonCorrettoCryptoProvider", "AmazonCorrettoCryptoProvider",
                "SunEC");
        assertThat(lines).contains("    sign   (asyncjobs, naive) AmazonCorrettoCryptoProvider",
                "    sign   (today)            SunEC", "    verify (asyncjobs)        AmazonCorrettoCryptoProvider");
        // plain JCA in this JVM still gets the JDK's: ACCP was added last
        try {
            assertThat(java.security.Signature.getInstance("SHA256withECDSA").getProvider().getName()).isEqualTo("SunEC");
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }

        assertThat(o.row("messages")).containsExactly("2,000", "2,000", "2,000");
        for (String col : o.row("throughput")) {
            assertThat(number(col, "([0-9,]+) msg/s")).isPositive();
        }
        String[] tput = o.row("throughput");
        String[] spread = o.row("rounds min-max");
        for (int i = 0; i < 3; i++) {
            Matcher mm = Pattern.compile("([0-9,]+)-([0-9,]+)").matcher(spread[i]);
            assertThat(mm.matches()).as(spread[i]).isTrue();
            double lo = Double.parseDouble(mm.group(1).replace(",", ""));
            double hi = Double.parseDouble(mm.group(2).replace(",", ""));
            double median = number(tput[i], "([0-9,]+) msg/s");
            // the median of the rounds lies within them (rounded to whole messages per second)
            assertThat(median).isBetween(lo - 1, hi + 1);
        }
        assertThat(o.row("vs today")[2]).isEqualTo("1.0x");
        assertThat(o.text()).contains("(throughput: the median of 3 rounds; the ways alternate within each round)");
        String[] p50 = o.row("latency p50");
        String[] p99 = o.row("latency p99");
        for (int i = 0; i < 3; i++) {
            double a = number(p50[i], "([0-9.]+) ms");
            double b = number(p99[i], "([0-9.]+) ms");
            assertThat(a).isPositive().isLessThanOrEqualTo(b);
        }
        String[] threads = o.row("threads used");
        Matcher m = Pattern.compile("(\\d+) \\((\\d+) loops \\+ (\\d+) device\\)( \\+ \\d+ virtual)?").matcher(threads[0]);
        assertThat(m.matches()).as(threads[0]).isTrue();
        int loops = Integer.parseInt(m.group(2));
        assertThat(Integer.parseInt(m.group(3))).isEqualTo(CORES);
        assertThat(loops).isBetween(1, CORES); // the shared job loops, one per core
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(loops + CORES);
        // boundedElastic caps its threads at ten per core
        assertThat(Integer.parseInt(threads[1])).isBetween(1, 10 * CORES);
        assertThat(Integer.parseInt(threads[2])).isBetween(1, 10 * CORES);
        String[] peak = o.row("peak jobs in flight");
        for (int i = 0; i < 3; i++) {
            assertThat(Integer.parseInt(peak[i])).isBetween(1, Demo.DEFAULT_IN_FLIGHT);
        }

        assertThat(o.text()).contains("3. Verifying 2,000 signatures");
        assertThat(lines).contains("verified 2000/2000");
        assertThat(o.text()).doesNotContain("FAILED");

        // the engine's device threads and the progress threads are gone
        assertThat(Threads.named(Demo.DEVICE_NAME)).isEmpty();
        assertThat(Threads.named("demo-progress")).isEmpty();
    }

    @Test
    void aTamperedSignatureFailsTheRun() {
        Output o = run("--messages", "300", "--tamper", "3", "--in-flight", "32");
        assertThat(o.status()).as(o.text()).isEqualTo(1);
        assertThat(o.lines()).contains("verified 297/300");
        assertThat(o.text()).contains("FAILED: 3 signatures did not verify");
        assertThat(o.row("peak jobs in flight")[0]).satisfies(v -> assertThat(Integer.parseInt(v)).isBetween(1, 32));
    }

    @Test
    void aBadCommandLineIsRefused() {
        for (String[] args : List.of(
                new String[] {"--messages"},
                new String[] {"--messages", "many"},
                new String[] {"--messages", "0"},
                new String[] {"--in-flight", "-1"},
                new String[] {"--messages", "3", "--tamper", "4"},
                new String[] {"--messages", "3", "--rounds", "4"},
                new String[] {"--rounds", "0"},
                new String[] {"--bogus"})) {
            Output o = run(args);
            assertThat(o.status()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(o.text()).startsWith("asyncjobs-demo: ").contains(Demo.USAGE).doesNotContain("Starting...");
        }
    }

    @Test
    void helpPrintsUsageOnly() {
        Output o = run("--help");
        assertThat(o.status()).isZero();
        assertThat(o.text().strip()).isEqualTo(Demo.USAGE.strip());
    }

    @Test
    void numbersMayHaveSeparators() {
        assertThat(Demo.parse(new String[] {"--messages", "100_000", "--in-flight", "1,024"}))
                .isEqualTo(new Demo.Options(100_000, 1024, 0, Demo.DEFAULT_ROUNDS));
        assertThat(Demo.parse(new String[] {"--rounds", "5"})).isEqualTo(new Demo.Options(Demo.DEFAULT_MESSAGES,
                Demo.DEFAULT_IN_FLIGHT, 0, 5));
        assertThat(Demo.parse(new String[0])).isEqualTo(new Demo.Options(Demo.DEFAULT_MESSAGES, Demo.DEFAULT_IN_FLIGHT, 0,
                Demo.DEFAULT_ROUNDS));
    }

    private static double number(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        assertThat(m.matches()).as("'%s' matches %s", s, regex).isTrue();
        return Double.parseDouble(m.group(1).replace(",", ""));
    }
}
