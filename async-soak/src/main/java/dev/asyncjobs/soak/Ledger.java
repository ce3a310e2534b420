package dev.asyncjobs.soak;

import java.util.EnumMap;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak's books: one {@link Rec} per job, resolved by the first terminal signal its subscriber
 * gets (or by the soak's own cancel where the API sends nothing after a cancel, as Reactive Streams
 * does); a second signal is a duplicate. Jobs still unresolved at the end are lost. Beside the
 * records, global counters tie the job bodies to the books: every body that started must end, and
 * every wait fd set must have its cleanup run exactly once.
 */
final class Ledger {
    /** How a job ended, as its subscriber saw it. */
    enum Outcome { COMPLETED, CANCELLED, FAILED }

    /** The ways a job is run. */
    enum Route {
        LOOP, LOOP_FAIL, CONFINED, MONO, MONO_SCHEDULER, FLUX, SINGLE, FLOWABLE,
        /** A job that offers a non-readable channel (a pipe's sink) as its wait fd, on a loop or a confined executor. */
        NOT_READABLE,
        /** A pair on an inline executor ({@code Runnable::run}): the second job wakes the paused first one. */
        INLINE_WAKE,
        /** AsyncSingles on {@code Schedulers.from(executor)} whose executor shuts down while they are paused. */
        RX_SHUTDOWN
    }

    /**
     * What a job must end with, beyond "exactly once": most jobs may end any way (their faults are
     * random), a few have one right outcome and any other is booked a wrong outcome.
     */
    enum Expect {
        /** Any outcome. */
        ANY,
        /** Its own value (or cancelled by the soak): a failure is wrong. */
        VALUE,
        /**
         * The {@link IllegalArgumentException} of {@code setWaitFd} refusing a channel that is not
         * selectable for reading (or cancelled): a value, or any other failure, is wrong.
         */
        NOT_READABLE_REFUSED
    }

    /** One job. */
    static final class Rec {
        final long id;
        final Route route;
        /**
         * How the job was resolved, set once. Who resolved it (the subscriber or the soak) is part of
         * the same atomic value: were it a separate field, a late signal racing the soak's own cancel
         * could see the outcome set but not yet who set it, and be booked a duplicate.
         */
        final AtomicReference<Resolution> resolution = new AtomicReference<>();
        /** What the job must end with; set before the job is launched. */
        volatile Expect expect = Expect.ANY;
        /** For a job of a mapJobs stream: the stream's state, for the report of a lost job. */
        volatile java.util.function.Supplier<String> stream;

        Rec(long id, Route route) {
            this.id = id;
            this.route = route;
        }

        @Override
        public String toString() {
            java.util.function.Supplier<String> s = stream;
            return "job#" + id + "(" + route + (s != null ? ", " + s.get() : "") + ")";
        }
    }

    /** A job's end: its outcome, and whether the soak (rather than a signal) booked it. */
    record Resolution(Outcome outcome, boolean byUs) {}

    private final AtomicLong ids = new AtomicLong();
    final Set<Rec> live = ConcurrentHashMap.newKeySet();
    final LongAdder jobs = new LongAdder();
    final LongAdder completed = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder duplicates = new LongAdder();
    final LongAdder wrongValues = new LongAdder();
    /** What the first few duplicates were, for the report. */
    final Queue<String> duplicateDetails = new ConcurrentLinkedQueue<>();
    /** Jobs that ended other than their {@link Expect} says (a failure where a value was due, say). */
    final LongAdder wrongOutcomes = new LongAdder();
    final Queue<String> wrongOutcomeDetails = new ConcurrentLinkedQueue<>();
    /** What the first few wrong values were, for the report: a count alone cannot be debugged. */
    final Queue<String> wrongValueDetails = new ConcurrentLinkedQueue<>();
    /**
     * Signals that raced the soak's own cancel of their job (or dispose of their stream) and came
     * after it: allowed by Reactive Streams §1.8 ("eventually stop"), counted.
     */
    final LongAdder lateAfterCancel = new LongAdder();
    final LongAdder started = new LongAdder();
    final LongAdder ended = new LongAdder();
    final LongAdder fdsSet = new LongAdder();
    final LongAdder cleanups = new LongAdder();
    final LongAdder closedFds = new LongAdder();
    final LongAdder injectedFailures = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder bursts = new LongAdder();
    final LongAdder undeliverable = new LongAdder();
    final LongAdder coreHookErrors = new LongAdder();
    /** Non-readable wait fds offered, and refused by {@code setWaitFd} as the job's failure. */
    final LongAdder notReadableOffered = new LongAdder();
    final LongAdder notReadableRefused = new LongAdder();
    /** Wakes fired from inside another job on the same thread (inline executor). */
    final LongAdder inlineWakes = new LongAdder();
    /** RxJava executors shut down under paused jobs; jobs of theirs that ended in an error. */
    final LongAdder rxShutdowns = new LongAdder();
    final LongAdder rxShutdownErrors = new LongAdder();
    /** Calls to the engine that mixes fast and slow work, and the slow ones among them. */
    final LongAdder mixedEngineCalls = new LongAdder();
    final LongAdder slowEngineCalls = new LongAdder();
    final Map<Route, LongAdder> perRoute = new EnumMap<>(Route.class);

    Ledger() {
        for (Route r : Route.values()) {
            perRoute.put(r, new LongAdder());
        }
    }

    Rec open(Route route) {
        Rec r = new Rec(ids.incrementAndGet(), route);
        jobs.increment();
        perRoute.get(route).increment();
        live.add(r);
        return r;
    }

    /** A terminal signal from the subscriber side; true if it was the first. */
    boolean signal(Rec r, Outcome o) {
        if (r.resolution.compareAndSet(null, new Resolution(o, false))) {
            count(r, o);
            return true;
        }
        Resolution first = r.resolution.get();
        if (first.byUs()) {
            lateAfterCancel.increment();
        } else {
            duplicates.increment();
            keepFew(duplicateDetails, r + ": " + first.outcome() + " then " + o);
        }
        return false;
    }

    /** A success carrying {@code value}: it must be the job's own id. */
    boolean success(Rec r, Object value) {
        if (!(value instanceof Long v) || v != r.id) {
            wrongValue(r + " got " + value);
        }
        if (r.expect == Expect.NOT_READABLE_REFUSED) {
            wrongOutcome(r + " completed with " + value + " but setWaitFd must refuse a non-readable channel");
        }
        return signal(r, Outcome.COMPLETED);
    }

    /** A failure signal carrying {@code error}, checked against what the job must end with. */
    boolean failure(Rec r, Throwable error) {
        switch (r.expect) {
            case VALUE -> wrongOutcome(r + " must end with its own value, failed with " + error);
            case NOT_READABLE_REFUSED -> {
                if (isNotReadableRefusal(error)) {
                    notReadableRefused.increment();
                } else {
                    wrongOutcome(r + " must fail with setWaitFd's IllegalArgumentException (\"...selectable for"
                            + " reading...\"), failed with " + error);
                }
            }
            case ANY -> {
                // the job's faults are random: any failure may be right
            }
        }
        return signal(r, Outcome.FAILED);
    }

    /** What the core throws from {@code setWaitFd} for a channel that cannot become readable. */
    static boolean isNotReadableRefusal(Throwable error) {
        return error instanceof IllegalArgumentException && error.getMessage() != null
                && error.getMessage().contains("selectable for reading");
    }

    /** Books a job that ended other than its {@link Expect} allows, keeping the first few descriptions. */
    void wrongOutcome(String description) {
        wrongOutcomes.increment();
        keepFew(wrongOutcomeDetails, description);
    }

    /** Books a value that no job should have produced, keeping the first few descriptions. */
    void wrongValue(String description) {
        wrongValues.increment();
        keepFew(wrongValueDetails, description);
    }

    /** Keeps the first few descriptions of a failure, with the thread that saw it, for the report. */
    private static void keepFew(Queue<String> details, String description) {
        if (details.size() < 10) {
            details.add(description + " on " + Thread.currentThread().getName());
        }
    }

    /**
     * The soak booked a job cancelled itself (its own cancel, or the end of the stream that carried
     * it), where the API need send nothing more: a signal that still arrives for it is late, allowed
     * and counted, not a duplicate. True if the job was still open.
     */
    boolean cancelledByUs(Rec r) {
        if (r.resolution.compareAndSet(null, new Resolution(Outcome.CANCELLED, true))) {
            count(r, Outcome.CANCELLED);
            return true;
        }
        return false;
    }

    private void count(Rec r, Outcome o) {
        switch (o) {
            case COMPLETED -> completed.increment();
            case CANCELLED -> cancelled.increment();
            case FAILED -> failed.increment();
        }
        live.remove(r);
    }
}
