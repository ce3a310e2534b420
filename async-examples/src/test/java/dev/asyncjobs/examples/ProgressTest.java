package dev.asyncjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Threads;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private static String draw(boolean terminal, long total, long... steps) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            AtomicLong done = new AtomicLong();
            Progress p = new Progress(out, terminal, "phase", total, done::get);
            for (long s : steps) {
                done.set(s);
                p.draw(s, false);
            }
            p.close(); // not started: draws the final state only
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onATerminalRedrawsOneLineInPlace() {
        String s = draw(true, 200, 0, 50, 100, 200);
        // five draws, each starting with a carriage return, one newline at the end
        assertThat(s.chars().filter(c -> c == '\r').count()).isEqualTo(5);
        assertThat(s.chars().filter(c -> c == '\n').count()).isEqualTo(1);
        assertThat(s).contains("[" + "#".repeat(7) + ".".repeat(23) + "]  25%  50/200")
                .contains("[" + "#".repeat(30) + "] 100%  200/200").endsWith(String.format("%n"));
    }

    @Test
    void elsewherePrintsALinePerTenth() {
        long[] steps = new long[1000];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = i + 1;
        }
        String s = draw(false, 1000, steps);
        assertThat(s).doesNotContain("\r");
        assertThat(s.lines()).hasSize(10).allMatch(l -> l.startsWith("  phase "));
        assertThat(s.lines().toList().get(0)).contains(" 10%  100/1,000");
        assertThat(s.lines().toList().get(9)).contains("100%  1,000/1,000");
    }

    @Test
    void aPhaseThatStopsShortStillEndsWithALine() {
        String s = draw(false, 1000, 5, 150, 420);
        // 15% and 42%; the final state is 42% again: not repeated
        assertThat(s.lines().toList()).hasSize(2);
        assertThat(s.lines().toList().get(1)).contains(" 42%  420/1,000");
        assertThat(draw(false, 1000, 5)).contains("  0%  5/1,000");
    }

    @Test
    void aStartedDisplayStopsItsThread() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AtomicLong done = new AtomicLong(3);
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Progress p = Progress.start(out, false, "phase", 3, done::get);
            p.close();
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("100%  3/3");
        assertThat(Threads.named("demo-progress")).isEmpty();
    }
}
