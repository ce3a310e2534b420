package dev.asyncjobs.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channel;
import java.nio.channels.Pipe;

/** Pipes to use as wait fds: the source end is what a job waits on, a write to the sink wakes it. */
public final class Pipes {
    private Pipes() {
    }

    /**
     * A new pipe, both ends non-blocking (a selector needs that of the source; a test writing to a
     * full sink must not hang).
     *
     * @return the pipe; close it with {@link #close(Pipe)}
     */
    public static Pipe open() {
        try {
            Pipe p = Pipe.open();
            p.source().configureBlocking(false);
            p.sink().configureBlocking(false);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Closes both ends.
     *
     * @param pipe the pipe
     */
    public static void close(Pipe pipe) {
        try {
            pipe.source().close();
            pipe.sink().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Closes {@code channel}, ignoring a failure: for a test's cleanup, where the test's own
     * failure, not the close's, is the one to report.
     *
     * @param channel the channel
     */
    public static void closeQuietly(Channel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // cleanup only
        }
    }
}
