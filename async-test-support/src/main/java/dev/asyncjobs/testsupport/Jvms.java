package dev.asyncjobs.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs a class's {@code main} in a JVM of its own, with this JVM's {@code java} and class path: for
 * checks that need JVM flags of their own (BlockHound redefines JDK classes) or a fresh JVM.
 */
public final class Jvms {
    private Jvms() {
    }

    /**
     * Runs {@code mainClass} with {@code jvmFlags} and returns what it printed. The output goes to a
     * file, not a pipe: a child that hangs is killed at the deadline, where a read of its pipe would
     * hang the test with it (and a child that fills a pipe nobody reads would hang too).
     *
     * @param jvmFlags  flags put before the class path ({@code -XX:...}, {@code --add-exports ...})
     * @param mainClass the class whose {@code main} runs, found on this JVM's class path
     * @param timeout   how long the child may run
     * @return its standard output and error, interleaved as written
     * @throws AssertionError if it exits with a status other than 0, or is still running at the
     *                        deadline (it is then killed); the message holds its output
     */
    public static String runMain(List<String> jvmFlags, Class<?> mainClass, Duration timeout) {
        Objects.requireNonNull(jvmFlags, "jvmFlags");
        Objects.requireNonNull(mainClass, "mainClass");
        Objects.requireNonNull(timeout, "timeout");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
        Path log = null;
        try {
            log = Files.createTempFile("asyncjobs-child-jvm-", ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!waitFor(p, timeout)) {
                p.destroyForcibly();
                waitFor(p, Duration.ofSeconds(10));
                throw new AssertionError("the JVM running " + mainClass.getName() + " was still running after "
                        + timeout.toMillis() + " ms and was killed; its output:\n" + read(log));
            }
            String out = read(log);
            if (p.exitValue() != 0) {
                throw new AssertionError("the JVM running " + mainClass.getName() + " exited with status "
                        + p.exitValue() + "; its output:\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temporary file left behind is not the test's failure
                }
            }
        }
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for a child JVM (killed)", e);
        }
    }

    /** Lenient about bytes that are not UTF-8: the output is for reading, and a crash may garble it. */
    private static String read(Path log) throws IOException {
        return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    }
}
