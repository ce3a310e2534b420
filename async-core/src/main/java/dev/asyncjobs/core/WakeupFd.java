package dev.asyncjobs.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;

/**
 * The standard way for an engine to hand a job a wait fd: a pipe whose read end becomes readable
 * after {@link #signal()} and stops being readable after {@link #drain()} (OpenSSL's dasync engine
 * uses a pipe, Intel's QAT engine an eventfd, the same way).
 *
 * <pre>{@code
 * WakeupFd fd = WakeupFd.open();
 * ctx.setWaitFd(KEY, fd.channel(), fd, (c, k, ch, data) -> ((WakeupFd) data).close());
 * Future<Result> r = device.submit(work, fd::signal);   // the device thread signals on completion
 * try {
 *     do {
 *         AsyncJob.pauseOrThrow();   // a cancel of the job throws CancellationException here
 *     } while (!fd.drain());         // a spurious wake pauses again
 * } catch (CancellationException e) {
 *     r.cancel(true);                // nobody wants the result any more
 *     throw e;
 * }
 * return r.get();                    // done: does not block
 * }</pre>
 *
 * <p>An engine that hands out a {@code CompletableFuture} needs no fd at all: {@link
 * AsyncJob#await(java.util.concurrent.CompletionStage)} wakes the job through its ctx callback.
 *
 * <p>Signals coalesce: at most one byte is ever in the pipe, the fd is readable exactly while a
 * signal is pending, and {@code signal()} on a pending fd is a volatile read. {@code signal()} after
 * {@link #close()} is ignored, so a late completion is harmless.
 */
public final class WakeupFd implements AutoCloseable {
    private final Pipe.SourceChannel source;
    private final Pipe.SinkChannel sink;
    private final Object lock = new Object();
    private final ByteBuffer out = ByteBuffer.allocate(1);
    private final ByteBuffer in = ByteBuffer.allocate(16);
    private volatile boolean signalled;
    private volatile boolean closed;

    private WakeupFd(Pipe pipe) {
        this.source = pipe.source();
        this.sink = pipe.sink();
    }

    /**
     * Opens a new wake-up fd (two file descriptors).
     *
     * @return the fd, not signalled
     * @throws UncheckedIOException if the pipe cannot be made (e.g. too many open files)
     */
    public static WakeupFd open() {
        Pipe pipe = null;
        try {
            pipe = Pipe.open();
            pipe.source().configureBlocking(false);
            pipe.sink().configureBlocking(false);
            return new WakeupFd(pipe);
        } catch (IOException e) {
            if (pipe != null) {
                closeQuietly(pipe.source());
                closeQuietly(pipe.sink());
            }
            throw new UncheckedIOException("cannot open a wakeup pipe", e);
        }
    }

    /**
     * The read end, non-blocking: readable while a signal is pending.
     *
     * @return the channel to give to {@link AsyncWaitCtx#setWaitFd}
     */
    public SelectableChannel channel() {
        return source;
    }

    /** Makes the channel readable. Thread-safe; cheap when already signalled; ignored after close. */
    public void signal() {
        if (signalled) {
            return;
        }
        synchronized (lock) {
            if (signalled || closed) {
                return;
            }
            signalled = true; // before the write, so a racing drain() waits for the byte
            try {
                out.clear();
                out.put((byte) 1).flip();
                sink.write(out);
            } catch (IOException e) {
                signalled = false;
                if (!closed) {
                    throw new UncheckedIOException("cannot signal a wakeup pipe", e);
                }
            }
        }
    }

    /**
     * Consumes the pending signal, if any, so the channel is no longer readable.
     *
     * @return {@code true} if it was signalled
     */
    public boolean drain() {
        if (!signalled) {
            return false;
        }
        synchronized (lock) {
            if (closed) {
                return false;
            }
            boolean was = signalled;
            try {
                in.clear();
                while (source.read(in) > 0) {
                    in.clear();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot drain a wakeup pipe", e);
            }
            signalled = false;
            return was;
        }
    }

    /**
     * Whether a signal is pending.
     *
     * @return {@code true} between {@link #signal()} and {@link #drain()}
     */
    public boolean isSignalled() {
        return signalled;
    }

    /** Closes both ends. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        closeQuietly(source);
        closeQuietly(sink);
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing more can be done for a pipe end that fails to close
        }
    }
}
