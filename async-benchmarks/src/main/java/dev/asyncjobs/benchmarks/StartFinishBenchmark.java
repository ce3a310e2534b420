package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.StartStatus;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
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
 * Job start+finish with no pause: {@link AsyncJob#start} of a job that returns at once, with the
 * benchmark thread's pool built by {@code AsyncJob.initThread(4, 4)} in the trial set-up (the pool
 * is per thread), as the native baseline's {@code native.start_finish} does with
 * {@code ASYNC_init_thread(4, 4)}. The handle and ctx are reused, like the native loop's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class StartFinishBenchmark {
    private static final Integer ONE = 1;
    private static final JobFunction<Integer> RETURN_AT_ONCE = () -> ONE;

    private final JobHandle<Integer> handle = new JobHandle<>();
    private final AsyncWaitCtx ctx = new AsyncWaitCtx();

    /** The backend this class's forks must run on. */
    abstract String expectedBackend();

    /** Builds this thread's pool: the benchmark thread runs every call. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(expectedBackend());
        if (!AsyncJob.initThread(4, 4)) {
            AsyncJob.cleanupThread();
            if (!AsyncJob.initThread(4, 4)) {
                throw new IllegalStateException("cannot build the benchmark thread's job pool");
            }
        }
    }

    /**
     * Starts a job that returns at once.
     *
     * @return {@code FINISH}
     */
    @Benchmark
    public StartStatus startFinish() {
        StartStatus s = AsyncJob.start(handle, ctx, RETURN_AT_ONCE);
        if (s != StartStatus.FINISH) {
            throw new IllegalStateException("expected FINISH, got " + s);
        }
        return s;
    }

    /** Checks the last job's result and frees the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (handle.result() != ONE || handle.job() != null) {
            throw new IllegalStateException("the last job did not finish with its result");
        }
        ctx.close();
        AsyncJob.cleanupThread();
    }
}
