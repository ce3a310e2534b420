package dev.asyncjobs.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The baseline of the virtual-thread backend: the naive hand-off DESIGN.md measured, a
 * platform thread and a virtual thread passing a turn back and forth with plain
 * {@code park}/{@code unpark} and no spinning, so every hand-off is an OS thread wake-up. One call
 * is one pause+resume cycle: the caller hands the turn to the "job", the job hands it back.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class NaiveHandoff {
    private static final int CALLER = 0;
    private static final int JOB = 1;

    private volatile int turn = CALLER;
    private volatile boolean stop;
    private volatile long cycles;
    private Thread caller;
    private Thread job;

    /** Starts the virtual thread that plays the job. */
    @Setup(Level.Trial)
    public void setUp() {
        caller = Thread.currentThread();
        job = Thread.ofVirtual().name("naive-job").start(this::jobBody);
    }

    private void jobBody() {
        long n = 0;
        for (;;) {
            while (turn != JOB) {
                LockSupport.park(this);
            }
            if (stop) {
                cycles = n;
                turn = CALLER;
                LockSupport.unpark(caller);
                return;
            }
            n++;
            turn = CALLER;            // "pause": hand the turn back
            LockSupport.unpark(caller);
        }
    }

    /**
     * Hands the turn to the job and waits until it comes back.
     *
     * @return the turn (always the caller's)
     */
    @Benchmark
    public int parkUnpark() {
        turn = JOB;
        LockSupport.unpark(job);
        while (turn != CALLER) {
            LockSupport.park(this);
        }
        return turn;
    }

    /** Stops the job and checks it cycled. */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stop = true;
        parkUnpark();
        job.join();
        if (cycles <= 0) {
            throw new IllegalStateException("the naive job never cycled");
        }
    }
}
