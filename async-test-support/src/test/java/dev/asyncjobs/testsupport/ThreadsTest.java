package dev.asyncjobs.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ThreadsTest {

    @Test
    void aThreadStartedSinceIsSeenUntilItEnds() throws Exception {
        Set<Thread> before = Threads.live();
        CountDownLatch release = new CountDownLatch(1);
        Thread t = new Thread(() -> Await.latch(release, Duration.ofSeconds(20), "release"), "threads-test-worker");
        t.start();
        try {
            assertThat(Threads.startedSince(before, Threads.NONE)).contains(t);
            assertThat(Threads.startedSince(before, x -> x == t)).doesNotContain(t);
            assertThat(Threads.named("threads-test-")).containsExactly(t);
            assertThatThrownBy(() -> Threads.awaitNoneStartedSince("the worker", before, Threads.NONE,
                    Duration.ofMillis(50)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("threads-test-worker");
            assertThatThrownBy(() -> Threads.awaitNoneNamed("threads-test-", Duration.ofMillis(50)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("threads-test-worker");
        } finally {
            release.countDown();
        }
        Threads.awaitNoneStartedSince("the worker", before, Threads.JVM_OWN, Duration.ofSeconds(20));
        Threads.awaitNoneNamed("threads-test-", Duration.ofSeconds(20));
        t.join();
        assertThat(Threads.live()).doesNotContain(t);
    }

    @Test
    void jvmOwnExcusesTheCommonPoolNotATestThread() {
        assertThat(Threads.JVM_OWN.test(new Thread("ForkJoinPool.commonPool-worker-3"))).isTrue();
        assertThat(Threads.JVM_OWN.test(new Thread("C2 CompilerThread0"))).isTrue();
        assertThat(Threads.JVM_OWN.test(new Thread("asyncjobs-loop-0"))).isFalse();
        assertThat(Threads.NONE.test(new Thread("ForkJoinPool.commonPool-worker-3"))).isFalse();
    }
}
