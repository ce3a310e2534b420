package dev.asyncjobs.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FdsTest {

    @BeforeEach
    void warmUp() {
        // the first close of a channel makes the JDK's pre-close socket, kept for good
        Fds.warmUpNio();
    }

    @Test
    void countSeesAPipeOpenAndClose() {
        int before = Fds.count();
        Pipe p = Pipes.open();
        assertThat(Fds.count()).isEqualTo(before + 2);
        assertThat(Fds.targets()).anyMatch(t -> t.contains("pipe:"));
        Pipes.close(p);
        assertThat(Fds.count()).isEqualTo(before);
    }

    @Test
    void awaitAtMostFailsListingTheOpenFds() {
        int before = Fds.count();
        Pipe p = Pipes.open();
        try {
            assertThatThrownBy(() -> Fds.awaitAtMost("a leaked pipe", before, Duration.ofMillis(50)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("a leaked pipe")
                    .hasMessageContaining("now " + (before + 2))
                    .hasMessageContaining("pipe:");
        } finally {
            Pipes.close(p);
        }
    }

    @Test
    void awaitAtMostWaitsForALateClose() throws Exception {
        int before = Fds.count();
        Pipe p = Pipes.open();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> Pipes.close(p),
                CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS));
        Fds.awaitAtMost("the pipe closed by another thread", before, Duration.ofSeconds(20));
        closed.get(20, TimeUnit.SECONDS);
        assertThat(Fds.count()).isLessThanOrEqualTo(before);
    }
}
