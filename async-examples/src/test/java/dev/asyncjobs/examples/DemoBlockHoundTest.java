package dev.asyncjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The demo pipeline under BlockHound: nothing blocks a job loop (or a job's thread). */
class DemoBlockHoundTest {

    @BeforeAll
    static void install() {
        BlockHoundSupport.install();
    }

    @Test
    void theDemoNeverBlocksAJobLoop() {
        assertThat(AsyncJob.backend()).isEqualTo(System.getProperty("asyncjobs.expectBackend", AsyncJob.backend()));
        BlockHoundSupport.drain();
        DemoTest.Output o = DemoTest.run("--messages", "2000");
        assertThat(BlockHoundSupport.drain()).as("blocking calls reported").isEmpty();
        assertThat(o.status()).as(o.text()).isZero();
        assertThat(o.lines()).contains("verified 2000/2000");
    }
}
