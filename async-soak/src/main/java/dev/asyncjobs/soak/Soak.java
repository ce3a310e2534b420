package dev.asyncjobs.soak;

import java.io.PrintStream;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The soak: runs a mixed workload for {@code S} seconds through every way a job can be run (the
 * core's {@code AsyncJobs.launch} on job loops and on thread-confined executors, the Reactor and
 * RxJava adapters, the offload engine and the crypto API on it), with random pause counts, ~10%
 * cancels, ~5% failures, ~1% wait fds closed under the job, and bursts above the pool limits; then
 * checks that nothing was lost or leaked and prints exactly one line on standard output:
 *
 * <pre>
 * soak: jobs=N completed=N cancelled=N failed=N lost=0 leaked_fds=0 leaked_threads=0
 * </pre>
 *
 * <p>Exit status 0 only if no job was lost (every job got exactly one terminal signal within the
 * drain deadline, and every job that started also ended), none got two, every wait fd's cleanup ran
 * exactly once, no fd and no thread (job virtual threads included) is left compared with the start,
 * and the heap after GC is back within {@code --max-heap-growth-mb} of where it started. Details go
 * to standard error.
 *
 * <p>Besides the base mix, a few % of units carry a fault with one right outcome (see {@link Fault};
 * all of them unless {@code --faults} names fewer): a non-readable wait fd, a wake from inside
 * another job on an inline executor, an RxJava executor shut down under paused jobs, and an engine
 * that mixes fast and slow calls. A job that ends other than its fault allows is a wrong outcome
 * and fails the soak.
 * Closing the workload has a deadline too: a close that hangs (a job that never ends holds its
 * loop) is reported, and fails the soak, instead of hanging it.
 *
 * <p>Usage: {@code Soak [--seconds S] [--seed N] [--drain-seconds D] [--max-heap-growth-mb M]
 * [--faults all|none|LIST]}.
 */
public final class Soak {
    private Soak() {
    }

    /**
     * Entry point.
     *
     * @param args see the class description
     */
    public static void main(String[] args) {
        SoakConfig config;
        try {
            config = SoakConfig.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("soak: " + e.getMessage());
            System.err.println(SoakConfig.USAGE);
            System.exit(2);
            return;
        }
        int status = run(config, System.out, System.err);
        System.exit(status);
    }

    /**
     * Runs the soak in this JVM.
     *
     * @param config the settings
     * @param out where the one result line goes
     * @param err where the details go
     * @return the exit status: 0 when nothing was lost or leaked
     */
    static int run(SoakConfig config, PrintStream out, PrintStream err) {
        SoakRun run = new SoakRun(config, err);
        SoakReport report = run.execute();
        out.println(report.line());
        out.flush();
        report.details(err);
        err.flush();
        return report.ok() ? 0 : 1;
    }

    /** The fault kinds with one right outcome each, which {@code --faults} picks from (default: {@link #defaults()}). */
    enum Fault {
        /** A pipe's sink offered as a wait fd: {@code setWaitFd} must refuse it, failing the job. */
        NOT_READABLE,
        /** On an inline executor, a job wakes another paused job of its thread: both end with their values. */
        INLINE_WAKE,
        /** The executor under {@code Schedulers.from(executor)} shuts down under paused AsyncSingles. */
        RX_SHUTDOWN,
        /** One engine, fast calls and a few slow ones (1 in 50 blocks 20-50 ms). */
        MIXED_ENGINE;

        /**
         * What runs unless {@code --faults} says otherwise, and so what CI runs: every fault.
         * ({@link #RX_SHUTDOWN} was left out for a while: it lost about one job in 47,000, a resume
         * that RxJava's executor worker accepted and then dropped, until the adapter learned to
         * see that; see {@code WorkerExecutor}.)
         */
        static Set<Fault> defaults() {
            return EnumSet.allOf(Fault.class);
        }

        static Set<Fault> parse(String list) {
            Set<Fault> set = EnumSet.noneOf(Fault.class);
            switch (list) {
                case "all" -> set.addAll(EnumSet.allOf(Fault.class));
                case "none" -> {
                    // the base mix only
                }
                default -> {
                    for (String f : list.split(",")) {
                        try {
                            set.add(valueOf(f.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("unknown fault " + f + " (one of "
                                    + EnumSet.allOf(Fault.class) + ", all, none)");
                        }
                    }
                }
            }
            return set;
        }
    }

    /** The settings of one run. */
    record SoakConfig(Duration duration, long seed, Duration drain, long maxHeapGrowthBytes, Set<Fault> faults) {
        static final String USAGE = "usage: Soak [--seconds S] [--seed N] [--drain-seconds D] [--max-heap-growth-mb M]"
                + " [--faults all|none|not_readable,inline_wake,rx_shutdown,mixed_engine]";

        static SoakConfig parse(String[] args) {
            long seconds = 60;
            long seed = System.nanoTime();
            long drain = 30;
            long heapMb = 32;
            Set<Fault> faults = Fault.defaults();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value after " + a);
                }
                String v = args[++i];
                try {
                    switch (a) {
                        case "--seconds" -> seconds = Long.parseLong(v);
                        case "--seed" -> seed = Long.parseLong(v);
                        case "--drain-seconds" -> drain = Long.parseLong(v);
                        case "--max-heap-growth-mb" -> heapMb = Long.parseLong(v);
                        case "--faults" -> faults = Fault.parse(v);
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a number after " + a + ": " + v);
                }
            }
            if (seconds < 1 || drain < 1 || heapMb < 1) {
                throw new IllegalArgumentException("--seconds, --drain-seconds and --max-heap-growth-mb must be >= 1");
            }
            return new SoakConfig(Duration.ofSeconds(seconds), seed, Duration.ofSeconds(drain), heapMb << 20, faults);
        }
    }
}
