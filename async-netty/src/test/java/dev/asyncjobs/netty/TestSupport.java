package dev.asyncjobs.netty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Shared helpers (as async-reactor's): condition waits with deadlines, fd and thread counts. */
final class TestSupport {
    private TestSupport() {
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes (then fails with {@code what}). */
    static void await(BooleanSupplier condition, Duration timeout, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int spins = 0;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for: " + what.get());
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
            }
        }
    }

    static void await(BooleanSupplier condition, Supplier<String> what) {
        await(condition, Duration.ofSeconds(20), what);
    }

    /** Open fds of this process. */
    static long openFds() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What each open fd is (for failure messages). */
    static String describeFds() {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            s.forEach(p -> {
                try {
                    sb.append(p.getFileName()).append("->").append(Files.readSymbolicLink(p)).append(' ');
                } catch (IOException e) {
                    sb.append(p.getFileName()).append("->? ");
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /** Waits until the open fds are back to {@code baseline} (closing is not always synchronous). */
    static void awaitFdsBackTo(long baseline, String before) {
        await(() -> openFds() <= baseline, Duration.ofSeconds(20),
                () -> "open fds back to " + baseline + ", now " + openFds() + "\nbefore: " + before
                        + "\nnow:    " + describeFds());
    }

    /** Live platform threads (ids). */
    static Set<Long> liveThreads() {
        Set<Long> ids = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            ids.add(t.threadId());
        }
        return ids;
    }

    /** Waits until no platform thread is alive that was not in {@code before}. */
    static void awaitNoNewThreads(Set<Long> before) {
        await(() -> before.containsAll(liveThreads()), Duration.ofSeconds(20), () -> {
            StringBuilder sb = new StringBuilder("no threads left beyond the ones before; extra: ");
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (!before.contains(t.threadId())) {
                    sb.append(t.getName()).append(' ');
                }
            }
            return sb.toString();
        });
    }
}
