package dev.asyncjobs.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class AwaitTest {

    @Test
    void untilReturnsOnceTheConditionHolds() throws Exception {
        AtomicBoolean flag = new AtomicBoolean();
        Thread t = new Thread(() -> {
            Thread.onSpinWait();
            flag.set(true);
        });
        t.start();
        Await.until("the flag", Duration.ofSeconds(20), flag::get);
        assertThat(flag).isTrue();
        t.join();
    }

    @Test
    void untilFailsWithWhatWasAwaitedAtTheDeadline() {
        AtomicInteger polls = new AtomicInteger();
        assertThatThrownBy(() -> Await.until("never", Duration.ofMillis(30), () -> polls.incrementAndGet() < 0))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("never");
        assertThat(polls.get()).isGreaterThan(1);
        assertThatThrownBy(() -> Await.until(() -> "computed " + polls.get(), Duration.ofMillis(10), () -> false))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("timed out after 10 ms waiting for: computed ");
    }

    @Test
    void untilFailsWhenInterruptedInsteadOfSpinning() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Await.until("never", Duration.ofSeconds(20), () -> false))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("interrupted");
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept").isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void spinUntilReturnsOnceTheConditionHoldsAndFailsAtTheDeadline() throws Exception {
        AtomicBoolean flag = new AtomicBoolean();
        Thread t = new Thread(() -> flag.set(true));
        t.start();
        Await.spinUntil("the flag", Duration.ofSeconds(20), flag::get);
        t.join();
        assertThatThrownBy(() -> Await.spinUntil("never (spinning)", Duration.ofMillis(20), () -> false))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("never (spinning)");
    }

    @Test
    void latchWaitsAndTimesOut() {
        CountDownLatch open = new CountDownLatch(0);
        Await.latch(open, Duration.ofMillis(1), "open");
        assertThatThrownBy(() -> Await.latch(new CountDownLatch(1), Duration.ofMillis(10), "a latch nobody opens"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("a latch nobody opens");
    }

    @Test
    void nullsAreNamed() {
        assertThatThrownBy(() -> Await.until((String) null, Duration.ZERO, () -> true))
                .isInstanceOf(NullPointerException.class).hasMessage("what");
        assertThatThrownBy(() -> Await.until("x", Duration.ZERO, null))
                .isInstanceOf(NullPointerException.class).hasMessage("condition");
    }
}
