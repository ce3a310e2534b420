package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.reactor.JobLoopScheduler;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import reactor.core.Disposable;

/**
 * Heap held by 10,000 concurrently paused {@link AsyncMono}s, and proof that they all complete:
 * half wait on their own {@link WakeupFd} (a pipe, set as the job's wait fd, closed by its cleanup)
 * that another thread signals, half are woken through their ctx callback from another thread (the
 * QAT-style path). Live heap after a full GC with all of them paused, minus before they were
 * subscribed. Then all are woken; the run fails unless every Mono emitted its value, no fd is left
 * open and no job is left alive.
 *
 * <pre>
 * java --add-exports=java.base/jdk.internal.vm=ALL-UNNAMED -cp benchmarks.jar \
 *     dev.asyncjobs.benchmarks.PausedMonos [--monos 10000] [--rounds 3] --out target/monos.metrics.jsonl
 * </pre>
 * Writes {@code java.paused_monos_heap.N} (MB; one sample per round).
 */
public final class PausedMonos {
    private static final Object FD_KEY = new Object();

    private final int monos;
    private final AsyncWaitCtx[] ctxs;
    private final WakeupFd[] fds;
    private final AtomicInteger paused = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private PausedMonos(int monos) {
        this.monos = monos;
        this.ctxs = new AsyncWaitCtx[monos];
        this.fds = new WakeupFd[monos];
    }

    /**
     * Runs the measurement.
     *
     * @param args {@code [--monos N] [--rounds R] --out FILE}
     * @throws Exception on any failure, including a Mono that did not complete
     */
    public static void main(String[] args) throws Exception {
        int monos = 10_000;
        int rounds = 3;
        Path out = Path.of("target/monos.metrics.jsonl");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--monos" -> monos = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        JobLoopScheduler.shared(); // AsyncMono's default loops
        double[] mb = new double[rounds + 1];
        long t0 = System.nanoTime();
        int initialFds = openFds();
        int fdsBefore = 0;
        int threadsBefore = 0;
        for (int r = 0; r <= rounds; r++) { // round 0 warms up (and opens what the JDK opens lazily)
            mb[r] = new PausedMonos(monos).round() / (1024.0 * 1024.0);
            if (r == 0) {
                fdsBefore = settledFds(initialFds);
                threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        // a channel closed while registered with a selector is really closed at that selector's next
        // select, so the count may take a moment to come back down
        int fdsAfter = settledFds(fdsBefore);
        if (fdsAfter > fdsBefore) {
            throw new IllegalStateException("fds left open: " + fdsBefore + " before, " + fdsAfter + " after: "
                    + fdList());
        }
        double[] reported = java.util.Arrays.copyOfRange(mb, 1, mb.length);
        double[] sorted = reported.clone();
        java.util.Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        String extra = String.format(Locale.ROOT,
                "\"monos\":%d,\"rounds\":%d,\"all_completed\":true,\"fds_before\":%d,\"fds_after\":%d,"
                        + "\"threads_before\":%d,\"threads_after\":%d,\"bytes_per_mono\":%.1f,"
                        + "\"backend\":\"%s\",\"seconds\":%.3f,\"gc\":\"%s\"",
                monos, rounds, fdsBefore, fdsAfter, threadsBefore, ManagementFactory.getThreadMXBean().getThreadCount(),
                median * 1024 * 1024 / monos, AsyncJob.backend(), seconds, PausedJobMemory.gcNames());
        Metrics.append(out, "java.paused_monos_heap." + monos, "MB", reported, false, extra,
                "live heap after full GC with N AsyncMono subscriptions paused (half on a WakeupFd, half on"
                        + " the ctx callback) minus before; every one then completes; one sample per round");
        if (median <= 0) {
            throw new IllegalStateException("no heap growth measured");
        }
    }

    /** Subscribes, measures with all paused, wakes all, checks all completed; returns the heap delta. */
    private long round() throws Exception {
        CountDownLatch completed = new CountDownLatch(monos);
        AtomicInteger wrong = new AtomicInteger();
        Disposable[] subs = new Disposable[monos];
        long before = PausedJobMemory.liveHeap();
        for (int i = 0; i < monos; i++) {
            int slot = i;
            boolean onFd = (i & 1) == 0;
            subs[i] = AsyncMono.fromJob(() -> job(slot, onFd)).subscribe(v -> {
                if (v != slot) {
                    wrong.incrementAndGet();
                }
                completed.countDown();
            }, e -> {
                failure.compareAndSet(null, e);
                completed.countDown();
            });
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (paused.get() < monos) {
            if (System.nanoTime() > deadline || failure.get() != null) {
                throw new IllegalStateException("only " + paused.get() + " of " + monos + " paused", failure.get());
            }
            Thread.sleep(2);
        }
        long after = PausedJobMemory.liveHeap();
        // wake from another thread: half by signalling the fd, half through the ctx callback
        Thread waker = new Thread(() -> {
            for (int i = 0; i < monos; i++) {
                if (fds[i] != null) {
                    fds[i].signal();
                } else {
                    ctxs[i].getCallback().onWake(ctxs[i].getCallbackArg());
                }
            }
        }, "monos-waker");
        waker.start();
        waker.join();
        if (!completed.await(1, TimeUnit.MINUTES) || failure.get() != null || wrong.get() != 0) {
            throw new IllegalStateException(completed.getCount() + " Monos did not complete, " + wrong.get()
                    + " wrong values", failure.get());
        }
        long liveDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (JobLoopScheduler.shared().group().liveJobs() > 0) {
            if (System.nanoTime() > liveDeadline) {
                throw new IllegalStateException(JobLoopScheduler.shared().group().liveJobs() + " jobs still alive");
            }
            Thread.sleep(1);
        }
        if (subs[0] == null) {
            throw new IllegalStateException("no subscription");
        }
        return after - before;
    }

    private Integer job(int slot, boolean onFd) {
        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
        if (onFd) {
            WakeupFd fd = WakeupFd.open();
            ctx.setWaitFd(FD_KEY, fd.channel(), fd, (c, k, ch, data) -> ((WakeupFd) data).close());
            fds[slot] = fd;
            paused.incrementAndGet();
            do {
                if (!AsyncJob.pause()) {
                    throw new IllegalStateException("cancelled");
                }
            } while (!fd.drain()); // a spurious wake pauses again
        } else {
            ctxs[slot] = ctx;
            paused.incrementAndGet();
            if (!AsyncJob.pause()) {
                throw new IllegalStateException("cancelled");
            }
        }
        return slot;
    }

    /** The open fd count once it is at most {@code target}, or the last count after 10 s. */
    private static int settledFds(int target) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int n = openFds();
        while (n > target && System.nanoTime() < deadline) {
            Thread.sleep(20);
            n = openFds();
        }
        return n;
    }

    private static String fdList() throws IOException {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    b.append(p.getFileName()).append("->").append(Files.readSymbolicLink(p)).append(' ');
                } catch (IOException e) {
                    b.append(p.getFileName()).append("->? ");
                }
            }
        }
        return b.toString();
    }

    private static int openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }
}
