package dev.asyncjobs.engine;

import java.util.Objects;

/**
 * A read-only snapshot of an {@link OffloadEngine}'s counters ({@link OffloadEngine#stats()}), for
 * metrics systems: async-micrometer turns it into meters.
 *
 * <p>Cheap to take and free on the calls' path: each device thread keeps plain counters of the
 * calls it runs, and a snapshot reads them with opaque reads; the job side counts nothing per
 * call. The fields are read one after the other, so each is exact but they are not a consistent
 * set. Counters ({@code callsSubmitted} ... {@code runNanos}) only ever grow; the others are
 * gauges. With {@code -Dasyncjobs.stats=false} the counters stay at 0 (the gauges still work).
 *
 * @param name the engine's name ({@link OffloadEngine#name()})
 * @param closed whether {@link OffloadEngine#close()} was called
 * @param threads device threads ({@code N})
 * @param threadsBusy device threads running a call now
 * @param queued calls queued now, waiting for a device thread ({@link OffloadEngine#queued()})
 * @param queueCapacity the queue's capacity ({@code Q}); with {@code queued} at it, jobs yield and
 *     then wait for room: the device is saturated
 * @param callsSubmitted calls that entered the queue (calls made outside a job run in the caller
 *     and are not counted)
 * @param callsRun calls a device thread took and ran (the count for {@code queueWaitNanos})
 * @param callsSucceeded calls whose work returned a value
 * @param callsFailed calls whose work threw
 * @param callsRejected calls refused or failed because the engine was closed (at the call, or
 *     still queued when it closed)
 * @param callsWithdrawn calls taken back from the queue before they ran (their job was cancelled,
 *     or could not pause and ran the work itself)
 * @param queueWaitNanos the total time calls waited, from the call to a device thread starting it
 *     (a wait for room in a full queue included), in nanoseconds, over {@code callsRun}
 * @param succeededNanos the total time device threads spent in the work of calls that succeeded,
 *     in nanoseconds, over {@code callsSucceeded}
 * @param failedNanos the same for calls that failed, over {@code callsFailed}
 */
public record OffloadEngineStats(String name, boolean closed, int threads, int threadsBusy, int queued,
        int queueCapacity, long callsSubmitted, long callsRun, long callsSucceeded, long callsFailed,
        long callsRejected, long callsWithdrawn, long queueWaitNanos, long succeededNanos, long failedNanos) {

    /**
     * Checks the name.
     *
     * @throws NullPointerException if {@code name} is null
     */
    public OffloadEngineStats {
        Objects.requireNonNull(name, "name");
    }

    /**
     * The total time device threads spent in calls' work: {@code succeededNanos + failedNanos}.
     *
     * @return nanoseconds
     */
    public long runNanos() {
        return succeededNanos + failedNanos;
    }
}
