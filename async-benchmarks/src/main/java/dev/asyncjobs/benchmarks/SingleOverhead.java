package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.rxjava.AsyncSingle;
import io.reactivex.rxjava3.core.Single;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The RxJava twin of {@link MonoOverhead}'s single-subscription case (for information; no target):
 * {@link AsyncSingle} of a never-pausing job against
 * {@code Single.fromCallable(f).subscribeOn(Schedulers.computation())}, subscribe -> value.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class SingleOverhead {
    private static final Integer VALUE = 42;
    private static final JobFunction<Integer> JOB = () -> VALUE;
    private static final Callable<Integer> CALL = () -> VALUE;

    private final Single<Integer> asyncSingle = AsyncSingle.fromJob(JOB);
    private final Single<Integer> fromCallable = Single.fromCallable(CALL).subscribeOn(Schedulers.computation());

    /** Checks the backend and starts both thread pools. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(Backends.CONTINUATION);
        JobLoopGroup.shared();
        Schedulers.computation().start();
    }

    /**
     * One never-pausing job through {@link AsyncSingle}.
     *
     * @return the value
     */
    @Benchmark
    public Integer asyncSingle() {
        return check(asyncSingle.blockingGet());
    }

    /**
     * The same call through {@code Single.fromCallable(f).subscribeOn(computation())}.
     *
     * @return the value
     */
    @Benchmark
    public Integer fromCallableSubscribeOn() {
        return check(fromCallable.blockingGet());
    }

    private static Integer check(Integer v) {
        if (v != VALUE) {
            throw new IllegalStateException("wrong value " + v);
        }
        return v;
    }
}
