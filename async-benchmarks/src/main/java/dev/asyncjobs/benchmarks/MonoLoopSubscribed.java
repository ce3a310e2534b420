package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.reactor.AsyncMono;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import reactor.core.publisher.Mono;

/**
 * A Mono subscribed on a job loop thread (outside a job) starts its job inline: no hop, the value
 * arrives before {@code subscribe} returns. Each invocation runs one task on the loop that
 * subscribes {@value #BATCH} times and counts the subscriptions whose job did not run on the
 * subscribing thread or whose value had not arrived when {@code subscribe} returned (secondary
 * metric {@code hops}, which must stay 0). The baseline is {@code Mono.fromCallable(f)} subscribed
 * on the same thread, the cheapest inline Mono there is.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class MonoLoopSubscribed {
    static final int BATCH = 100;
    private static final Integer VALUE = 42;

    private JobLoopGroup group;
    private JobLoop loop;
    private JobOptions options;

    /** Counts subscriptions that hopped, per iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Hops {
        /** Subscriptions whose job did not start inline on the subscribing loop thread. */
        public long hops;

        /** Clears the count. */
        @Setup(Level.Iteration)
        public void reset() {
            hops = 0;
        }
    }

    /** A one-loop group of our own, so the subscribing thread is known. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(Backends.CONTINUATION);
        group = JobLoopGroup.builder().threads(1).name("bench-loop").build();
        loop = group.loop(0);
        options = JobOptions.builder().loops(group).build();
    }

    /** Stops the loop. */
    @TearDown(Level.Trial)
    public void tearDown() {
        group.close();
    }

    /**
     * {@value #BATCH} {@link AsyncMono} subscriptions made on the loop thread.
     *
     * @param hops the counter
     * @return the hops of this batch
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int asyncMono(Hops hops) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        loop.execute(() -> {
            Thread here = Thread.currentThread();
            int hopped = 0;
            for (int i = 0; i < BATCH; i++) {
                Thread[] ran = new Thread[1];
                Integer[] got = new Integer[1];
                AsyncMono.fromJob(() -> {
                    ran[0] = Thread.currentThread();
                    return VALUE;
                }, options).subscribe(v -> got[0] = v);
                if (ran[0] != here || got[0] != VALUE) {
                    hopped++;
                }
            }
            done.complete(hopped);
        });
        int h = done.join();
        hops.hops += h;
        return h;
    }

    /**
     * {@value #BATCH} {@code Mono.fromCallable(f)} subscriptions made on the loop thread.
     *
     * @param hops the counter
     * @return the hops of this batch
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fromCallable(Hops hops) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        loop.execute(() -> {
            Thread here = Thread.currentThread();
            int hopped = 0;
            for (int i = 0; i < BATCH; i++) {
                Thread[] ran = new Thread[1];
                Integer[] got = new Integer[1];
                Mono.fromCallable(() -> {
                    ran[0] = Thread.currentThread();
                    return VALUE;
                }).subscribe(v -> got[0] = v);
                if (ran[0] != here || got[0] != VALUE) {
                    hopped++;
                }
            }
            done.complete(hopped);
        });
        int h = done.join();
        hops.hops += h;
        return h;
    }
}
