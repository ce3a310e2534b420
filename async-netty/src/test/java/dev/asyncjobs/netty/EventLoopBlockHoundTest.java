package dev.asyncjobs.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Jobs on Netty's event loops never block them: BlockHound (in a JVM of its own, since it needs
 * {@code -XX:+AllowRedefinitionToAddDeleteMethods}) finds no blocking call on the event loops while
 * jobs start inline, pause on device calls, futures and fds, and get cancelled; a control job that
 * parks on an event loop is caught.
 */
@org.junit.jupiter.api.Timeout(180)
class EventLoopBlockHoundTest {
    @Test
    void nothingBlockingRunsOnTheEventLoops() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+AllowRedefinitionToAddDeleteMethods",
                "-XX:+EnableDynamicAgentLoading", "-Xshare:off"));
        if (AsyncJob.backend().equals("continuation")) {
            cmd.addAll(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EventLoopBlockHoundCheck.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try (var in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text).contains("OK " + AsyncJob.backend()).contains("control caught");
    }
}
