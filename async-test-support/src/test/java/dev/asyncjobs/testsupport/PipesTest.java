package dev.asyncjobs.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class PipesTest {

    @Test
    void bothEndsAreNonBlockingAndClosedTogether() throws Exception {
        Pipe p = Pipes.open();
        assertThat(p.source().isBlocking()).isFalse();
        assertThat(p.sink().isBlocking()).isFalse();
        assertThat(p.source().read(ByteBuffer.allocate(1))).as("an empty non-blocking read").isZero();
        Pipes.close(p);
        assertThat(p.source().isOpen()).isFalse();
        assertThat(p.sink().isOpen()).isFalse();
        Pipes.closeQuietly(p.source()); // twice is fine
    }
}
