package dev.asyncjobs.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the Reactor and RxJava adapters share about how a job is run: which job loops (or, for jobs
 * on a user's scheduler, which {@link AsyncSelector}), the pool size for threads that have none,
 * and what to do when a pool is full. Immutable; build with {@link #builder()}.
 *
 * <pre>{@code
 * JobOptions opts = JobOptions.builder().loops(myLoops).onNoJobs(NoJobsPolicy.FAIL).build();
 * }</pre>
 */
public final class JobOptions {
    private static final JobOptions DEFAULTS = new Builder().build();

    private final @Nullable JobLoopGroup loops;
    private final @Nullable AsyncSelector selector;
    private final int poolSize;
    private final NoJobsPolicy onNoJobs;
    private final JobHost.@Nullable Lookup hostLookup;

    private JobOptions(Builder b) {
        this.loops = b.loops;
        this.selector = b.selector;
        this.poolSize = b.poolSize;
        this.onNoJobs = b.onNoJobs;
        this.hostLookup = b.hostLookup;
    }

    /**
     * The defaults: the shared job loops, the shared selector, no pool limit on threads without a
     * pool, and {@link NoJobsPolicy#WAIT}.
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
        b.loops = loops;
        b.selector = selector;
        b.poolSize = poolSize;
        b.onNoJobs = onNoJobs;
        b.hostLookup = hostLookup;
        return b;
    }

    /**
     * The job loops jobs run on when no scheduler is given.
     *
     * @return the group ({@link JobLoopGroup#shared()} unless set)
     */
    public JobLoopGroup loops() {
        JobLoopGroup l = loops;
        return l != null ? l : JobLoopGroup.shared();
    }

    /**
     * The selector that watches fds of jobs run on a user's scheduler.
     *
     * @return the selector ({@link AsyncSelector#shared()} unless set)
     */
    public AsyncSelector selector() {
        AsyncSelector s = selector;
        return s != null ? s : AsyncSelector.shared();
    }

    /**
     * The max jobs for a user scheduler's thread that has no pool yet ({@link
     * AsyncJob#initThread}); 0 means no limit. Job loops size their pools with {@link
     * JobLoopGroup.Builder#maxJobsPerLoop}.
     *
     * @return the pool size
     */
    public int poolSize() {
        return poolSize;
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
     * Finds the host a job launched on the calling thread runs on instead of the job loops (a
     * Netty event loop, say), or {@code null}: always the job loops.
     *
     * @return the lookup, or {@code null} (the default)
     */
    public JobHost.@Nullable Lookup hostLookup() {
        return hostLookup;
    }

    /** Builds {@link JobOptions}. */
    public static final class Builder {
        private @Nullable JobLoopGroup loops;
        private @Nullable AsyncSelector selector;
        private int poolSize;
        private NoJobsPolicy onNoJobs = NoJobsPolicy.WAIT;
        private JobHost.@Nullable Lookup hostLookup;

        private Builder() {
        }

        /**
         * Sets the job loops.
         *
         * @param loops the group
         * @return this builder
         */
        public Builder loops(JobLoopGroup loops) {
            this.loops = Objects.requireNonNull(loops, "loops");
            return this;
        }

        /**
         * Sets the selector used for jobs on a user's scheduler.
         *
         * @param selector the selector
         * @return this builder
         */
        public Builder selector(AsyncSelector selector) {
            this.selector = Objects.requireNonNull(selector, "selector");
            return this;
        }

        /**
         * Sets the pool size for user scheduler threads without a pool.
         *
         * @param poolSize max jobs, 0 for no limit
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder poolSize(int poolSize) {
            if (poolSize < 0) {
                throw new IllegalArgumentException("poolSize must be >= 0, was " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
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
         * Places jobs on the launching thread's host when it has one: a job launched (without a
         * scheduler) on a thread that {@code lookup} knows starts there (in a task of the host's)
         * and is resumed there; launched anywhere else it runs on the {@link #loops job loops}. The host's pool
         * is sized by {@link #poolSize} (as a user scheduler's thread is) and the
         * {@link #onNoJobs} policy applies there too.
         *
         * @param lookup finds the calling thread's host
         * @return this builder
         */
        public Builder preferHost(JobHost.Lookup lookup) {
            this.hostLookup = Objects.requireNonNull(lookup, "lookup");
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
