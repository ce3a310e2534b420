package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.AsyncJob;

/** The fibre backend a benchmark expects, checked so a silent fallback fails loudly. */
public final class Backends {
    /** The JVM flag that turns on the continuation backend (class path form). */
    public static final String CONTINUATION_FLAG = "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED";
    /** {@link AsyncJob#backend()} of the continuation backend. */
    public static final String CONTINUATION = "continuation";
    /** {@link AsyncJob#backend()} of the virtual-thread backend. */
    public static final String VIRTUAL_THREAD = "virtual-thread";

    private Backends() {
    }

    /**
     * Fails unless the core runs on {@code expected}.
     *
     * @param expected {@link #CONTINUATION} or {@link #VIRTUAL_THREAD}
     * @throws IllegalStateException naming both backends and the reason continuations are off
     */
    public static void require(String expected) {
        String actual = AsyncJob.backend();
        if (!actual.equals(expected)) {
            throw new IllegalStateException("benchmark expects the " + expected + " backend but the core runs on "
                    + actual + " (" + AsyncJob.continuationUnavailabilityCause() + ")");
        }
    }
}
