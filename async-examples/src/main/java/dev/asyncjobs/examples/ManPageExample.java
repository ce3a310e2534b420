package dev.asyncjobs.examples;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.WaitFdCleanup;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.List;

/**
 * The EXAMPLES program of OpenSSL's {@code ASYNC_start_job(3)} man page, line for line in Java.
 *
 * <p>A job makes a pipe, hands its read end to the job's wait ctx (with a cleanup that closes both
 * ends, as the C {@code cleanup} does), makes it readable at once "for demo purposes", and pauses.
 * {@code main} waits for the read end with a {@link Selector} (the C program's {@code select}) and
 * resumes the job, which drains the byte and returns 1. Freeing the ctx runs the cleanup.
 *
 * <p>Expected output, the same as the C original's:
 * <pre>
 * Starting...
 * Executing within a job
 * Passed in message is: Hello world!
 * Job was paused
 * Waiting for the job to be woken up
 * Resumed the job after a pause
 * Job finished with return value 1
 * Finishing
 * </pre>
 */
public final class ManPageExample {

    /** The C example's {@code int unique}: only its identity matters, it is the wait fd's key. */
    private static final Object UNIQUE = new Object();

    private ManPageExample() {
    }

    /** The C {@code cleanup}: closes the read end (the wait fd) and the write end (custom data). */
    private static final WaitFdCleanup CLEANUP = (ctx, key, r, w) -> {
        try {
            r.close();
        } catch (IOException e) {
            // close(2)'s result is ignored in the C original too
        }
        try {
            if (w instanceof Pipe.SinkChannel sink) {
                sink.close();
            }
        } catch (IOException e) {
            // as above
        }
    };

    /** The C {@code jobfunc}; {@code msg} is the copied argument. */
    private static int jobfunc(PrintStream out, String msg) throws IOException {
        AsyncJob currjob = AsyncJob.current();
        if (currjob != null) {
            out.println("Executing within a job");
        } else {
            out.println("Not executing within a job - should not happen");
            return 0;
        }

        out.println("Passed in message is: " + msg);

        Pipe pipe;
        try {
            pipe = Pipe.open();
            // a Selector only takes non-blocking channels; the byte is always there when we read
            pipe.source().configureBlocking(false);
        } catch (IOException e) {
            out.println("Failed to create pipe");
            return 0;
        }
        currjob.waitCtx().setWaitFd(UNIQUE, pipe.source(), pipe.sink(), CLEANUP);

        /*
         * Normally some external event would cause this to happen at some later point - but we do
         * it here for demo purposes, i.e. immediately signalling that the job is ready to be woken
         * up after we return to main via AsyncJob.pause().
         */
        pipe.sink().write(ByteBuffer.wrap(new byte[] {'X'}));

        /*
         * Return control back to main. The C original ignores ASYNC_pause_job's result; in Java a
         * cancelled job must not go on as if resumed, so the pause that throws on a cancel is used.
         */
        AsyncJob.pauseOrThrow();

        /* Clear the wake signal */
        pipe.source().read(ByteBuffer.allocate(1));

        out.println("Resumed the job after a pause");

        return 1;
    }

    public static void main(String[] args) {
        run(System.out);
    }

    /** Runs the example, printing its lines to {@code out}. */
    static void run(PrintStream out) {
        JobHandle<Integer> job = new JobHandle<>();
        String msg = "Hello world!";

        out.println("Starting...");

        AsyncWaitCtx ctx = new AsyncWaitCtx();
        try (Selector selector = Selector.open()) {
            loop:
            for (;;) {
                switch (AsyncJob.start(job, ctx, () -> jobfunc(out, msg))) {
                    case ERR, NO_JOBS -> {
                        out.println("An error occurred");
                        break loop;
                    }
                    case PAUSE -> out.println("Job was paused");
                    case FINISH -> {
                        if (job.failure() != null) {
                            // Java only: the job threw (the C job cannot)
                            out.println("Job failed: " + job.failure());
                        } else {
                            out.println("Job finished with return value " + job.result());
                        }
                        break loop;
                    }
                }

                /* Wait for the job to be woken */
                out.println("Waiting for the job to be woken up");

                List<SelectableChannel> fds = ctx.getAllFds();
                if (fds.size() > 1) {
                    out.println("Unexpected number of fds");
                    throw new IllegalStateException("Unexpected number of fds: " + fds.size());
                }
                // with no fd the C program selects on nothing; we simply resume, as a poller would
                if (!fds.isEmpty()) {
                    SelectionKey key = fds.get(0).register(selector, SelectionKey.OP_READ);
                    selector.select();
                    key.cancel();
                    selector.selectNow(); // flush the cancelled key so the channel can be closed
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            ctx.close();
        }
        out.println("Finishing");
    }
}
