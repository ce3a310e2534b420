package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.reactor.AsyncFlux;
import dev.asyncjobs.reactor.JobLoopScheduler;
import dev.asyncjobs.rxjava.AsyncFlowable;
import dev.asyncjobs.rxjava.AsyncRxSchedulers;
import io.reactivex.rxjava3.core.Flowable;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Flux;

/**
 * What {@code mapJobs} costs per element on the job loop, old against new: {@value #N} elements
 * through {@code AsyncFlux.mapJobs} / {@code AsyncFlowable.mapJobs} ({@code impl=new}) or through
 * {@link MapJobsBaseline}, the same operators as they were built before, one inner {@code Mono} /
 * {@code Maybe} per element ({@code impl=old}), with {@value #MAX_IN_FLIGHT} jobs in flight. The
 * whole stream runs on one job loop of its own: the source is subscribed on it
 * ({@code subscribeOn} the loop's scheduler), so every element arrives there, its job starts
 * inline and its result is emitted there; only the end crosses to the benchmark thread. So the
 * score, the time per element, is the stage's own CPU cost, with no thread hop in it.
 *
 * <ul>
 *   <li>{@code job=never}: the job returns at once (the whole cost is the stage's and the launch's).</li>
 *   <li>{@code job=once}: the job pauses once, woken through its ctx callback before it pauses (a
 *       dasync-style yield: the loop requeues it and resumes it after the others had a turn).</li>
 * </ul>
 * Besides the wall time per element (the score), {@link LoopCpu} reports the CPU time the loop
 * thread spent per element ({@code loopCpuNsPerElement}), which is what the stage costs: on a
 * shared, loaded machine it moves much less with the load than the wall time. Run old and new
 * interleaved in one session (see RESULTS.md for the command).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class MapJobsOverhead {
    static final int N = 10_000;
    static final int MAX_IN_FLIGHT = 64;

    /** {@code reactor} ({@code AsyncFlux}) or {@code rxjava} ({@code AsyncFlowable}). */
    @Param({"reactor", "rxjava"})
    public String adapter;

    /** {@code old} ({@link MapJobsBaseline}) or {@code new} (the adapters' operators). */
    @Param({"old", "new"})
    public String impl;

    /** {@code never} pauses, or pauses {@code once}. */
    @Param({"never", "once"})
    public String job;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private JobLoopGroup loops;
    private long loopThreadId;
    private Flux<Integer> flux;
    private Flowable<Integer> flowable;

    /** Builds the pipeline once; its loops start here, outside the measurement. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(Backends.CONTINUATION);
        loops = JobLoopGroup.builder().threads(1).name("mapjobs-bench").build();
        JobOptions options = JobOptions.builder().loops(loops).build();
        CompletableFuture<Long> id = new CompletableFuture<>();
        loops.loop(0).execute(() -> id.complete(Thread.currentThread().threadId()));
        loopThreadId = id.join();
        if (!THREADS.isThreadCpuTimeSupported()) {
            throw new IllegalStateException("per-thread CPU time is not supported here");
        }
        THREADS.setThreadCpuTimeEnabled(true);
        boolean pausing = job.equals("once");
        Function<Integer, JobFunction<Integer>> fn = pausing ? MapJobsOverhead::pausingOnce : MapJobsOverhead::neverPausing;
        boolean old = impl.equals("old");
        if (adapter.equals("reactor")) {
            Flux<Integer> source = Flux.range(0, N).subscribeOn(JobLoopScheduler.create(loops));
            flux = old ? MapJobsBaseline.flux(source, fn, MAX_IN_FLIGHT, options)
                    : AsyncFlux.mapJobs(source, fn, MAX_IN_FLIGHT, options);
        } else {
            Flowable<Integer> source = Flowable.range(0, N).subscribeOn(AsyncRxSchedulers.jobLoops(loops));
            flowable = old ? MapJobsBaseline.flowable(source, fn::apply, MAX_IN_FLIGHT, options)
                    : AsyncFlowable.mapJobs(source, fn::apply, MAX_IN_FLIGHT, options);
        }
    }

    /** Stops the loops. */
    @TearDown(Level.Trial)
    public void tearDown() {
        loops.close();
    }

    /**
     * {@value #N} elements through {@code mapJobs}, in order.
     *
     * @param cpu where the loop thread's CPU time goes
     * @return the sum of the results, checked
     */
    @Benchmark
    @OperationsPerInvocation(N)
    public long mapJobs(LoopCpu cpu) {
        long before = THREADS.getThreadCpuTime(loopThreadId);
        long sum = flux != null ? flux.reduce(0L, (a, b) -> a + b).block()
                : flowable.reduce(0L, (a, b) -> a + b).blockingGet();
        cpu.cpuNs += THREADS.getThreadCpuTime(loopThreadId) - before;
        cpu.elements += N;
        if (sum != (long) N * (N - 1) / 2) {
            throw new IllegalStateException("wrong sum " + sum);
        }
        return sum;
    }

    /** The loop thread's CPU time per element over one iteration (a JMH secondary result). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class LoopCpu {
        long cpuNs;
        long elements;

        /** Starts the iteration's sums. */
        @Setup(Level.Iteration)
        public void reset() {
            cpuNs = 0;
            elements = 0;
        }

        /**
         * The loop thread's CPU nanoseconds per element this iteration.
         *
         * @return ns per element
         */
        public double loopCpuNsPerElement() {
            return elements == 0 ? 0 : (double) cpuNs / elements;
        }
    }

    private static JobFunction<Integer> neverPausing(Integer i) {
        return () -> i;
    }

    private static JobFunction<Integer> pausingOnce(Integer i) {
        return () -> {
            AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
            ctx.getCallback().onWake(ctx.getCallbackArg()); // a yield: woken before it pauses
            AsyncJob.pause();
            return i;
        };
    }
}
