package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
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
 * One pause+resume cycle: a job loops on {@link AsyncJob#pause()}, each benchmark call resumes it
 * once with {@link AsyncJob#start} (which returns {@code PAUSE} when the job pauses again). The
 * same shape as the native baseline's {@code native.pause_resume_cycle} (a job looping on
 * {@code ASYNC_pause_job()}, the caller looping on {@code ASYNC_start_job()}).
 *
 * <p>Subclasses fix the backend through their fork's JVM flags:
 * {@link PauseResumeContinuation} and {@link PauseResumeVirtualThread}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class PauseResumeBenchmark {
    private final JobHandle<Long> handle = new JobHandle<>();
    private final AsyncWaitCtx ctx = new AsyncWaitCtx();
    private volatile boolean stop;

    /** The backend this class's forks must run on. */
    abstract String expectedBackend();

    /** Starts the looping job on the benchmark thread, which then owns it. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(expectedBackend());
        AsyncJob.initThread(4, 4); // as the native baseline: ASYNC_init_thread(4, 4)
        StartStatus s = AsyncJob.start(handle, ctx, this::pauseForever);
        if (s != StartStatus.PAUSE) {
            throw new IllegalStateException("the job did not pause: " + s);
        }
    }

    private Long pauseForever() {
        long cycles = 0;
        while (!stop) {
            if (!AsyncJob.pause()) {
                throw new IllegalStateException("pause() refused");
            }
            cycles++;
        }
        return cycles;
    }

    /**
     * Resumes the job, which pauses again at once.
     *
     * @return {@code PAUSE}
     */
    @Benchmark
    public StartStatus cycle() {
        StartStatus s = AsyncJob.start(handle, ctx, null);
        if (s != StartStatus.PAUSE) {
            throw new IllegalStateException("expected PAUSE, got " + s);
        }
        return s;
    }

    /** Lets the job return and checks it really cycled. */
    @TearDown(Level.Trial)
    public void tearDown() {
        stop = true;
        StartStatus s = AsyncJob.start(handle, ctx, null);
        Long cycles = handle.result();
        if (s != StartStatus.FINISH || cycles == null || cycles <= 0) {
            throw new IllegalStateException("the job did not finish cleanly: " + s + ", cycles " + cycles);
        }
        ctx.close();
        AsyncJob.cleanupThread();
    }
}
