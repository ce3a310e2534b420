package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.netty.NettyJobs;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Jobs on a Netty event loop ({@link NettyJobs#eventLoopOptions()}), {@value #MANY} launched in one
 * task of the loop, time per job: what the event loop's job counters cost. Run it in JVMs with
 * {@code -Dasyncjobs.stats=false} and {@code =true}, interleaved (the switch is read once per JVM).
 *
 * <ul>
 *   <li>{@code startFinish}: a job that never pauses (counted: started, succeeded, alive +-1).</li>
 *   <li>{@code pauseOnce}: a job that wakes itself, then pauses once: resumed by a second task
 *       of the loop (also counted: one pause, one resume).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class EventLoopJobCounters {
    static final int MANY = 1000;
    private static final Integer VALUE = 42;
    private static final JobFunction<Integer> NEVER_PAUSES = () -> VALUE;
    private static final JobFunction<Integer> PAUSES_ONCE = () -> {
        AsyncJob.current().waitCtx().getCallback().onWake(null); // woken while it runs: requeued at the pause
        AsyncJob.pause();
        return VALUE;
    };

    private MultiThreadIoEventLoopGroup group;
    private EventLoop loop;
    private JobOptions options;

    /** Counts the jobs of one invocation down on the loop thread (its only writer). */
    private static final class Batch implements JobObserver<Integer> {
        private final CountDownLatch done = new CountDownLatch(1);
        private int left = MANY;

        @Override
        public void onSuccess(@Nullable Integer value) {
            if (--left == 0) {
                done.countDown();
            }
        }

        @Override
        public void onFailure(Throwable error) {
            throw new AssertionError("a benchmark job failed", error);
        }
    }

    /** Checks the backend and starts the loop with a first job (its pool, its counters). */
    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        Backends.require(Backends.CONTINUATION);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        options = NettyJobs.eventLoopOptions();
        run(NEVER_PAUSES);
    }

    /** Stops the loop. */
    @TearDown(Level.Trial)
    public void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void run(JobFunction<Integer> job) throws InterruptedException {
        Batch b = new Batch();
        loop.execute(() -> {
            for (int i = 0; i < MANY; i++) {
                AsyncJobs.launch(job, options, b);
            }
        });
        if (!b.done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the jobs did not end in 60 s");
        }
    }

    /**
     * Jobs that never pause.
     *
     * @throws InterruptedException never
     */
    @Benchmark
    @OperationsPerInvocation(MANY)
    public void startFinish() throws InterruptedException {
        run(NEVER_PAUSES);
    }

    /**
     * Jobs that pause once.
     *
     * @throws InterruptedException never
     */
    @Benchmark
    @OperationsPerInvocation(MANY)
    public void pauseOnce() throws InterruptedException {
        run(PAUSES_ONCE);
    }
}
