package dev.asyncjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class RunStatsTest {

    @Test
    void percentilesAreNearestRank() throws Exception {
        RunStats s = new RunStats("t", 100);
        s.start();
        for (int i = 0; i < 100; i++) {
            s.admitted(i);
        }
        assertThat(s.peakInFlight()).isEqualTo(100);
        for (int i = 0; i < 100; i++) {
            s.completed(i);
        }
        s.stop();
        assertThat(s.completedCount()).isEqualTo(100);
        assertThat(s.latencyMillis(50)).isPositive().isLessThanOrEqualTo(s.latencyMillis(99));
        assertThat(s.throughput()).isPositive();
    }

    @Test
    void messagesThatNeverCompletedAreLeftOut() {
        RunStats s = new RunStats("t", 4);
        s.admitted(0);
        s.admitted(1);
        s.completed(1);
        // one latency only: every percentile is it
        assertThat(s.latencyMillis(1)).isEqualTo(s.latencyMillis(99), within(0.0));
        assertThat(new RunStats("t", 3).latencyMillis(50)).isZero();
    }

    @Test
    void countsFromManyThreadsAddUp() throws Exception {
        int n = 40_000;
        RunStats s = new RunStats("t", n);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<?>[] f = new Future<?>[4];
            for (int t = 0; t < 4; t++) {
                int from = t * (n / 4);
                f[t] = pool.submit(() -> {
                    for (int i = from; i < from + n / 4; i++) {
                        s.admitted(i);
                        s.bodyRuns();
                        s.completed(i);
                    }
                });
            }
            for (Future<?> x : f) {
                x.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(s.completedCount()).isEqualTo(n);
        assertThat(s.peakInFlight()).isBetween(1, 4);
        assertThat(s.threads()).hasSize(4);
    }
}
