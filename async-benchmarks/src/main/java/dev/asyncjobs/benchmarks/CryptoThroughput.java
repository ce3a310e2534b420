package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.CryptoPolicy;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.reactor.AsyncFlux;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Crypto throughput through the offload engine and {@link AsyncFlux#mapJobs} against the plain JCA
 * on the same number of threads ({@value #DEVICE_THREADS}, one per core here). One invocation does
 * {@value #BATCH} requests. Amazon Corretto Crypto Provider is registered last (as an application
 * would), and {@link AsyncCrypto} routes with {@link CryptoPolicy#fastest()}: ECDSA and Ed25519 on
 * ACCP, AES-GCM on the JDK's SunJCE, 16 KiB of it inline in the job.
 *
 * <ul>
 *   <li>{@code engineMapJobs}: {@code mapJobs(Flux.range(0, BATCH), i -> () -> crypto.sign(...),
 *       MAX_IN_FLIGHT)} ({@link AsyncCrypto}) on the shared job loops; an engine of
 *       {@value #DEVICE_THREADS} device threads does the crypto (or the job itself, for work
 *       under the inline limit). At most {@link #MAX_IN_FLIGHT} jobs are alive; no thread per
 *       request.</li>
 *   <li>{@code engineMapJobsNoInline}: the same with every operation handed to the engine
 *       ({@link CryptoPolicy.Builder#neverInline()}): what the inline path saves (AES-GCM only;
 *       signatures never run inline).</li>
 *   <li>{@code plainJca}: {@value #DEVICE_THREADS} platform threads each doing their share of the
 *       batch in a loop with the same JCA calls on the JDK's provider: what plain JCA code runs
 *       today, with no framework at all.</li>
 *   <li>{@code plainDirect}: the same on the provider {@code AsyncCrypto} chose (ACCP for the
 *       signatures): the same provider called directly, the best the same threads can do.</li>
 *   <li>{@code reactorPlainJca} (a diagnostic, not a target's baseline): the same Reactor pipeline
 *       as {@code engineMapJobs} ({@code flatMapSequential} with {@link #MAX_IN_FLIGHT} in flight,
 *       the same {@code doOnNext} check) with no job and no engine: each request is
 *       {@code Mono.fromCallable(direct JCA).subscribeOn(parallel)} on a Reactor scheduler of
 *       {@value #DEVICE_THREADS} threads, on the chosen provider. It tells the pipeline's own cost
 *       per request apart from what the jobs and the engine add.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {Backends.CONTINUATION_FLAG, "--enable-native-access=ALL-UNNAMED",
    // a fixed, pre-touched heap: a growing one faults in fresh pages under the AES rows (CryptoTargets)
    "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class CryptoThroughput {
    static final int DEVICE_THREADS = 2;
    static final int BATCH = 1000;

    /**
     * Jobs alive at most: 64 per device thread (the figures in RESULTS.md were taken with it)
     * unless {@code -Dbench.maxInFlight} says otherwise; the engine's queue (256 per device thread
     * by default) holds them all. More jobs than the queue holds only adds jobs that wait for room,
     * and each of those costs a wake-up when a device thread takes a call (what twice the queue's
     * worth in flight cost AES-GCM: RESULTS.md, figures behind choices in the source).
     */
    static final int MAX_IN_FLIGHT = Integer.getInteger("bench.maxInFlight", 64 * DEVICE_THREADS);

    /** The operation. */
    @Param({CryptoWork.ECDSA, CryptoWork.ED25519, CryptoWork.AES})
    public String op;

    private CryptoWork work;
    private OffloadEngine engine;
    private AsyncCrypto crypto;
    private AsyncCrypto cryptoNoInline;
    private ExecutorService plain;
    private Scheduler reactorPlain;

    /** Keys, the engine and the plain threads. */
    @Setup(Level.Trial)
    public void setUp() {
        Backends.require(Backends.CONTINUATION);
        if (!CryptoProviders.installAccp()) {
            throw new IllegalStateException("ACCP did not load: the provider comparison needs it");
        }
        CryptoPolicy fastest = CryptoPolicy.fastest();
        work = new CryptoWork(op, fastest);
        engine = OffloadEngine.builder().threads(DEVICE_THREADS).name("bench-device").build();
        crypto = new AsyncCrypto(engine, fastest);
        cryptoNoInline = new AsyncCrypto(engine, CryptoPolicy.builder().neverInline().build());
        System.out.println("# " + op + " providers (JDK / chosen): " + work.providers());
        plain = Executors.newFixedThreadPool(DEVICE_THREADS);
        reactorPlain = Schedulers.newParallel("bench-plain", DEVICE_THREADS, true);
        JobLoopGroup.shared();
    }

    /** Stops the engine and the plain threads. */
    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        engine.close();
        plain.shutdown();
        plain.awaitTermination(10, TimeUnit.SECONDS);
        reactorPlain.dispose();
    }

    /**
     * {@value #BATCH} requests through the same pipeline as {@link #engineMapJobs}, with the plain
     * JCA on {@value #DEVICE_THREADS} Reactor threads and no job (the diagnostic above).
     *
     * @return requests completed
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long reactorPlainJca() {
        return checkedBatch(Flux.range(0, BATCH)
                .flatMapSequential(i -> Mono.fromCallable(() -> work.direct(i)).subscribeOn(reactorPlain),
                        MAX_IN_FLIGHT, 1));
    }

    /** Checks every result of one batch, waits for the batch and makes sure none is missing. */
    private long checkedBatch(Flux<byte[]> results) {
        Long n = results.doOnNext(work::check).count().block();
        if (n == null || n != BATCH) {
            throw new IllegalStateException("only " + n + " of " + BATCH + " completed");
        }
        return n;
    }

    /**
     * {@value #BATCH} requests through the engine and {@code mapJobs}.
     *
     * @return requests completed
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long engineMapJobs() {
        return checkedBatch(AsyncFlux.mapJobs(Flux.range(0, BATCH), i -> () -> work.async(crypto, i), MAX_IN_FLIGHT));
    }

    /**
     * {@value #BATCH} requests through the engine and {@code mapJobs}, nothing inline.
     *
     * @return requests completed
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long engineMapJobsNoInline() {
        return checkedBatch(AsyncFlux.mapJobs(Flux.range(0, BATCH), i -> () -> work.async(cryptoNoInline, i),
                MAX_IN_FLIGHT));
    }

    /**
     * {@value #BATCH} requests on {@value #DEVICE_THREADS} plain threads, the JDK's provider.
     *
     * @return requests completed
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long plainJca() throws Exception {
        return onPlainThreads(false);
    }

    /**
     * {@value #BATCH} requests on {@value #DEVICE_THREADS} plain threads, the provider
     * {@code AsyncCrypto} chose.
     *
     * @return requests completed
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long plainDirect() throws Exception {
        return onPlainThreads(true);
    }

    private long onPlainThreads(boolean direct) throws Exception {
        List<Future<Integer>> parts = new ArrayList<>(DEVICE_THREADS);
        for (int t = 0; t < DEVICE_THREADS; t++) {
            int from = t * BATCH / DEVICE_THREADS;
            int to = (t + 1) * BATCH / DEVICE_THREADS;
            parts.add(plain.submit(() -> {
                for (int i = from; i < to; i++) {
                    work.check(direct ? work.direct(i) : work.plain(i));
                }
                return to - from;
            }));
        }
        long n = 0;
        for (Future<Integer> f : parts) {
            n += f.get();
        }
        return n;
    }
}
