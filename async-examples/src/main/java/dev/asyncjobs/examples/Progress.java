package dev.asyncjobs.examples;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A progress display for one phase of the demo, drawn by a thread of its own so that the threads
 * doing the work (job loops, device threads) never print: printing blocks, and a job loop must not.
 *
 * <p>On a terminal it redraws one line in place ({@code \r}) ten times a second; otherwise (a pipe,
 * a file, a CI log) it prints a plain line each time another tenth of the work is done, so a log
 * gets at most eleven lines per phase.
 */
final class Progress implements AutoCloseable {
    private static final int BAR_WIDTH = 30;
    private static final long TICK_MILLIS = 100;

    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private final long total;
    private final LongSupplier done;
    private final long startNanos = System.nanoTime();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private int lastDecile;
    private long lastPrinted = -1;

    /**
     * Starts drawing on a thread of its own until {@link #close()}.
     *
     * @param out where to draw
     * @param terminal redraw one line in place (a terminal) or print plain lines
     * @param label the phase's name, left of the bar
     * @param total how many units the phase has
     * @param done how many are done so far; read from the progress thread
     * @return the running display
     */
    static Progress start(PrintStream out, boolean terminal, String label, long total, LongSupplier done) {
        Progress p = new Progress(out, terminal, label, total, done);
        p.thread.start();
        return p;
    }

    /**
     * A display not drawing yet: {@link #start} runs its thread; tests call {@link #draw} directly.
     *
     * @param out where to draw
     * @param terminal redraw one line in place (a terminal) or print plain lines
     * @param label the phase's name, left of the bar
     * @param total how many units the phase has
     * @param done how many are done so far; read from the progress thread
     */
    Progress(PrintStream out, boolean terminal, String label, long total, LongSupplier done) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
        this.total = total;
        this.done = done;
        this.thread = new Thread(this::loop, "demo-progress");
        thread.setDaemon(true);
    }

    private void loop() {
        try {
            while (!stop.await(TICK_MILLIS, TimeUnit.MILLISECONDS)) {
                draw(done.getAsLong(), false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the thread and draws the final state (always a complete line). */
    @Override
    public void close() {
        stop.countDown();
        try {
            if (thread.isAlive()) {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        draw(done.getAsLong(), true);
    }

    /**
     * Draws {@code n} done; {@code last} for the final state. Called by one thread at a time (the
     * progress thread, then {@link #close()} after joining it).
     */
    void draw(long n, boolean last) {
        long elapsed = System.nanoTime() - startNanos;
        double rate = elapsed > 0 ? n * 1e9 / elapsed : 0;
        int percent = total == 0 ? 100 : (int) (n * 100 / total);
        if (terminal) {
            int filled = total == 0 ? BAR_WIDTH : (int) (n * BAR_WIDTH / total);
            String bar = "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled);
            out.printf(Locale.ROOT, "\r  %-10s [%s] %3d%%  %,d/%,d  %,.0f/s  ", label, bar, percent, n, total, rate);
            if (last) {
                out.println();
            }
            out.flush();
        } else {
            int decile = percent / 10;
            // a line per tenth done, and a final one unless it would repeat the last
            if (last ? n != lastPrinted : decile > lastDecile && decile > 0 && decile < 10) {
                lastDecile = decile;
                lastPrinted = n;
                out.printf(Locale.ROOT, "  %-10s %3d%%  %,d/%,d  %,.0f/s%n", label, percent, n, total, rate);
            }
        }
    }
}
