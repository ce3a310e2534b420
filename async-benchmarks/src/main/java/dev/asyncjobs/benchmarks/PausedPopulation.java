package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.StartStatus;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the pause+resume cycle grows with the number of jobs paused at once (continuation backend):
 * {@code jobs} jobs each loop on {@code pause()}, and each call resumes the next one round robin,
 * so every resume touches a job whose stack has gone cold. The native twin is
 * {@code native.pause_resume_cycle_rr_N} in {@code baseline.c}. All jobs share one wait ctx, as the
 * native ones share none (OpenSSL's {@code ASYNC_start_job} with a NULL ctx).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {Backends.CONTINUATION_FLAG, "-Xmx6g", "-Xms2g"})
public class PausedPopulation {
    /** Jobs paused at once. */
    @Param({"1000", "10000", "100000", "1000000"})
    public int jobs;

    private final AsyncWaitCtx ctx = new AsyncWaitCtx();
    private JobHandle<Long>[] handles;
    private int next;
    private volatile boolean stop;

    /** Starts and pauses every job on the benchmark thread (an unlimited pool). */
    @Setup(Level.Trial)
    @SuppressWarnings("unchecked") // no generic array creation in Java: the one cast is below
    public void setUp() {
        Backends.require(Backends.CONTINUATION);
        if (!AsyncJob.initThread(0, 0)) {
            throw new IllegalStateException("the benchmark thread already has a pool");
        }
        handles = (JobHandle<Long>[]) new JobHandle<?>[jobs];
        for (int i = 0; i < jobs; i++) {
            handles[i] = new JobHandle<>();
            if (AsyncJob.start(handles[i], ctx, this::pauseForever) != StartStatus.PAUSE) {
                throw new IllegalStateException("job " + i + " did not pause");
            }
        }
    }

    private Long pauseForever() {
        long cycles = 0;
        while (!stop) {
            AsyncJob.pause();
            cycles++;
        }
        return cycles;
    }

    /**
     * Resumes the next paused job, which pauses again.
     *
     * @return {@code PAUSE}
     */
    @Benchmark
    public StartStatus cycleRoundRobin() {
        int i = next;
        next = i + 1 == jobs ? 0 : i + 1;
        StartStatus s = AsyncJob.start(handles[i], ctx, null);
        if (s != StartStatus.PAUSE) {
            throw new IllegalStateException("expected PAUSE, got " + s);
        }
        return s;
    }

    /** Lets every job return. */
    @TearDown(Level.Trial)
    public void tearDown() {
        stop = true;
        for (int i = 0; i < jobs; i++) {
            if (AsyncJob.start(handles[i], ctx, null) != StartStatus.FINISH) {
                throw new IllegalStateException("job " + i + " did not finish");
            }
        }
        ctx.close();
        AsyncJob.cleanupThread();
    }
}
