package dev.asyncjobs.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The open file descriptors of this process, read from {@code /proc/self/fd} (Linux): counts to
 * compare before and after, and what each fd is for a leak report.
 */
public final class Fds {
    private static final Path PROC_FDS = Path.of("/proc/self/fd");

    private Fds() {
    }

    /**
     * The number of open file descriptors of this process, not counting the one this call opens to
     * read the directory.
     *
     * @return the count
     */
    public static int count() {
        // File.list is one opendir (Files.list opens two fds on Linux: a secure directory stream)
        String[] names = PROC_FDS.toFile().list();
        if (names == null) {
            throw new IllegalStateException(PROC_FDS + " is not readable (not Linux?)");
        }
        return names.length - 1;
    }

    /**
     * What each open fd points to ({@code 12 -> pipe:[345]}, {@code anon_inode:[eventpoll]}, a
     * socket, a jar), for failure messages.
     *
     * @return one {@code "fd -> target"} entry per open fd
     */
    public static List<String> targets() {
        List<String> out = new ArrayList<>();
        String[] names = PROC_FDS.toFile().list();
        for (String name : names == null ? new String[0] : names) {
            try {
                out.add(name + " -> " + Files.readSymbolicLink(PROC_FDS.resolve(name)));
            } catch (IOException e) {
                // closed while listing (the listing's own fd among them)
            }
        }
        return out;
    }

    /**
     * Waits until at most {@code baseline} fds are open: fds are not always closed synchronously
     * (a selector thread closes its own; closing a registered channel is deferred to the next
     * select), so a leak check waits for them instead of reading the count once.
     *
     * @param what     what is checked, for the failure message
     * @param baseline the count taken before (with {@link #count()})
     * @param timeout  how long to wait at most
     * @throws AssertionError listing the open fds when more than {@code baseline} stay open
     */
    public static void awaitAtMost(String what, int baseline, Duration timeout) {
        Objects.requireNonNull(what, "what");
        Await.until(() -> what + ": open fds back to " + baseline + ", now " + count() + "; open: " + targets(),
                timeout, () -> count() <= baseline);
    }

    /**
     * Makes the JDK create what it keeps for the rest of the run: the socket NIO's dispatcher
     * {@code dup2}s over a registered channel being closed is made on the first such close and never
     * closed. Call before taking a baseline, so the first test to close a registered channel is not
     * blamed for it.
     */
    public static void warmUpNio() {
        try (Selector selector = Selector.open()) {
            Pipe pipe = Pipe.open();
            pipe.source().configureBlocking(false);
            pipe.source().register(selector, SelectionKey.OP_READ);
            pipe.source().close();
            pipe.sink().close();
            selector.selectNow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
