package dev.asyncjobs.soak;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.internal.Fibers;
import dev.asyncjobs.soak.Soak.SoakConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import reactor.core.publisher.Hooks;

/**
 * One soak: a short warm-up on throw-away resources (so the JDK's and the libraries' lazily made
 * singletons exist before the baseline), the baseline (fds, threads, job virtual threads, heap after
 * GC), the timed run, the drain, the close of every resource, then the checks.
 */
final class SoakRun {
    /** Threads the JDK and the libraries start on demand and keep for the JVM's life. */
    private static final Pattern KEPT_THREADS = Pattern.compile("ForkJoinPool-\\d+-worker-\\d+|"
            + "ForkJoinPool\\.commonPool-worker-\\d+|Attach Listener|process reaper|VirtualThread-unparker|ForkJoinPool-\\d+-delayScheduler|"
            + "VirtualThread-unblocker|Common-Cleaner|Notification Thread|Signal Dispatcher|Reference Handler|"
            + "Finalizer|C[12] CompilerThread\\d+|RxSchedulerPurge-\\d+|RxCachedWorkerPoolEvictor-\\d+|"
            + "asyncjobs-selector|asyncjobs-loop-\\d+|asyncjobs-reactor-loop-\\d+");

    private final SoakConfig config;
    private final PrintStream err;

    SoakRun(SoakConfig config, PrintStream err) {
        this.config = config;
        this.err = err;
    }

    SoakReport execute() {
        Ledger warm = new Ledger();
        installHooks(warm);
        runPhase(warm, Duration.ofMillis(1_500), Duration.ofSeconds(20));
        Baseline base = Baseline.take();
        err.printf("soak: backend=%s seconds=%d seed=%d faults=%s baseline fds=%d threads=%d job_threads=%d heap=%d MB%n",
                AsyncJob.backend(), config.duration().toSeconds(), config.seed(), config.faults(), base.fds,
                base.threads.size(),
                base.jobThreads, base.heapUsed >> 20);

        Ledger ledger = new Ledger();
        installHooks(ledger);
        long t0 = System.nanoTime();
        long lost = runPhase(ledger, config.duration(), config.drain());
        long elapsed = System.nanoTime() - t0;

        Leaks leaks = Leaks.settle(base, Duration.ofSeconds(15));
        long heapAfter = Baseline.heapAfterGc();
        return new SoakReport(ledger, lost, leaks, base.heapUsed, heapAfter, config.maxHeapGrowthBytes(), elapsed,
                closeHung);
    }

    private static void installHooks(Ledger ledger) {
        AsyncHooks.setOnError(e -> ledger.coreHookErrors.increment());
        Hooks.resetOnErrorDropped();
        Hooks.resetOnNextDropped();
        Hooks.onErrorDropped(e -> ledger.undeliverable.increment());
        Hooks.onNextDropped(v -> ledger.undeliverable.increment());
        io.reactivex.rxjava3.plugins.RxJavaPlugins.setErrorHandler(e -> ledger.undeliverable.increment());
    }

    /** Runs the workload for {@code duration}, drains, closes; returns the jobs lost. */
    private long runPhase(Ledger ledger, Duration duration, Duration drain) {
        Workload w = new Workload(ledger, config.faults());
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(Thread.ofPlatform().name("soak-launcher-" + i).start(() -> {
                while (!stop.get()) {
                    try {
                        if (w.permits.tryAcquire(50, TimeUnit.MILLISECONDS)) {
                            w.launchRandom();
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        threads.add(Thread.ofPlatform().name("soak-burster").start(() -> {
            while (!stop.get()) {
                try {
                    Thread.sleep(250 + ThreadLocalRandom.current().nextInt(500));
                } catch (InterruptedException e) {
                    return;
                }
                w.burst(200 + ThreadLocalRandom.current().nextInt(200));
            }
        }));
        sleep(duration);
        stop.set(true);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // drain: every job must get its terminal signal, and every body that started must end
        long deadline = System.nanoTime() + drain.toNanos();
        while ((!ledger.live.isEmpty() || ledger.started.sum() != ledger.ended.sum())
                && System.nanoTime() < deadline) {
            sleep(Duration.ofMillis(20));
        }
        // a job with no terminal signal, or a body that started and never ended (an abandoned job,
        // possibly one the soak had cancelled itself): whichever count is larger
        long lost = Math.max(ledger.live.size(), ledger.started.sum() - ledger.ended.sum());
        if (lost > 0) {
            List<String> sample = new ArrayList<>();
            for (Ledger.Rec r : ledger.live) {
                if (sample.size() < 10) {
                    sample.add(r.toString());
                }
            }
            err.println("soak: lost jobs (no terminal signal within " + drain.toSeconds() + " s): " + ledger.live.size()
                    + " e.g. " + sample + "; bodies started but not ended: "
                    + (ledger.started.sum() - ledger.ended.sum()));
        }
        closeWithin(w, CLOSE_DEADLINE);
        ledger.live.clear();
        return lost;
    }

    /**
     * How long closing a phase's workload may take: a job that never ends holds its loop, and the
     * loop group's close waits for its loops. Past it the soak reports the hang (with the stuck
     * close's stack) and fails rather than hanging the build; the JVM ends with {@code System.exit}.
     */
    private static final Duration CLOSE_DEADLINE = Duration.ofSeconds(30);

    /** Set when a phase's workload did not close in time: the soak fails. */
    private volatile boolean closeHung;

    private void closeWithin(Workload w, Duration deadline) {
        Thread closer = Thread.ofPlatform().daemon().name("soak-close").start(w::close);
        try {
            closer.join(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            closeHung = true;
            StringBuilder stack = new StringBuilder();
            for (StackTraceElement e : closer.getStackTrace()) {
                stack.append("\n\tat ").append(e);
            }
            err.println("soak: closing the workload did not finish within " + deadline.toSeconds()
                    + " s (a job that never ended holds it); the close is stuck in:" + stack);
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Open fds, live platform threads, live job virtual threads and heap at one moment. */
    static final class Baseline {
        final int fds;
        final Set<Thread> threads;
        final int jobThreads;
        final long heapUsed;

        private Baseline(int fds, Set<Thread> threads, int jobThreads, long heapUsed) {
            this.fds = fds;
            this.threads = threads;
            this.jobThreads = jobThreads;
            this.heapUsed = heapUsed;
        }

        static Baseline take() {
            long heap = heapAfterGc();
            int jobs = jobVirtualThreads();
            Set<Thread> live = Collections.newSetFromMap(new IdentityHashMap<>());
            live.addAll(Thread.getAllStackTraces().keySet());
            return new Baseline(openFds(), live, jobs, heap);
        }

        static long heapAfterGc() {
            MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
            long used = Long.MAX_VALUE;
            for (int i = 0; i < 4; i++) {
                System.gc();
                sleep(Duration.ofMillis(100));
                used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
            }
            return used;
        }
    }

    /** What is left after the run compared with the baseline. */
    record Leaks(int fds, List<String> threads, int jobThreads) {
        int threadCount() {
            return threads.size() + jobThreads;
        }

        static Leaks settle(Baseline base, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            for (;;) {
                Leaks now = now(base);
                if ((now.fds == 0 && now.threadCount() == 0) || System.nanoTime() > deadline) {
                    return now;
                }
                sleep(Duration.ofMillis(50));
            }
        }

        private static Leaks now(Baseline base) {
            List<String> left = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.isAlive() && !base.threads.contains(t) && !KEPT_THREADS.matcher(t.getName()).matches()) {
                    left.add(t.getName());
                }
            }
            return new Leaks(Math.max(0, openFds() - base.fds), left,
                    Math.max(0, jobVirtualThreads() - base.jobThreads));
        }
    }

    static int openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count() - 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Job virtual threads (virtual-thread backend) alive, as the backend counts them. Not from a
     * JSON thread dump, which lists them but can crash JDK 25 when taken while virtual threads park
     * (JDK-8364343); the soak runs on the class path, where the core's internal package is public.
     */
    static int jobVirtualThreads() {
        return Fibers.liveJobThreads();
    }
}
