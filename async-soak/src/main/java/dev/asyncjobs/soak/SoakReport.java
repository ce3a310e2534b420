package dev.asyncjobs.soak;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.soak.Ledger.Route;
import dev.asyncjobs.soak.SoakRun.Leaks;
import java.io.PrintStream;

/** The outcome of a soak: the one result line, the details, and whether it passed. */
final class SoakReport {
    private final long jobs;
    private final long completed;
    private final long cancelled;
    private final long failed;
    private final long lost;
    private final Leaks leaks;
    private final long heapBefore;
    private final long heapAfter;
    private final long maxHeapGrowth;
    private final long elapsedNanos;
    private final Ledger ledger;
    private final boolean closeHung;

    SoakReport(Ledger ledger, long lost, Leaks leaks, long heapBefore, long heapAfter, long maxHeapGrowth,
            long elapsedNanos, boolean closeHung) {
        this.ledger = ledger;
        this.closeHung = closeHung;
        this.jobs = ledger.jobs.sum();
        this.completed = ledger.completed.sum();
        this.cancelled = ledger.cancelled.sum();
        this.failed = ledger.failed.sum();
        this.lost = lost;
        this.leaks = leaks;
        this.heapBefore = heapBefore;
        this.heapAfter = heapAfter;
        this.maxHeapGrowth = maxHeapGrowth;
        this.elapsedNanos = elapsedNanos;
    }

    String line() {
        return "soak: jobs=" + jobs + " completed=" + completed + " cancelled=" + cancelled + " failed=" + failed
                + " lost=" + lost + " leaked_fds=" + leaks.fds() + " leaked_threads=" + leaks.threadCount();
    }

    boolean heapOk() {
        return heapAfter - heapBefore <= maxHeapGrowth;
    }

    boolean ok() {
        return lost == 0 && !closeHung && leaks.fds() == 0 && leaks.threadCount() == 0 && heapOk()
                && ledger.duplicates.sum() == 0 && ledger.wrongValues.sum() == 0 && ledger.wrongOutcomes.sum() == 0
                && ledger.fdsSet.sum() == ledger.cleanups.sum() && jobs > 0;
    }

    void details(PrintStream err) {
        StringBuilder routes = new StringBuilder();
        for (Route r : Route.values()) {
            routes.append(' ').append(r.name().toLowerCase()).append('=').append(ledger.perRoute.get(r).sum());
        }
        err.printf("soak: backend=%s elapsed=%.1f s rate=%.0f jobs/s routes:%s%n", AsyncJob.backend(),
                elapsedNanos / 1e9, jobs / (elapsedNanos / 1e9), routes);
        err.printf("soak: bursts=%d rejected_no_jobs_or_closed=%d injected_failures=%d closed_fds=%d"
                        + " fds_set=%d cleanups=%d duplicates=%d wrong_values=%d late_after_cancel=%d"
                        + " undeliverable=%d core_hook_errors=%d%n",
                ledger.bursts.sum(), ledger.rejected.sum(), ledger.injectedFailures.sum(), ledger.closedFds.sum(),
                ledger.fdsSet.sum(), ledger.cleanups.sum(), ledger.duplicates.sum(), ledger.wrongValues.sum(),
                ledger.lateAfterCancel.sum(), ledger.undeliverable.sum(), ledger.coreHookErrors.sum());
        err.printf("soak: faults: not_readable_offered=%d not_readable_refused=%d inline_wakes=%d rx_shutdowns=%d"
                        + " rx_shutdown_errors=%d mixed_engine_calls=%d slow_engine_calls=%d wrong_outcomes=%d%n",
                ledger.notReadableOffered.sum(), ledger.notReadableRefused.sum(), ledger.inlineWakes.sum(),
                ledger.rxShutdowns.sum(), ledger.rxShutdownErrors.sum(), ledger.mixedEngineCalls.sum(),
                ledger.slowEngineCalls.sum(), ledger.wrongOutcomes.sum());
        err.printf("soak: heap after GC %d MB -> %d MB (limit +%d MB): %s%n", heapBefore >> 20, heapAfter >> 20,
                maxHeapGrowth >> 20, heapOk() ? "ok" : "GREW");
        if (!leaks.threads().isEmpty() || leaks.jobThreads() > 0) {
            err.println("soak: threads left: " + leaks.threads() + ", job virtual threads left: " + leaks.jobThreads());
        }
        for (String d : ledger.duplicateDetails) {
            err.println("soak: duplicate: " + d);
        }
        for (String w : ledger.wrongValueDetails) {
            err.println("soak: wrong value: " + w);
        }
        for (String w : ledger.wrongOutcomeDetails) {
            err.println("soak: wrong outcome: " + w);
        }
        if (ledger.fdsSet.sum() != ledger.cleanups.sum()) {
            err.println("soak: wait fd cleanups ran " + ledger.cleanups.sum() + " times for " + ledger.fdsSet.sum()
                    + " fds set (each must run exactly once)");
        }
        if (closeHung) {
            err.println("soak: a workload's close hung (see above)");
        }
        err.println("soak: " + (ok() ? "PASSED" : "FAILED"));
    }
}
