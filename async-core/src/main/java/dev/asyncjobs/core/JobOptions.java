package dev.asyncjobs.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How the Reactor and RxJava adapters (and {@link AsyncJobs}) run a job: its {@link JobPlacement}
 * (which loops, or which selector and pool size on a confined scheduler) and its policy (what to
 * do when a pool is full). Immutable; build with {@link #builder()}.
 *
 * <p>Without a placement a job runs where the call puts it: on the adapter's shared loops, or,
 * when a scheduler is given, on that scheduler with the shared {@link AsyncSelector} and no pool
 * limit. A placement that contradicts the scheduler given with it (loops and a confined scheduler,
 * a confined placement and no scheduler, one group and another group's scheduler) is rejected with
 * an {@link IllegalArgumentException}: nothing is silently ignored.
 *
 * <pre>{@code
 * JobOptions opts = JobOptions.builder().loops(myLoops).onNoJobs(NoJobsPolicy.FAIL).build();
 * }</pre>
 */
public final class JobOptions {
    private static final JobOptions DEFAULTS = new Builder().build();

    private final @Nullable JobPlacement placement;
    private final NoJobsPolicy onNoJobs;

    private JobOptions(Builder b) {
        this.placement = b.placement;
        this.onNoJobs = b.onNoJobs;
    }

    /**
     * The defaults: no placement (the caller's default loops or scheduler) and {@link NoJobsPolicy#WAIT}.
     *
     * @return the default options
     */
    public static JobOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from these options.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.placement = placement;
        b.onNoJobs = onNoJobs;
        return b;
    }

    /**
     * Where jobs run, if set.
     *
     * @return the placement, or {@code null} for the caller's default
     */
    public @Nullable JobPlacement placement() {
        return placement;
    }

    /**
     * What a job does on {@link StartStatus#NO_JOBS}.
     *
     * @return the policy
     */
    public NoJobsPolicy onNoJobs() {
        return onNoJobs;
    }

    /**
     * The loops of the placement, for a call that runs jobs on loops; null without a placement
     * (the caller then picks its default, created only then).
     *
     * @param what names the call, for the error
     * @throws IllegalArgumentException for a confined placement
     */
    @Nullable JobLoopGroup loopsOrNull(String what) {
        JobPlacement p = placement;
        if (p == null) {
            return null;
        }
        JobLoopGroup l = p.loops();
        if (l == null) {
            throw new IllegalArgumentException(what + " runs jobs on job loops, but the options say " + p
                    + ": pass the confined scheduler or executor as well");
        }
        return l;
    }

    /**
     * Checks that these options suit a call that runs jobs on a confined executor or scheduler.
     *
     * @param what names the call, for the error
     * @throws IllegalArgumentException for a loops placement
     */
    void checkConfined(String what) {
        JobPlacement p = placement;
        if (p != null && p.onLoops()) {
            throw new IllegalArgumentException(what + " runs jobs on the confined scheduler or executor given, but the"
                    + " options say " + p + ": pass one of them, not both");
        }
    }

    /** The selector of a confined placement (the shared one by default). */
    AsyncSelector confinedSelector() {
        JobPlacement p = placement;
        AsyncSelector s = p == null ? null : p.selector();
        return s != null ? s : AsyncSelector.shared();
    }

    /**
     * The host lookup of a {@link JobPlacement#preferHost} placement, else null.
     */
    JobHost.@Nullable Lookup hostLookup() {
        JobPlacement p = placement;
        return p == null ? null : p.hostLookup();
    }

    /**
     * The pool size of a thread that is not a job loop (a confined thread or a host's), from the
     * placement; no limit by default.
     */
    int confinedPoolSize() {
        JobPlacement p = placement;
        return p == null ? 0 : p.poolSize();
    }

    @Override
    public String toString() {
        return "JobOptions[" + (placement == null ? "default placement" : placement) + ", onNoJobs " + onNoJobs + "]";
    }

    /** Builds {@link JobOptions}. */
    public static final class Builder {
        private @Nullable JobPlacement placement;
        private NoJobsPolicy onNoJobs = NoJobsPolicy.WAIT;

        private Builder() {
        }

        /**
         * Sets where jobs run.
         *
         * @param placement the placement
         * @return this builder
         */
        public Builder placement(JobPlacement placement) {
            this.placement = Objects.requireNonNull(placement, "placement");
            return this;
        }

        /**
         * Runs jobs on the loops of {@code loops}: {@code placement(JobPlacement.loops(loops))}.
         *
         * @param loops the group
         * @return this builder
         */
        public Builder loops(JobLoopGroup loops) {
            return placement(JobPlacement.loops(Objects.requireNonNull(loops, "loops")));
        }

        /**
         * Sets what to do when a pool is full.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder onNoJobs(NoJobsPolicy policy) {
            this.onNoJobs = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the immutable options
         */
        public JobOptions build() {
            return new JobOptions(this);
        }
    }
}
