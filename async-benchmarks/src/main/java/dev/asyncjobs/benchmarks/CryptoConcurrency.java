package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.crypto.CryptoPolicy;
import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.reactor.AsyncFlux;
import dev.asyncjobs.reactor.JobLoopScheduler;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * 10,000 concurrent crypto requests, two ways, alternating round by round in one JVM:
 * <ul>
 *   <li>{@code engine}: {@code AsyncFlux.mapJobs(requests, i -> () -> crypto.sign(...), maxInFlight)}
 *       on the shared job loops, an {@link OffloadEngine} of one device thread per core and
 *       maxInFlight 64 per device thread (the engine's queue holds them all);</li>
 *   <li>{@code bounded_elastic}: the naive way, every request
 *       {@code Mono.fromCallable(work(i)).subscribeOn(Schedulers.boundedElastic())}, all 10,000
 *       subscribed at once ({@code flatMap} with concurrency 10,000).</li>
 * </ul>
 * All requests arrive at once; a request's latency is from then to its value. Per way: throughput
 * (requests / makespan, one sample per round), latency (every request of every round; p99 is what
 * the report quotes), threads used (the distinct threads that ran any part of a request: job loops
 * and device threads, or boundedElastic workers; the JVM's peak thread count is in the extras) and heap held while the requests are in flight (a separate pass: live heap after
 * a full GC once a tenth of the requests have completed, minus before).
 *
 * <pre>
 * java -Xms2g -Xmx2g -XX:+AlwaysPreTouch --add-exports=java.base/jdk.internal.vm=ALL-UNNAMED -cp benchmarks.jar \
 *     dev.asyncjobs.benchmarks.CryptoConcurrency --op ecdsa-p256-sign [--requests 10000] [--rounds 3] \
 *     --out target/crypto.metrics.jsonl
 * </pre>
 * Writes {@code java.crypto10k.OP.WAY.{throughput,latency,threads,heap}}. A fixed, pre-touched heap
 * (as {@code run.sh} gives it) keeps the kernel's first-touch page faults out of the AES rounds.
 */
public final class CryptoConcurrency {
    /** Jobs alive at most: 64 per device thread, as in {@link CryptoThroughput}. */
    static final int MAX_IN_FLIGHT = Integer.getInteger("bench.maxInFlight",
            64 * Runtime.getRuntime().availableProcessors());

    private final CryptoWork work;
    private final int requests;
    private final OffloadEngine engine;
    private final AsyncCrypto crypto;

    private CryptoConcurrency(String op, int requests) {
        this.work = new CryptoWork(op);
        this.requests = requests;
        this.engine = OffloadEngine.builder().threads(Runtime.getRuntime().availableProcessors())
                .name("crypto-device").build();
        // like for like: both ways on the JDK's providers (no other provider is installed here)
        this.crypto = new AsyncCrypto(engine, CryptoPolicy.jdk());
    }

    /**
     * Runs the comparison.
     *
     * @param args {@code --op OP [--requests N] [--rounds R] --out FILE}
     * @throws Exception on any failure, including a wrong or missing result
     */
    public static void main(String[] args) throws Exception {
        String op = CryptoWork.ECDSA;
        int requests = 10_000;
        int rounds = 3;
        Path out = Path.of("target/crypto.metrics.jsonl");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--op" -> op = args[++i];
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Backends.require(Backends.CONTINUATION);
        CryptoConcurrency c = new CryptoConcurrency(op, requests);
        JobLoopScheduler.shared(); // AsyncFlux's default loops
        Schedulers.boundedElastic().init();
        String[] ways = {"engine", "bounded_elastic"};
        List<List<Double>> tput = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Double>> lat = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Double>> threads = List.of(new ArrayList<>(), new ArrayList<>());
        List<List<Double>> heap = List.of(new ArrayList<>(), new ArrayList<>());
        int[] peakJobs = new int[1];
        int[] jvmPeak = new int[2];
        for (int r = -1; r < rounds; r++) { // round -1 warms up
            for (int w = 0; w < 2; w++) {
                double[] l = new double[requests];
                Set<Thread> used = ConcurrentHashMap.newKeySet();
                long t0 = System.nanoTime();
                c.run(ways[w], t0, l, peakJobs, used);
                long t1 = System.nanoTime();
                // the job threads seen, plus the engine's device threads (they run the crypto inside
                // AsyncCrypto; with thousands of requests queued every one of them takes work)
                int peakThreads = used.size() + (ways[w].equals("engine") ? c.engine.threads() : 0);
                jvmPeak[w] = Math.max(jvmPeak[w], ManagementFactory.getThreadMXBean().getPeakThreadCount());
                double heapMb = c.heldHeap(ways[w]) / (1024.0 * 1024.0);
                if (r >= 0) {
                    tput.get(w).add(requests / ((t1 - t0) / 1e9));
                    for (double v : l) {
                        lat.get(w).add(v);
                    }
                    threads.get(w).add((double) peakThreads);
                    heap.get(w).add(heapMb);
                }
            }
        }
        c.engine.close();
        for (int w = 0; w < 2; w++) {
            String base = "java.crypto10k." + op + "." + ways[w];
            String extra = String.format(Locale.ROOT, "\"op\":\"%s\",\"way\":\"%s\",\"requests\":%d,\"rounds\":%d,"
                    + "\"device_threads\":%d,\"max_in_flight\":%d,\"peak_jobs_alive\":%d,\"cores\":%d,"
                    + "\"jvm_peak_threads\":%d",
                    op, ways[w], requests, rounds, c.engine.threads(), MAX_IN_FLIGHT, peakJobs[0],
                    Runtime.getRuntime().availableProcessors(), jvmPeak[w]);
            String how = ways[w].equals("engine") ? "OffloadEngine + AsyncFlux.mapJobs(maxInFlight " + MAX_IN_FLIGHT + ")"
                    : "Mono.fromCallable(work).subscribeOn(boundedElastic()), all subscribed at once";
            Metrics.append(out, base + ".throughput", "ops/s", toArray(tput.get(w)), false, extra,
                    requests + " concurrent " + op + " requests, " + how + ": requests / makespan, per round");
            Metrics.append(out, base + ".latency", "ms", toArray(lat.get(w)), true, extra,
                    requests + " concurrent " + op + " requests, " + how + ": arrival -> value, every request");
            Metrics.append(out, base + ".threads", "threads", toArray(threads.get(w)), false, extra,
                    requests + " concurrent " + op + " requests, " + how + ": distinct threads that ran any part of a request, per round");
            Metrics.append(out, base + ".heap", "MB", toArray(heap.get(w)), false, extra,
                    requests + " concurrent " + op + " requests, " + how
                            + ": live heap (full GC) with 90% of the requests still in flight minus before, per round");
        }
    }

    /** One pass: all requests at once; latencies (ms from t0) into {@code lat}. */
    private void run(String way, long t0, double[] lat, int[] peakJobs, Set<Thread> used) throws Exception {
        AtomicInteger done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Flux<Integer> requestsFlux = Flux.range(0, requests);
        Flux<byte[]> results;
        if (way.equals("engine")) {
            results = AsyncFlux.mapJobs(requestsFlux, i -> () -> {
                used.add(Thread.currentThread());
                byte[] b = work.async(crypto, i);
                lat[i] = (System.nanoTime() - t0) / 1e6;
                return b;
            }, MAX_IN_FLIGHT);
        } else {
            results = requestsFlux.flatMap(i -> Mono.fromCallable(() -> {
                used.add(Thread.currentThread());
                byte[] b = work.plain(i);
                lat[i] = (System.nanoTime() - t0) / 1e6;
                return b;
            }).subscribeOn(Schedulers.boundedElastic()), requests);
        }
        Long n = results.doOnNext(b -> {
            work.check(b);
            done.incrementAndGet();
            if (way.equals("engine")) {
                peakJobs[0] = Math.max(peakJobs[0], JobLoopScheduler.shared().group().liveJobs());
            }
        }).doOnError(failure::set).count().block();
        if (n == null || n != requests || done.get() != requests || failure.get() != null) {
            throw new IllegalStateException(way + ": " + n + " of " + requests + " completed", failure.get());
        }
    }

    /**
     * Heap held by the requests in flight (a separate, GC-disturbed pass): live heap after a full GC
     * once a tenth of the requests have completed (the rest in flight: queued tasks and their
     * subscribers for boundedElastic, at most maxInFlight jobs plus a lazy source for the engine),
     * minus before.
     */
    private long heldHeap(String way) throws Exception {
        long before = PausedJobMemory.liveHeap();
        AtomicInteger done = new AtomicInteger();
        Flux<Integer> requestsFlux = Flux.range(0, requests);
        Flux<byte[]> results;
        if (way.equals("engine")) {
            results = AsyncFlux.mapJobs(requestsFlux, i -> () -> work.async(crypto, i), MAX_IN_FLIGHT);
        } else {
            results = requestsFlux.flatMap(i -> Mono.fromCallable(() -> work.plain(i))
                    .subscribeOn(Schedulers.boundedElastic()), requests);
        }
        var sub = results.doOnNext(b -> done.incrementAndGet()).subscribe();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (done.get() < requests / 10 && System.nanoTime() < deadline) {
            Thread.sleep(0, 100_000);
        }
        long held = PausedJobMemory.liveHeap() - before;
        while (done.get() < requests && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        sub.dispose();
        if (done.get() != requests) {
            throw new IllegalStateException(way + ": heap pass completed only " + done.get());
        }
        return held;
    }

    private static double[] toArray(List<Double> l) {
        double[] a = new double[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }
}
