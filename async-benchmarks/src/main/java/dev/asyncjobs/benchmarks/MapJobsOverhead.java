package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.reactor.AsyncFlux;
import dev.asyncjobs.reactor.JobLoopScheduler;
import dev.asyncjobs.rxjava.AsyncFlowable;
import io.reactivex.rxjava3.core.Flowable;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
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
 * What {@code mapJobs} costs per element on the job loop, old against new, interleaved: each
 * invocation runs {@value #N} elements through the old {@code mapJobs} ({@link MapJobsBaseline}: one
 * inner {@code Mono} / {@code Maybe} per element under {@code flatMapSequential} /
 * {@code concatMapEager}) and {@value #N} through the new one ({@code AsyncFlux.mapJobs} /
 * {@code AsyncFlowable.mapJobs}), in alternating order, with {@value #MAX_IN_FLIGHT} jobs in flight.
 * Both streams run on the same single job loop: the source is subscribed on it ({@code subscribeOn}
 * the loop's scheduler), so every element arrives there, its job starts inline and its result is
 * emitted there; only the end crosses to the benchmark thread.
 *
 * <ul>
 *   <li>{@code job=never}: the job returns at once.</li>
 *   <li>{@code job=once}: the job pauses once, woken through its ctx callback before it pauses (a
 *       dasync-style yield: the loop requeues it and resumes it after the others had a turn).</li>
 * </ul>
 * A third run per invocation is the floor: the same {@value #N} jobs launched straight with
 * {@link AsyncJobs#launch} from the loop, {@value #MAX_IN_FLIGHT} in flight, each result added up
 * by one shared observer (no order, no Reactive Streams): what running the jobs costs without any
 * stage. What a {@code mapJobs} adds per element, its overhead, is its time minus the floor's.
 *
 * <p>The secondary results ({@link Runs}), per iteration: the loop thread's CPU time per element of
 * each (median over the iteration's invocations), and the medians over the invocations of new/old
 * (CPU and wall time) and of (new - floor)/(old - floor) (CPU time: the overhead ratio). Running the
 * three right beside each other, in rotating order, keeps the comparison fair on a shared, loaded
 * machine, where the load drifts over seconds; the loop thread's CPU time does not count the time
 * it waits for a core. The primary score (the three runs, per element) is only the harness's. See
 * RESULTS.md for the command.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class MapJobsOverhead {
    static final int N = 10_000;
    static final int MAX_IN_FLIGHT = 64;
    private static final long SUM = (long) N * (N - 1) / 2;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** {@code reactor} ({@code AsyncFlux}) or {@code rxjava} ({@code AsyncFlowable}). */
    @Param({"reactor", "rxjava"})
    public String adapter;

    /** {@code never} pauses, or pauses {@code once}. */
    @Param({"never", "once"})
    public String job;

    private JobLoopGroup loops;
    private long loopThreadId;
    private LongSupplier floorRun;
    private LongSupplier oldRun;
    private LongSupplier newRun;
    private int turn;

    /** Builds both pipelines once; the loop starts here, outside the measurement. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(Backends.CONTINUATION);
        if (!THREADS.isThreadCpuTimeSupported()) {
            throw new IllegalStateException("per-thread CPU time is not supported here");
        }
        THREADS.setThreadCpuTimeEnabled(true);
        loops = JobLoopGroup.builder().threads(1).name("mapjobs-bench").build();
        JobOptions options = JobOptions.builder().loops(loops).build();
        CompletableFuture<Long> id = new CompletableFuture<>();
        loops.loop(0).execute(() -> id.complete(Thread.currentThread().threadId()));
        loopThreadId = id.join();
        Function<Integer, JobFunction<Integer>> fn = job.equals("once") ? MapJobsOverhead::pausingOnce
                : MapJobsOverhead::neverPausing;
        floorRun = () -> floor(fn, options);
        if (adapter.equals("reactor")) {
            JobLoopScheduler scheduler = JobLoopScheduler.create(loops);
            Flux<Integer> source = Flux.range(0, N).subscribeOn(scheduler);
            Flux<Integer> old = MapJobsBaseline.flux(source, fn, MAX_IN_FLIGHT, options);
            Flux<Integer> now = AsyncFlux.mapJobs(source, fn, MAX_IN_FLIGHT, options);
            oldRun = () -> old.reduce(0L, (a, b) -> a + b).block();
            newRun = () -> now.reduce(0L, (a, b) -> a + b).block();
        } else {
            Flowable<Integer> source = Flowable.range(0, N).subscribeOn(dev.asyncjobs.rxjava.JobLoopScheduler.create(loops));
            Flowable<Integer> old = MapJobsBaseline.flowable(source, fn::apply, MAX_IN_FLIGHT, options);
            Flowable<Integer> now = AsyncFlowable.mapJobs(source, fn::apply, MAX_IN_FLIGHT, options);
            oldRun = () -> old.reduce(0L, (a, b) -> a + b).blockingGet();
            newRun = () -> now.reduce(0L, (a, b) -> a + b).blockingGet();
        }
    }

    /** Stops the loop. */
    @TearDown(Level.Trial)
    public void tearDown() {
        loops.close();
    }

    /**
     * {@value #N} elements through the floor, the old and the new {@code mapJobs}, in rotating
     * order, each timed on its own.
     *
     * @param runs where the timings go
     * @return the sums of the results, checked
     */
    @Benchmark
    @OperationsPerInvocation(3 * N)
    public long mapJobs(Runs runs) {
        turn = (turn + 1) % 3;
        long sum = 0;
        for (int k = 0; k < 3; k++) {
            int which = (turn + k) % 3;
            sum += run(which == 0 ? floorRun : which == 1 ? oldRun : newRun, runs, which);
        }
        runs.done();
        return sum;
    }

    private long run(LongSupplier pipeline, Runs runs, int which) {
        long cpu0 = THREADS.getThreadCpuTime(loopThreadId);
        long t0 = System.nanoTime();
        long sum = pipeline.getAsLong();
        long wall = System.nanoTime() - t0;
        long cpu = THREADS.getThreadCpuTime(loopThreadId) - cpu0;
        if (sum != SUM) {
            throw new IllegalStateException("wrong sum " + sum);
        }
        runs.record(which, cpu, wall);
        return sum;
    }

    /** The floor: {@value #N} jobs launched straight from the loop, {@value #MAX_IN_FLIGHT} at a time. */
    private long floor(Function<Integer, JobFunction<Integer>> fn, JobOptions options) {
        Floor floor = new Floor(fn, options);
        loops.loop(0).execute(floor::start);
        return floor.result.join();
    }

    /** One floor run: one observer for all its jobs (loop thread only). */
    private static final class Floor implements JobObserver<Integer> {
        final CompletableFuture<Long> result = new CompletableFuture<>();
        final Function<Integer, JobFunction<Integer>> fn;
        final JobOptions options;
        int next;
        int done;
        long sum;

        Floor(Function<Integer, JobFunction<Integer>> fn, JobOptions options) {
            this.fn = fn;
            this.options = options;
        }

        void start() {
            for (int k = 0; k < MAX_IN_FLIGHT && next < N; k++) {
                launchNext();
            }
        }

        void launchNext() {
            AsyncJobs.launch(fn.apply(next++), options, this);
        }

        @Override
        public void onSuccess(Integer value) {
            sum += value;
            if (++done == N) {
                result.complete(sum);
            } else if (next < N) {
                launchNext();
            }
        }

        @Override
        public void onFailure(Throwable error) {
            result.completeExceptionally(error);
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

    /**
     * The timings of one iteration (JMH secondary results, reported per iteration as they are):
     * per element, medians over the iteration's invocations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Runs {
        private static final int MAX = 1 << 16;
        /** [floor, old, new][invocation]. */
        final long[][] cpu = new long[3][MAX];
        final long[][] wall = new long[3][MAX];
        int n;

        /** Starts the iteration's record. */
        @Setup(Level.Iteration)
        public void reset() {
            n = 0;
        }

        void record(int which, long cpuNs, long wallNs) {
            if (n < MAX) {
                cpu[which][n] = cpuNs;
                wall[which][n] = wallNs;
            }
        }

        void done() {
            if (n < MAX) {
                n++;
            }
        }

        /**
         * The floor (jobs launched straight, no stage): the loop thread's CPU ns per element.
         *
         * @return ns (median)
         */
        public double floorCpuNs() {
            return median(i -> cpu[0][i]) / N;
        }

        /**
         * The old {@code mapJobs}: the loop thread's CPU ns per element.
         *
         * @return ns (median)
         */
        public double oldCpuNs() {
            return median(i -> cpu[1][i]) / N;
        }

        /**
         * The new {@code mapJobs}: the loop thread's CPU ns per element.
         *
         * @return ns (median)
         */
        public double newCpuNs() {
            return median(i -> cpu[2][i]) / N;
        }

        /**
         * The old {@code mapJobs}: wall ns per element.
         *
         * @return ns (median)
         */
        public double oldWallNs() {
            return median(i -> wall[1][i]) / N;
        }

        /**
         * The new {@code mapJobs}: wall ns per element.
         *
         * @return ns (median)
         */
        public double newWallNs() {
            return median(i -> wall[2][i]) / N;
        }

        /**
         * New over old, CPU time, per invocation.
         *
         * @return the median ratio
         */
        public double cpuRatio() {
            return median(i -> (double) cpu[2][i] / Math.max(1, cpu[1][i]));
        }

        /**
         * New over old, wall time, per invocation.
         *
         * @return the median ratio
         */
        public double wallRatio() {
            return median(i -> (double) wall[2][i] / Math.max(1, wall[1][i]));
        }

        /**
         * The overhead ratio: (new - floor) / (old - floor), CPU time, per invocation.
         *
         * @return the median ratio
         */
        public double overheadRatio() {
            return median(i -> (double) (cpu[2][i] - cpu[0][i]) / Math.max(1, cpu[1][i] - cpu[0][i]));
        }

        private double median(java.util.function.IntToDoubleFunction f) {
            if (n == 0) {
                return 0;
            }
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = f.applyAsDouble(i);
            }
            Arrays.sort(v);
            return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        }
    }
}
