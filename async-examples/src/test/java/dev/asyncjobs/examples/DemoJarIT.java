package dev.asyncjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;

/**
 * The README's main command, run for real: {@code java -jar async-examples/target/asyncjobs-demo.jar}
 * in a JVM of its own with no flag, after {@code mvn package} built the jar.
 */
class DemoJarIT {
    private static final Path JAR = Path.of(System.getProperty("demo.jar", "target/asyncjobs-demo.jar"));

    record Run(int status, String output) {
    }

    private static Run java(String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the demo ended").isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void runsWithNoOtherSetupOnTheContinuationBackend() throws Exception {
        assertThat(Files.isRegularFile(JAR)).as(JAR + " was built").isTrue();
        Run r = java("--messages", "1000");
        assertThat(r.status()).as(r.output()).isZero();
        // the manifest's Add-Exports turned the continuation backend on: no flag was typed
        assertThat(r.output()).startsWith("asyncjobs demo: backend continuation, JDK ");
        List<String> lines = r.output().lines().toList();
        assertThat(java.util.Collections.indexOfSubList(lines, ManPageExampleTest.DOCUMENTED)).isPositive();
        assertThat(lines).anyMatch(l -> l.startsWith("  throughput ")).anyMatch(l -> l.startsWith("  latency p99 "))
                .anyMatch(l -> l.startsWith("  threads used ")).anyMatch(l -> l.startsWith("  peak jobs in flight "))
                .contains("verified 1000/1000");
        // ACCP's native library loaded from the shaded jar, and the routing used it
        assertThat(lines).anyMatch(l -> l.startsWith("  provider ") && l.contains("AmazonCorrettoCryptoProvider")
                && l.endsWith("SunEC"));
        // stdout is a pipe, not a terminal: plain progress lines
        assertThat(r.output()).doesNotContain("\r");
        // nothing on stderr either (merged): no warning about restricted or internal access
        assertThat(r.output()).doesNotContain("WARNING");
    }

    @Test
    void exitsNonZeroWhenASignatureDoesNotVerify() throws Exception {
        Run r = java("--messages", "200", "--tamper", "2");
        assertThat(r.status()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("verified 198/200");
        Run bad = java("--messages", "lots");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.output()).contains("usage: java -jar asyncjobs-demo.jar");
    }

    @Test
    void theJarHoldsTheDemoAndNotSpring() throws IOException {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            Manifest m = jar.getManifest();
            assertThat(m.getMainAttributes().getValue("Main-Class")).isEqualTo(Demo.class.getName());
            assertThat(m.getMainAttributes().getValue("Add-Exports")).isEqualTo("java.base/jdk.internal.vm");
            assertThat(jar.getEntry("dev/asyncjobs/engine/OffloadEngine.class")).isNotNull();
            assertThat(jar.getEntry("dev/asyncjobs/reactor/AsyncFlux.class")).isNotNull();
            assertThat(jar.getEntry("reactor/core/publisher/Flux.class")).isNotNull();
            assertThat(jar.getEntry("com/amazon/corretto/crypto/provider/AmazonCorrettoCryptoProvider.class")).isNotNull();
            assertThat(m.getMainAttributes().getValue("Enable-Native-Access")).isEqualTo("ALL-UNNAMED");
            assertThat(jar.stream().map(e -> e.getName()))
                    .noneMatch(n -> n.startsWith("org/springframework/") || n.startsWith("io/netty/")
                            || n.startsWith("dev/asyncjobs/examples/webflux/"));
        }
    }
}
