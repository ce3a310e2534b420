package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import org.junit.jupiter.api.Test;

/** The build runs this suite once per fibre backend; a silent fallback must fail it. */
class BackendTest {
    @Test
    void runsOnTheBackendThisExecutionAskedFor() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        if (expected == null) {
            assertThat(AsyncJob.backend()).isIn("continuation", "virtual-thread"); // run from an IDE
        } else {
            assertThat(AsyncJob.backend()).isEqualTo(expected);
        }
        assertThat(AsyncJob.isCapable()).isTrue();
    }
}
