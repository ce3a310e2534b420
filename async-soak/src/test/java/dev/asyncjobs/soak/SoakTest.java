package dev.asyncjobs.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * CI's soak: {@link Soak} for {@code soak.seconds} (60 unless set) on each fibre backend, the two
 * forked JVMs running at once (so the wall time stays near one soak, and the two loads contend for
 * the two cores, which only makes the soak harder). Each must exit 0 and print exactly one result
 * line with nothing lost or leaked. A fork is the only honest way to count fds, threads and heap:
 * this JVM has surefire's own.
 */
class SoakTest {
    private static final Pattern LINE = Pattern.compile(
            "soak: jobs=(\\d+) completed=(\\d+) cancelled=(\\d+) failed=(\\d+) lost=(\\d+) leaked_fds=(\\d+)"
                    + " leaked_threads=(\\d+)");

    @Test
    void bothBackendsSoakWithoutLosingOrLeakingAnything() throws Exception {
        int seconds = Integer.getInteger("soak.seconds", 60);
        Path dir = Path.of(System.getProperty("soak.dir", "target/soak"));
        Files.createDirectories(dir);
        Fork continuation = Fork.start("continuation", seconds, dir);
        Fork virtualThread = Fork.start("virtual-thread", seconds, dir);
        continuation.check(seconds);
        virtualThread.check(seconds);
    }

    /** One soak JVM. */
    private record Fork(String backend, Process process, Path out, Path err) {
        static Fork start(String backend, int seconds, Path dir) throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            if (backend.equals("continuation")) {
                cmd.addAll(Arrays.asList(System.getProperty("soak.flag",
                        "--add-exports java.base/jdk.internal.vm=ALL-UNNAMED").trim().split("\\s+")));
            }
            cmd.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"), Soak.class.getName(),
                    "--seconds", Integer.toString(seconds)));
            Path out = dir.resolve("soak-" + backend + ".out");
            Path err = dir.resolve("soak-" + backend + ".err");
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            return new Fork(backend, p, out, err);
        }

        void check(int seconds) throws Exception {
            // the soak, its warm-up, a drain of at most 30 s, the close and the leak settle
            if (!process.waitFor(seconds + 180L, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(backend + " soak did not end within " + (seconds + 180) + " s; stderr: "
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            System.out.println("[" + backend + "] " + stdout.strip());
            System.out.println("[" + backend + "] " + stderr.strip().replace("\n", "\n[" + backend + "] "));
            assertThat(stderr).as("the fork ran the %s backend", backend).contains("backend=" + backend);
            List<String> lines = stdout.lines().toList();
            assertThat(lines).as("%s: exactly one line on stdout", backend).hasSize(1);
            Matcher m = LINE.matcher(lines.get(0));
            assertThat(m.matches()).as("%s: result line %s", backend, lines.get(0)).isTrue();
            long jobs = Long.parseLong(m.group(1));
            long completed = Long.parseLong(m.group(2));
            long cancelled = Long.parseLong(m.group(3));
            long failed = Long.parseLong(m.group(4));
            assertThat(m.group(5)).as("%s: lost", backend).isEqualTo("0");
            assertThat(m.group(6)).as("%s: leaked fds", backend).isEqualTo("0");
            assertThat(m.group(7)).as("%s: leaked threads", backend).isEqualTo("0");
            assertThat(completed + cancelled + failed).as("%s: every job has one outcome", backend).isEqualTo(jobs);
            assertThat(completed).as("%s: the workload ran", backend).isPositive();
            assertThat(cancelled).as("%s: ~10%% cancelled", backend).isPositive();
            assertThat(failed).as("%s: ~5%% failed", backend).isPositive();
            // the fault units ran (each ~2% of units), and every one ended as its fault allows
            for (String route : List.of("not_readable", "inline_wake", "rx_shutdown")) {
                assertThat(count(stderr, route)).as("%s: %s units", backend, route).isPositive();
            }
            assertThat(count(stderr, "rx_shutdowns")).as("%s: RxJava executors shut down under jobs", backend)
                    .isPositive();
            assertThat(count(stderr, "not_readable_refused")).as("%s: non-readable fds refused", backend).isPositive();
            assertThat(count(stderr, "inline_wakes")).as("%s: wakes from inside a job", backend).isPositive();
            assertThat(count(stderr, "slow_engine_calls")).as("%s: slow engine calls", backend).isPositive();
            assertThat(count(stderr, "wrong_outcomes")).as("%s: wrong outcomes", backend).isZero();
            assertThat(process.exitValue()).as("%s: exit status (stderr: %s)", backend, stderr).isZero();
        }

        /** A {@code name=N} figure of the soak's details. */
        private static long count(String stderr, String name) {
            Matcher m = Pattern.compile("\\b" + name + "=(\\d+)").matcher(stderr);
            assertThat(m.find()).as("%s in the soak's details", name).isTrue();
            return Long.parseLong(m.group(1));
        }
    }
}
