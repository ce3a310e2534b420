package dev.asyncjobs.stress;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the jcstress suite for one fibre backend and turns its verdict into an exit status.
 *
 * <p>Usage: {@code StressMain <continuation|virtual-thread> [jcstress options]}. The backend's JVM
 * flags are prepended to every forked JVM (jcstress runs each test in forks), and each fork checks it
 * got the backend it was asked for ({@link Probe#checkBackend()}). jcstress 0.16 always exits 0, even
 * when a test failed, so this wrapper reads its closing summary ({@code Failed tests:} / {@code Error
 * tests:}) and exits 1 unless both say {@code No matches.} and at least one test ran.
 */
public final class StressMain {
    private StressMain() {
    }

    /**
     * Entry point.
     *
     * @param args the backend, then jcstress options
     * @throws Exception if jcstress cannot run
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !(args[0].equals("continuation") || args[0].equals("virtual-thread"))) {
            System.err.println("usage: StressMain <continuation|virtual-thread> [jcstress options]");
            System.exit(2);
        }
        String backend = args[0];
        String jvmArgs = "--enable-native-access=ALL-UNNAMED -Dasyncjobs.expectBackend=" + backend
                + (backend.equals("continuation") ? " --add-exports java.base/jdk.internal.vm=ALL-UNNAMED" : "");
        List<String> jcs = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        jcs.add("-jvmArgsPrepend");
        jcs.add(jvmArgs);

        PrintStream console = System.out;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new TeeStream(console, copy), true, StandardCharsets.UTF_8);
        System.setOut(tee);
        Throwable thrown = null;
        try {
            console.println("asyncjobs jcstress, backend " + backend + ": " + String.join(" ", jcs));
            org.openjdk.jcstress.Main.main(jcs.toArray(new String[0]));
        } catch (Throwable t) {
            thrown = t; // jcstress throws an AssertionError listing the failed tests
        } finally {
            tee.flush();
            System.setOut(console);
        }
        String out = copy.toString(StandardCharsets.UTF_8);
        String failed = summary(out, "Failed tests");
        String errors = summary(out, "Error tests");
        String passed = summary(out, "All remaining tests");
        boolean ok = thrown == null && "No matches.".equals(failed) && "No matches.".equals(errors)
                && passed != null && !passed.equals("No matches.");
        console.println("asyncjobs jcstress, backend " + backend + ": " + (ok ? "PASSED" : "FAILED")
                + (thrown != null ? " [jcstress threw " + thrown.getClass().getSimpleName() + "]" : "")
                + " (failed: " + failed + "; errors: " + errors + "; passed: " + passed + ")");
        System.exit(ok ? 0 : 1);
    }

    private static String summary(String out, String label) {
        String found = null;
        for (String line : out.split("\\R")) {
            String t = line.strip();
            if (t.startsWith(label + ":")) {
                found = t.substring(label.length() + 1).strip();
            }
        }
        return found;
    }

    /** Writes to both streams. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
