package dev.asyncjobs.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class RacerTest {

    /**
     * The actions really overlap: in some round one side finds the other inside its action. Each
     * waits a while for the other (yielding, so this holds on a loaded machine too); run one after
     * the other, neither ever would find the other.
     */
    @Test
    void actionsRunAtTheSameTime() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        Runnable action = () -> {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            long deadline = System.nanoTime() + 5_000_000;
            for (int i = 0; overlaps.get() == 0 && System.nanoTime() - deadline < 0; i++) {
                Await.backOff(i);
            }
            inside.decrementAndGet();
        };
        try (Racer racer = new Racer(1, "racer-test")) {
            for (int round = 0; round < 1_000 && overlaps.get() == 0; round++) {
                racer.race(action, action);
            }
        }
        assertThat(overlaps.get()).as("rounds in which both actions were running at once").isPositive();
    }

    @Test
    void everyActionRunsOncePerRound() {
        AtomicInteger a = new AtomicInteger();
        AtomicInteger b = new AtomicInteger();
        AtomicInteger c = new AtomicInteger();
        try (Racer racer = new Racer(2, "racer-test")) {
            for (int round = 0; round < 2_000; round++) {
                racer.race(a::incrementAndGet, b::incrementAndGet, c::incrementAndGet);
                assertThat(b.get()).as("the helpers' actions have ended when race returns").isEqualTo(a.get());
                assertThat(c.get()).isEqualTo(a.get());
            }
        }
        assertThat(a.get()).isEqualTo(2_000);
    }

    @Test
    void aHelpersFailureIsRethrownAndTheRacerStaysUsable() {
        try (Racer racer = new Racer(1, "racer-test")) {
            assertThatThrownBy(() -> racer.race(() -> { }, () -> {
                throw new IllegalStateException("helper failed");
            })).isInstanceOf(IllegalStateException.class).hasMessage("helper failed");
            assertThatThrownBy(() -> racer.race(() -> {
                throw new AssertionError("caller failed");
            }, () -> { })).isInstanceOf(AssertionError.class).hasMessage("caller failed");
            AtomicInteger ran = new AtomicInteger();
            racer.race(ran::incrementAndGet, ran::incrementAndGet);
            assertThat(ran.get()).isEqualTo(2);
        }
    }

    @Test
    void misuseIsRefused() {
        assertThatThrownBy(() -> new Racer(0, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Racer(1, null)).isInstanceOf(NullPointerException.class).hasMessage("name");
        try (Racer racer = new Racer(1, "racer-test")) {
            assertThatThrownBy(() -> racer.race(() -> { })).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> racer.race(() -> { }, null)).isInstanceOf(NullPointerException.class);
        }
    }

    @Test
    void closeStopsTheHelpers() {
        Set<Thread> before = Threads.live();
        Racer racer = new Racer(3, "racer-close-test");
        assertThat(Threads.named("racer-close-test-")).hasSize(3);
        racer.race(() -> { }, () -> { }, () -> { }, () -> { });
        racer.close();
        assertThat(Threads.named("racer-close-test-")).isEmpty();
        Threads.awaitNoneStartedSince("racer", before, Threads.JVM_OWN, Duration.ofSeconds(20));
    }
}
