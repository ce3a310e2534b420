package dev.asyncjobs.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.testsupport.Jvms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Jobs on Netty's event loops never block them: BlockHound (in a JVM of its own, since it needs
 * {@code -XX:+AllowRedefinitionToAddDeleteMethods}) finds no blocking call on the event loops while
 * jobs start inline, pause on device calls, futures and fds, and get cancelled; a control job that
 * parks on an event loop is caught.
 */
@Timeout(180)
class EventLoopBlockHoundTest {
    @Test
    void nothingBlockingRunsOnTheEventLoops() {
        List<String> flags = new ArrayList<>(List.of("-XX:+AllowRedefinitionToAddDeleteMethods",
                "-XX:+EnableDynamicAgentLoading", "-Xshare:off"));
        if (AsyncJob.backend().equals("continuation")) {
            flags.addAll(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"));
        }
        String out = Jvms.runMain(flags, EventLoopBlockHoundCheck.class, Duration.ofSeconds(120));
        assertThat(out).contains("OK " + AsyncJob.backend()).contains("control caught");
    }
}
