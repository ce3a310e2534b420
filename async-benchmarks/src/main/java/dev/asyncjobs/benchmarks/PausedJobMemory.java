package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.StartStatus;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Heap held per paused job: live heap after a full GC ({@link java.lang.management.MemoryMXBean},
 * after {@code System.gc()}) with N jobs paused, minus the same before they started, divided by N.
 * One JVM per count (run.sh starts a fresh one for each), as the native baseline forks a fresh
 * process per count; within it, several rounds (each from an empty pool) and the median is
 * reported with the spread. Everything the measurement itself needs (the arrays that keep the
 * handles) is allocated before the first reading, and every job is resumed to its end afterwards
 * and checked, so the figure is for real, resumable jobs.
 *
 * <p>Warm-up: jobs run the same code until it is compiled, then one discarded round (of at most
 * 100k jobs) goes through the measured path. A paused continuation's stack is copied to the heap in
 * the frame format of the moment, and interpreted or C1 frames are larger than C2 ones (how much
 * larger the first round after only the warm-up was: RESULTS.md, figures behind choices in the
 * source); a server's jobs run fully compiled code.
 *
 * <ul>
 *   <li>{@code job}: {@code AsyncJob.start} on this thread (unlimited pool), one {@link JobHandle}
 *       per job, one wait ctx shared by all: what the native baseline measures (its jobs are
 *       started with a NULL ctx). The job plus its handle.</li>
 *   <li>{@code ctx}: the same with a new {@link AsyncWaitCtx} per job.</li>
 *   <li>{@code loop}: {@link AsyncJobs#launch} on a one-thread job loop group, each job paused
 *       waiting for its ctx callback: everything a launched job holds (runner, handle, ctx, job).
 *       The ctxs are kept in a pre-sized array to wake the jobs through their callbacks.</li>
 * </ul>
 *
 * <pre>
 * java [--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED] -Xmx6g -cp benchmarks.jar \
 *     dev.asyncjobs.benchmarks.PausedJobMemory --jobs 100000 --kind job [--rounds 3] \
 *     [--warmup 50000] --out target/memory.metrics.jsonl
 * </pre>
 * Writes metric {@code java.paused_job_heap.BACKEND.KIND.N} (B/job), e.g.
 * {@code java.paused_job_heap.continuation.job.100000}.
 */
public final class PausedJobMemory {
    private static final Object PARKED = new Object();

    private final int jobs;
    private final boolean ownCtx;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private PausedJobMemory(int jobs, boolean ownCtx) {
        this.jobs = jobs;
        this.ownCtx = ownCtx;
    }

    /**
     * Runs one measurement.
     *
     * @param args {@code --jobs N --kind job|ctx|loop [--rounds R] [--warmup W] --out FILE}
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        int jobs = 100_000;
        String kind = "job";
        int rounds = -1;
        int warmup = 50_000;
        Path out = Path.of("target/memory.metrics.jsonl");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jobs" -> jobs = Integer.parseInt(args[++i]);
                case "--kind" -> kind = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (rounds < 1) {
            rounds = jobs >= 1_000_000 ? 1 : jobs >= 100_000 ? 3 : 5;
        }
        PausedJobMemory m = new PausedJobMemory(jobs, kind.equals("ctx"));
        long t0 = System.nanoTime();
        double[] perJob = new double[rounds];
        switch (kind) {
            case "job", "ctx" -> {
                m.warmUpOnThisThread(warmup);
                new PausedJobMemory(Math.min(jobs, 100_000), m.ownCtx).onThisThread(); // a discarded round
                for (int r = 0; r < rounds; r++) {
                    perJob[r] = (double) m.onThisThread() / jobs;
                }
            }
            case "loop" -> {
                m.warmUpOnJobLoop(warmup);
                new PausedJobMemory(Math.min(jobs, 100_000), false).onJobLoop(); // a discarded round
                for (int r = 0; r < rounds; r++) {
                    perJob[r] = (double) m.onJobLoop() / jobs;
                }
            }
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String extra = String.format(Locale.ROOT,
                "\"jobs\":%d,\"kind\":\"%s\",\"backend\":\"%s\",\"rounds\":%d,\"seconds\":%.3f,"
                        + "\"warmup_jobs\":%d,\"gc\":\"%s\",\"jdk\":\"%s\"",
                jobs, kind, AsyncJob.backend(), rounds, seconds, warmup, gcNames(), Runtime.version());
        Metrics.append(out, "java.paused_job_heap." + AsyncJob.backend() + "." + kind + "." + jobs, "B/job",
                perJob, false, extra, "live heap after full GC with N jobs paused minus before, / N ("
                        + describe(kind) + "); one sample per round");
    }

    private static String describe(String kind) {
        return switch (kind) {
            case "job" -> "AsyncJob + JobHandle, shared ctx";
            case "ctx" -> "AsyncJob + JobHandle + own AsyncWaitCtx";
            default -> "AsyncJobs.launch on a job loop: runner + handle + ctx + job";
        };
    }

    // ---------------------------------------------------------------- on this thread

    private void warmUpOnThisThread(int warmup) {
        AsyncJob.initThread(0, 0);
        AsyncWaitCtx shared = new AsyncWaitCtx();
        for (int i = 0; i < warmup; i++) {
            JobHandle<Integer> h = new JobHandle<>();
            AsyncWaitCtx c = ownCtx ? new AsyncWaitCtx() : shared;
            if (AsyncJob.start(h, c, PausedJobMemory::pauseOnce) != StartStatus.PAUSE
                    || AsyncJob.start(h, c, null) != StartStatus.FINISH) {
                throw new IllegalStateException("warm-up job " + i + " did not pause and finish");
            }
        }
        AsyncJob.cleanupThread();
    }

    /** One round from an empty pool; returns the heap delta with every job paused. */
    private long onThisThread() {
        if (!AsyncJob.initThread(0, 0)) {
            throw new IllegalStateException("this thread already has a job pool");
        }
        AsyncWaitCtx shared = new AsyncWaitCtx();
        @SuppressWarnings("unchecked") // no generic array creation in Java; the array stays in here
        JobHandle<Integer>[] handles = (JobHandle<Integer>[]) new JobHandle<?>[jobs];
        AsyncWaitCtx[] ctxs = new AsyncWaitCtx[jobs];
        long before = liveHeap();
        for (int i = 0; i < jobs; i++) {
            handles[i] = new JobHandle<>();
            ctxs[i] = ownCtx ? new AsyncWaitCtx() : shared;
            if (AsyncJob.start(handles[i], ctxs[i], PausedJobMemory::pauseOnce) != StartStatus.PAUSE) {
                throw new IllegalStateException("job " + i + " did not pause");
            }
        }
        long after = liveHeap();
        for (int i = 0; i < jobs; i++) {
            if (AsyncJob.start(handles[i], ctxs[i], null) != StartStatus.FINISH || handles[i].result() != 1) {
                throw new IllegalStateException("job " + i + " did not finish with its result");
            }
        }
        AsyncJob.cleanupThread(); // the next round starts from an empty pool again
        return after - before;
    }

    private static Integer pauseOnce() {
        if (!AsyncJob.pause()) {
            throw new IllegalStateException("pause() returned false");
        }
        return 1;
    }

    // ---------------------------------------------------------------- on a job loop

    /** The job of the loop kind; slot -1 (warm-up) wakes itself before pausing. */
    private static Object loopJob(AsyncWaitCtx[] ctxs, int slot, AtomicInteger paused) {
        AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
        if (slot < 0) {
            ctx.getCallback().onWake(ctx.getCallbackArg()); // resume right after the pause
        } else {
            ctxs[slot] = ctx;
        }
        paused.incrementAndGet();
        if (!AsyncJob.pause()) {
            throw new IllegalStateException("pause() returned false");
        }
        return PARKED;
    }

    private JobObserver<Object> observer(CountDownLatch finished) {
        return new JobObserver<>() {
            @Override
            public void onSuccess(Object value) {
                finished.countDown();
            }

            @Override
            public void onFailure(Throwable error) {
                failure.compareAndSet(null, error);
                finished.countDown();
            }
        };
    }

    private void warmUpOnJobLoop(int warmup) throws InterruptedException {
        AtomicInteger paused = new AtomicInteger();
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).name("mem-warm").build()) {
            JobOptions options = JobOptions.builder().loops(group).build();
            for (int done = 0; done < warmup; done += 1000) {
                CountDownLatch batch = new CountDownLatch(1000);
                JobObserver<Object> o = observer(batch);
                for (int i = 0; i < 1000; i++) {
                    AsyncJobs.launch(() -> loopJob(null, -1, paused), options, o);
                }
                if (!batch.await(2, TimeUnit.MINUTES) || failure.get() != null) {
                    throw new IllegalStateException("warm-up jobs did not finish", failure.get());
                }
            }
        }
    }

    /** One round on a new one-thread group; returns the heap delta with every job paused. */
    private long onJobLoop() throws InterruptedException {
        AsyncWaitCtx[] ctxs = new AsyncWaitCtx[jobs];
        AtomicInteger paused = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(jobs);
        JobObserver<Object> o = observer(finished);
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).name("mem-loop").build()) {
            JobOptions options = JobOptions.builder().loops(group).build();
            long before = liveHeap();
            for (int i = 0; i < jobs; i++) {
                int slot = i;
                AsyncJobs.launch(() -> loopJob(ctxs, slot, paused), options, o);
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (paused.get() < jobs || group.liveJobs() < jobs) {
                if (System.nanoTime() > deadline || failure.get() != null) {
                    throw new IllegalStateException("only " + paused.get() + " of " + jobs + " jobs paused",
                            failure.get());
                }
                Thread.sleep(5);
            }
            long after = liveHeap();
            for (AsyncWaitCtx ctx : ctxs) {
                ctx.getCallback().onWake(ctx.getCallbackArg());
            }
            if (!finished.await(2, TimeUnit.MINUTES) || failure.get() != null) {
                throw new IllegalStateException("not every job finished", failure.get());
            }
            return after - before;
        }
    }

    // ---------------------------------------------------------------- heap

    /** Live heap: used heap right after full GCs, once it stops shrinking. */
    static long liveHeap() {
        var mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            long u = mem.getHeapMemoryUsage().getUsed();
            if (u >= used) {
                return u;
            }
            used = u;
        }
        return used;
    }

    static String gcNames() {
        StringBuilder s = new StringBuilder();
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            s.append(s.isEmpty() ? "" : "+").append(gc.getName());
        }
        return s.toString();
    }
}
