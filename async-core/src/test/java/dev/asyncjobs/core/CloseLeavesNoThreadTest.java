package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When {@link JobLoopGroup#close()} (or {@link JobLoopGroup#awaitTermination}) returns, the loop
 * threads are dead, not merely done: a thread count taken right after close (the Spring starter's
 * "no thread left after context close" check) must not see one still exiting.
 */
@Timeout(120)
class CloseLeavesNoThreadTest {

    private static java.util.List<String> liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith(prefix)).toList();
    }

    @Test
    void noLoopThreadIsAliveWhenCloseReturns() {
        for (int round = 0; round < 300; round++) {
            String name = CoreTestSupport.uniqueName("close-join");
            JobLoopGroup group = JobLoopGroup.builder().threads(2).name(name).build();
            CoreTestSupport.flush(group.loop(0));
            CoreTestSupport.flush(group.loop(1));
            group.close();
            assertThat(liveThreads(name)).as("round %d", round).isEmpty();
        }
    }

    @Test
    void noLoopThreadIsAliveWhenAwaitTerminationSaysSo() {
        for (int round = 0; round < 300; round++) {
            String name = CoreTestSupport.uniqueName("await-join");
            JobLoopGroup group = JobLoopGroup.builder().threads(2).name(name).build();
            group.loop(0).execute(group::close); // from a loop: close does not wait
            assertThat(group.awaitTermination(Duration.ofSeconds(30))).isTrue();
            assertThat(liveThreads(name)).as("round %d", round).isEmpty();
        }
    }
}
