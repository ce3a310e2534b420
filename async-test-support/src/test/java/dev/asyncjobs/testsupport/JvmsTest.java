package dev.asyncjobs.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class JvmsTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Child: prints its flag to stdout and a line to stderr. */
    static final class Prints {
        public static void main(String[] args) {
            System.out.println("flag " + System.getProperty("jvms.test.flag"));
            System.err.println("on stderr");
        }
    }

    /** Child: says something, then fails. */
    static final class Fails {
        public static void main(String[] args) {
            System.out.println("about to fail");
            System.exit(3);
        }
    }

    /** Child: never ends on its own. */
    static final class Hangs {
        public static void main(String[] args) throws InterruptedException {
            System.out.println("hanging");
            System.out.flush();
            new CountDownLatch(1).await();
        }
    }

    @Test
    void returnsWhatTheChildPrintedWithItsFlags() {
        String out = Jvms.runMain(List.of("-Djvms.test.flag=on"), Prints.class, WAIT);
        assertThat(out).contains("flag on").contains("on stderr");
    }

    @Test
    void aStatusOtherThanZeroFailsWithTheOutput() {
        assertThatThrownBy(() -> Jvms.runMain(List.of(), Fails.class, WAIT))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("exited with status 3")
                .hasMessageContaining("about to fail");
    }

    @Test
    void aChildPastItsDeadlineIsKilledNotWaitedFor() {
        assertThatThrownBy(() -> Jvms.runMain(List.of(), Hangs.class, Duration.ofSeconds(3)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("was killed");
        Await.until("the child JVM to be gone", WAIT, () -> ProcessHandle.current().children().findAny().isEmpty());
    }

    @Test
    void nullsAreNamed() {
        assertThatThrownBy(() -> Jvms.runMain(null, Prints.class, WAIT)).hasMessage("jvmFlags");
        assertThatThrownBy(() -> Jvms.runMain(List.of(), null, WAIT)).hasMessage("mainClass");
        assertThatThrownBy(() -> Jvms.runMain(List.of(), Prints.class, null)).hasMessage("timeout");
    }
}
