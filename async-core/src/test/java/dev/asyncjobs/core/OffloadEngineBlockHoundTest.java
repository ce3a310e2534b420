package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Jvms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A job never blocks its loop inside {@link OffloadEngine#call}: BlockHound (in a JVM of its own,
 * since it needs {@code -XX:+AllowRedefinitionToAddDeleteMethods}) finds no blocking call on the
 * job-loop threads while jobs queue, wait for room, get cancelled and see the engine close.
 */
class OffloadEngineBlockHoundTest {
    @Test
    void nothingBlockingRunsOnTheJobLoops() {
        List<String> flags = new ArrayList<>(List.of("-XX:+AllowRedefinitionToAddDeleteMethods",
                "-XX:+EnableDynamicAgentLoading", "-Xshare:off"));
        if (AsyncJob.backend().equals("continuation")) {
            flags.addAll(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"));
        }
        String out = Jvms.runMain(flags, OffloadEngineBlockHoundCheck.class, Duration.ofSeconds(120));
        assertThat(out).contains("OK " + AsyncJob.backend()).contains("control caught");
    }
}
