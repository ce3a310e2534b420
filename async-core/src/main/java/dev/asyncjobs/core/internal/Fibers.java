package dev.asyncjobs.core.internal;

import java.lang.System.Logger.Level;

/**
 * Picks the fibre backend once, at class load: continuations when {@code jdk.internal.vm} is
 * exported to us, virtual threads otherwise. The choice never changes during a run.
 */
public final class Fibers {
    /** Backend name reported by {@code AsyncJob.backend()} for continuations. */
    public static final String CONTINUATION = "continuation";
    /** Backend name reported by {@code AsyncJob.backend()} for virtual threads. */
    public static final String VIRTUAL_THREAD = "virtual-thread";

    private static final boolean CONTINUATIONS;
    private static final String UNAVAILABILITY;

    static {
        Throwable cause = ContinuationFiber.UNAVAILABILITY_CAUSE;
        if ("virtual-thread".equals(System.getProperty("asyncjobs.backend"))) {
            CONTINUATIONS = false;
            UNAVAILABILITY = "asyncjobs.backend=virtual-thread was set";
        } else if (cause == null) {
            CONTINUATIONS = true;
            UNAVAILABILITY = "";
        } else {
            CONTINUATIONS = false;
            UNAVAILABILITY = "jdk.internal.vm.Continuation is not accessible (" + cause
                    + "); run with --add-exports java.base/jdk.internal.vm=ALL-UNNAMED (class path)"
                    + " or =dev.asyncjobs.core (module path) to use the continuation backend";
            System.getLogger("dev.asyncjobs.core").log(Level.DEBUG,
                    "asyncjobs: using the virtual-thread backend: " + UNAVAILABILITY);
        }
        if (!CONTINUATIONS) {
            startDelayScheduler();
        }
    }

    private Fibers() {
    }

    /**
     * The first timed wait on any virtual thread (a job that sleeps, a timed lock or future wait
     * in job code) makes the JDK start its JVM-wide, permanent timer thread for virtual threads
     * ({@code ForkJoinPool-N-delayScheduler}). Start it here, once, with the backend, so it never
     * appears later as if a job had left a thread behind. (The backend itself never waits with a
     * timeout: a waiting job thread costs nothing until it is resumed.)
     */
    private static final class TimedPark implements Runnable {
        @Override
        public void run() {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
    }

    private static void startDelayScheduler() {
        try {
            // not a lambda: that would be a method of Fibers, whose initialisation is running here
            Thread.ofVirtual().start(new TimedPark()).join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Makes a fiber that will run {@code body}: once per job on the continuation backend, as a
     * loop over jobs on the virtual-thread backend (see {@link Fiber#loops()}).
     *
     * @param body the body
     * @return a fiber of the selected backend
     */
    public static Fiber create(Runnable body) {
        return CONTINUATIONS ? new ContinuationFiber(body) : new VirtualThreadFiber(body);
    }

    /**
     * The selected backend's name.
     *
     * @return {@link #CONTINUATION} or {@link #VIRTUAL_THREAD}
     */
    public static String backend() {
        return CONTINUATIONS ? CONTINUATION : VIRTUAL_THREAD;
    }

    /**
     * Why continuations are not used, or the empty string when they are.
     *
     * @return the reason
     */
    public static String unavailabilityCause() {
        return UNAVAILABILITY;
    }

    /**
     * Job virtual threads alive now: each job of the virtual-thread backend, running, paused or
     * idle in a pool, owns one from its first start until its pool lets it go. Always 0 on the
     * continuation backend. For leak checks: virtual threads are not in {@code
     * Thread.getAllStackTraces()}, and a thread dump taken while they park can crash JDK 25
     * (JDK-8364343).
     *
     * @return the number of job threads started and not yet ended
     */
    public static int liveJobThreads() {
        return VirtualThreadFiber.LIVE.intValue();
    }

    /**
     * How many times a parked job virtual thread (a paused job's, or an idle pooled one's) woke
     * and was not being resumed: its owner thread died, or a stray unpark. Always 0 on the
     * continuation backend. For tests: a job that waits must cost no CPU while it waits.
     *
     * @return the count since the JVM started
     */
    public static long idleWakeups() {
        return VirtualThreadFiber.IDLE_WAKEUPS.sum();
    }

    /**
     * Whether jobs run on continuations (and so on the starting thread itself).
     *
     * @return {@code true} for the continuation backend
     */
    public static boolean continuations() {
        return CONTINUATIONS;
    }
}
