package dev.asyncjobs.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import org.junit.jupiter.api.Test;

/** Each surefire execution names the fibre backend it means to test; a silent fallback fails. */
class BackendTest {
    @Test
    void runsOnTheExpectedBackend() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        assertThat(expected).as("-Dasyncjobs.expectBackend must be set by the surefire execution").isNotNull();
        assertThat(AsyncJob.backend()).as(AsyncJob.continuationUnavailabilityCause()).isEqualTo(expected);
    }
}
