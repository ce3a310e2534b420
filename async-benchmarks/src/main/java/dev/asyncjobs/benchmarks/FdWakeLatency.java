package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * fd readable -> job resumed, one timestamp pair per wake-up, timed exactly as the native
 * baseline's {@code native.epoll_wake}: a writer thread waits until the reader thread is asleep in
 * the kernel (a flag the reader sets just before it blocks, then task state {@code S} in
 * {@code /proc/self/task/TID/stat}), busy-waits {@code --settle-us} more (so the reader's CPU is
 * really idle; sleeping instead would make the scheduler wake the reader on the writer's CPU),
 * takes a timestamp and writes one byte to a pipe; the reader takes a timestamp first thing when it
 * runs again. Reader and writer are pinned to two different CPUs with {@code taskset}.
 *
 * <ul>
 *   <li>{@code raw}: the floor. A platform thread blocked in {@link Selector#select()} on the pipe;
 *       the timestamp is taken as {@code select} returns. Metric {@code java.fd_wake.raw_selector}.</li>
 *   <li>{@code loop}: the product. A job launched with {@link AsyncJobs#launch} on a one-thread
 *       {@link JobLoopGroup} sets the pipe as its wait fd and pauses; the loop blocks in its own
 *       selector, wakes, and resumes the job, which takes the timestamp as {@code pause()} returns.
 *       Metric {@code java.fd_wake.job_loop} (continuation backend) or
 *       {@code java.fd_wake.job_loop_vt} (virtual-thread backend).</li>
 * </ul>
 * Modes alternate round by round in one JVM so both see the same machine state; a warm-up round
 * of each is discarded.
 *
 * <pre>
 * java [--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED] -cp benchmarks.jar \
 *     dev.asyncjobs.benchmarks.FdWakeLatency --out target/fdwake.metrics.jsonl \
 *     [--modes raw,loop] [--rounds 5] [--samples 4000] [--warmup 2000] [--settle-us 50] [--no-pin]
 * </pre>
 */
public final class FdWakeLatency {
    private final int settleUs;
    private final int cpuReader;
    private final int cpuWriter;
    private boolean pinned;

    private FdWakeLatency(int settleUs, boolean pin) {
        this.settleUs = settleUs;
        List<Integer> cpus = pin ? Threads.allowedCpus() : List.of();
        cpuReader = cpus.size() >= 2 ? cpus.get(0) : -1;
        cpuWriter = cpus.size() >= 2 ? cpus.get(1) : -1;
    }

    /**
     * Runs the measurement.
     *
     * @param args see the class comment
     * @throws Exception on any failure (the run must not report a partial figure)
     */
    public static void main(String[] args) throws Exception {
        Path out = Path.of("target/fdwake.metrics.jsonl");
        List<String> modes = List.of("raw", "loop");
        int rounds = 5;
        int samples = 4000;
        int warmup = 2000;
        int settle = 50;
        boolean pin = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--modes" -> modes = List.of(args[++i].split(","));
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--settle-us" -> settle = Integer.parseInt(args[++i]);
                case "--no-pin" -> pin = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        FdWakeLatency m = new FdWakeLatency(settle, pin);
        String loopMetric = AsyncJob.backend().equals(Backends.CONTINUATION)
                ? "java.fd_wake.job_loop" : "java.fd_wake.job_loop_vt";
        List<double[]> rawRounds = new ArrayList<>();
        List<double[]> loopRounds = new ArrayList<>();
        try (JobLoopGroup group = modes.contains("loop")
                ? JobLoopGroup.builder().threads(1).name("fdw-loop").build() : null) {
            int loopTid = -1;
            if (group != null) {
                CompletableFuture<Integer> tid = new CompletableFuture<>();
                group.loop(0).execute(() -> tid.complete(Threads.selfTid()));
                loopTid = tid.get(10, TimeUnit.SECONDS);
                if (m.cpuReader >= 0) {
                    m.pinned = Threads.pin(loopTid, m.cpuReader);
                }
            }
            for (int r = -1; r < rounds; r++) {
                int n = r < 0 ? warmup : samples;
                if (modes.contains("raw")) {
                    double[] v = m.raw(n);
                    if (r >= 0) {
                        rawRounds.add(v);
                    }
                }
                if (group != null) {
                    double[] v = m.loop(group, loopTid, n);
                    if (r >= 0) {
                        loopRounds.add(v);
                    }
                }
            }
        }
        if (!rawRounds.isEmpty()) {
            m.emit(out, "java.fd_wake.raw_selector", rawRounds,
                    "pipe write -> a platform thread blocked in java.nio Selector.select() returns");
        }
        if (!loopRounds.isEmpty()) {
            m.emit(out, loopMetric, loopRounds, "pipe write -> job paused on its wait fd resumed by its job loop ("
                    + AsyncJob.backend() + " backend)");
        }
    }

    private void emit(Path out, String metric, List<double[]> rounds, String description) throws IOException {
        int total = rounds.stream().mapToInt(a -> a.length).sum();
        double[] all = new double[total];
        int k = 0;
        StringBuilder medians = new StringBuilder();
        for (double[] round : rounds) {
            System.arraycopy(round, 0, all, k, round.length);
            k += round.length;
            double[] sorted = round.clone();
            Arrays.sort(sorted);
            medians.append(medians.isEmpty() ? "" : ",")
                    .append(String.format(Locale.ROOT, "%.1f", Metrics.pct(sorted, 0.5)));
        }
        String extra = "\"fd\":\"pipe\",\"backend\":\"" + AsyncJob.backend() + "\",\"settle_us\":" + settleUs
                + ",\"reader_cpu\":" + (pinned ? cpuReader : -1) + ",\"writer_cpu\":" + (pinned ? cpuWriter : -1)
                + ",\"rounds\":" + rounds.size() + ",\"round_medians\":[" + medians + "]"
                + ",\"jdk\":\"" + Runtime.version() + "\"";
        Metrics.append(out, metric, "ns", all, true, extra, description);
    }

    // ---------------------------------------------------------------- raw selector

    private double[] raw(int n) throws Exception {
        long[] tWrite = new long[n];
        long[] tResume = new long[n];
        AtomicLong armed = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CompletableFuture<Integer> readerTid = new CompletableFuture<>();
        Pipe pipe = Pipe.open();
        try (Selector selector = Selector.open(); Pipe.SourceChannel source = pipe.source();
                Pipe.SinkChannel sink = pipe.sink()) {
            source.configureBlocking(false);
            source.register(selector, SelectionKey.OP_READ);
            Thread reader = new Thread(() -> {
                try {
                    readerTid.complete(Threads.selfTid());
                    ByteBuffer in = ByteBuffer.allocate(64);
                    for (int i = 0; i < n; i++) {
                        armed.set(i + 1);
                        int ready;
                        do {
                            ready = selector.select();
                        } while (ready == 0);
                        tResume[i] = System.nanoTime();
                        selector.selectedKeys().clear();
                        while (source.read(in.clear()) > 0) {
                            // drain
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                    readerTid.completeExceptionally(t);
                }
            }, "fdw-raw");
            reader.start();
            int tid = readerTid.get(10, TimeUnit.SECONDS);
            boolean ok = cpuReader < 0 || Threads.pin(tid, cpuReader);
            pinned = cpuReader >= 0 && ok;
            write(tid, n, armed, tWrite, sink, failure);
            reader.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("raw selector reader failed", failure.get());
        }
        return latencies(tWrite, tResume);
    }

    // ---------------------------------------------------------------- job loop

    private double[] loop(JobLoopGroup group, int loopTid, int n) throws Exception {
        long[] tWrite = new long[n];
        long[] tResume = new long[n];
        AtomicLong armed = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CompletableFuture<Object> done = new CompletableFuture<>();
        Pipe pipe = Pipe.open();
        Object key = new Object();
        try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
            source.configureBlocking(false);
            AsyncJobs.launch(() -> {
                AsyncJob.current().waitCtx().setWaitFd(key, source, null, null);
                ByteBuffer in = ByteBuffer.allocate(64);
                for (int i = 0; i < n; i++) {
                    armed.set(i + 1);
                    if (!AsyncJob.pause()) {
                        throw new IllegalStateException("pause() returned false at sample " + i);
                    }
                    tResume[i] = System.nanoTime();
                    int got = 0;
                    int k;
                    while ((k = source.read(in.clear())) > 0) {
                        got += k;
                    }
                    if (got == 0) {
                        throw new IllegalStateException("resumed with nothing to read at sample " + i);
                    }
                }
                return n;
            }, JobOptions.builder().loops(group).build(), new JobObserver<Integer>() {
                @Override
                public void onSuccess(Integer value) {
                    done.complete(value);
                }

                @Override
                public void onFailure(Throwable error) {
                    failure.set(error);
                    done.completeExceptionally(error);
                }
            });
            write(loopTid, n, armed, tWrite, sink, failure);
            done.get(60, TimeUnit.SECONDS);
        }
        return latencies(tWrite, tResume);
    }

    // ---------------------------------------------------------------- writer

    /** Runs the writer on its own thread (pinned to the writer CPU) and waits for it. */
    private void write(int readerTid, int n, AtomicLong armed, long[] tWrite, Pipe.SinkChannel sink,
            AtomicReference<Throwable> failure) throws Exception {
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        CompletableFuture<Integer> writerTid = new CompletableFuture<>();
        CompletableFuture<Void> go = new CompletableFuture<>();
        Thread writer = new Thread(() -> {
            try (Threads.StateProbe probe = new Threads.StateProbe(readerTid)) {
                writerTid.complete(Threads.selfTid());
                go.get();
                ByteBuffer one = ByteBuffer.allocate(1);
                long settleNanos = settleUs * 1000L;
                for (int i = 0; i < n; i++) {
                    while (armed.get() != i + 1) {
                        if (failure.get() != null) {
                            return;
                        }
                        Thread.onSpinWait();
                    }
                    while (!probe.sleeping()) {
                        Thread.onSpinWait();
                    }
                    long until = System.nanoTime() + settleNanos;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    tWrite[i] = System.nanoTime();
                    one.clear().put((byte) 1).flip();
                    if (sink.write(one) != 1) {
                        throw new IllegalStateException("short write");
                    }
                }
            } catch (Throwable t) {
                writerFailure.set(t);
                writerTid.completeExceptionally(t);
            }
        }, "fdw-writer");
        writer.start();
        int tid = writerTid.get(10, TimeUnit.SECONDS);
        if (cpuWriter >= 0 && !Threads.pin(tid, cpuWriter)) {
            pinned = false;
        }
        go.complete(null);
        writer.join();
        if (writerFailure.get() != null) {
            throw new IllegalStateException("writer failed", writerFailure.get());
        }
        if (failure.get() != null) {
            throw new IllegalStateException("reader failed", failure.get());
        }
    }

    private static double[] latencies(long[] tWrite, long[] tResume) {
        double[] v = new double[tWrite.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = tResume[i] - tWrite[i];
            if (v[i] <= 0) {
                throw new IllegalStateException("sample " + i + " resumed before its write: " + v[i] + " ns");
            }
        }
        return v;
    }
}
