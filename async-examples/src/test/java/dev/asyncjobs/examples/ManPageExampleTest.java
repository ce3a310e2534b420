package dev.asyncjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.asyncjobs.testsupport.Fds;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The man page's EXAMPLES program: the Java port prints the documented lines, as the C original does. */
class ManPageExampleTest {

    /** The "expected output" block of ASYNC_start_job(3). */
    static final List<String> DOCUMENTED = List.of(
            "Starting...",
            "Executing within a job",
            "Passed in message is: Hello world!",
            "Job was paused",
            "Waiting for the job to be woken up",
            "Resumed the job after a pause",
            "Job finished with return value 1",
            "Finishing");

    private static final Path ASYNC_HEADER = Path.of("/usr/include/openssl/async.h");

    private static List<String> runJava() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ManPageExample.run(out);
        }
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void printsTheDocumentedLines() {
        assertThat(runJava()).containsExactlyElementsOf(DOCUMENTED);
    }

    @Test
    void runsAgainOnTheSameThread() {
        // the job went back to this thread's pool and its wait fd was cleaned up: a second run is identical
        assertThat(runJava()).containsExactlyElementsOf(DOCUMENTED);
        assertThat(runJava()).containsExactlyElementsOf(DOCUMENTED);
    }

    @Test
    void cleanupClosesThePipe() throws IOException {
        Path fdDir = Path.of("/proc/self/fd");
        Assumptions.assumeTrue(Files.isDirectory(fdDir), "no /proc/self/fd: open fds cannot be counted here");
        runJava(); // warm up: class loading may open jars
        int before = Fds.count();
        int runs = 20;
        for (int i = 0; i < runs; i++) {
            assertThat(runJava()).containsExactlyElementsOf(DOCUMENTED);
        }
        // a cleanup that did not run (or closed one end only) leaks one or two fds per run
        assertThat(Fds.count()).as("open fds after %d runs (before: %d)", runs, before)
                .isLessThan(before + runs / 2);
    }

    @Test
    void matchesTheCOriginal() throws Exception {
        Path gcc = findOnPath("gcc");
        String missing = gcc == null ? "gcc not found on PATH"
                : !Files.isRegularFile(ASYNC_HEADER) ? ASYNC_HEADER + " missing (install libssl-dev)" : null;
        if (missing != null && "true".equalsIgnoreCase(System.getenv("CI"))) {
            // CI must compare against the C original: a skip there would pass without comparing
            fail("CI=true and " + missing + ": the man-page example must be compared with its C original in CI"
                    + " (.ci/run installs gcc and libssl-dev when they are missing)");
        }
        Assumptions.assumeTrue(missing == null, missing + ": C original not run");
        Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Path source = basedir.resolve("src/test/c/manpage_example.c");
        assertThat(source).as("C original").isRegularFile();
        Path target = basedir.resolve("target");
        Files.createDirectories(target);
        Path dir = Files.createTempDirectory(target, "manpage-example-");
        try {
            Path binary = dir.resolve("manpage_example");
            String gccOutput = run(dir, gcc.toString(), "-O1", "-o", binary.toString(), source.toString(), "-lcrypto");
            assertThat(binary).as("gcc output:%n%s", gccOutput).isExecutable();

            List<String> cLines = run(dir, binary.toString()).lines().toList();

            assertThat(cLines).as("the C original's output").containsExactlyElementsOf(DOCUMENTED);
            assertThat(runJava()).as("the Java port's output").containsExactlyElementsOf(cLines);
        } finally {
            deleteRecursively(dir);
        }
    }

    /** Runs a command to completion (bounded), fails unless it exits 0, returns stdout+stderr. */
    private static String run(Path dir, String... command) throws Exception {
        Path log = dir.resolve("output.log");
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            fail("%s did not finish within 120 s", command[0]);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        assertThat(process.exitValue()).as("exit status of %s; output:%n%s", String.join(" ", command), output)
                .isZero();
        return output;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path findOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
