package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.reactor.JobLoopScheduler;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * What {@link AsyncMono} costs for a job that never pauses, against the plain Reactor way of running
 * a call on another thread, {@code Mono.fromCallable(f).subscribeOn(Schedulers.parallel())}. Both
 * hop from the benchmark thread to another thread (a job loop of the shared group, one per core;
 * a worker of {@code parallel()}, one per core) and back.
 *
 * <ul>
 *   <li>{@code asyncMono} / {@code fromCallableSubscribeOn}: one subscription at a time,
 *       subscribe -> value ({@code block()}).</li>
 *   <li>{@code asyncMonoMany} / {@code fromCallableSubscribeOnMany}: {@value #MANY} subscriptions
 *       in flight ({@code flatMap} with concurrency {@value #MANY}), time per job: a loop should
 *       drain many starts per wake-up.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class MonoOverhead {
    static final int MANY = 1000;
    private static final Integer VALUE = 42;
    private static final JobFunction<Integer> JOB = () -> VALUE;
    private static final Callable<Integer> CALL = () -> VALUE;

    private final Mono<Integer> asyncMono = AsyncMono.fromJob(JOB);
    private final Mono<Integer> fromCallable = Mono.fromCallable(CALL).subscribeOn(Schedulers.parallel());
    private final Mono<Long> asyncMany = Flux.range(0, MANY).flatMap(i -> asyncMono, MANY).count();
    private final Mono<Long> fromCallableMany = Flux.range(0, MANY).flatMap(i -> fromCallable, MANY).count();

    /** Checks the backend and starts both thread pools before the first measurement. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(Backends.CONTINUATION);
        JobLoopScheduler.shared(); // AsyncMono's default loops
        Schedulers.parallel().init();
    }

    /**
     * One never-pausing job through {@link AsyncMono}.
     *
     * @return the value
     */
    @Benchmark
    public Integer asyncMono() {
        return check(asyncMono.block());
    }

    /**
     * The same call through {@code Mono.fromCallable(f).subscribeOn(parallel())}.
     *
     * @return the value
     */
    @Benchmark
    public Integer fromCallableSubscribeOn() {
        return check(fromCallable.block());
    }

    /**
     * {@value #MANY} never-pausing jobs in flight through {@link AsyncMono}.
     *
     * @return how many completed
     */
    @Benchmark
    @OperationsPerInvocation(MANY)
    public long asyncMonoMany() {
        return checkCount(asyncMany.block());
    }

    /**
     * {@value #MANY} calls in flight through {@code fromCallable(f).subscribeOn(parallel())}.
     *
     * @return how many completed
     */
    @Benchmark
    @OperationsPerInvocation(MANY)
    public long fromCallableSubscribeOnMany() {
        return checkCount(fromCallableMany.block());
    }

    private static Integer check(Integer v) {
        if (v != VALUE) {
            throw new IllegalStateException("wrong value " + v);
        }
        return v;
    }

    private static long checkCount(Long n) {
        if (n == null || n != MANY) {
            throw new IllegalStateException("only " + n + " of " + MANY + " completed");
        }
        return n;
    }
}
