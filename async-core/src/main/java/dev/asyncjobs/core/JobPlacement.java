package dev.asyncjobs.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a job runs, the half of {@link JobOptions} that depends on the thread: either on the loops
 * of a {@link JobLoopGroup} ({@link #loops}), whose pools the group sizes and whose own selectors
 * watch the jobs' fds; or on a thread-confined executor or scheduler the caller passes
 * ({@link #confined}), with an {@link AsyncSelector} watching the fds and a pool size for threads
 * that have no pool yet. Each kind carries only what applies to it, so no setting is silently
 * ignored; a placement that contradicts the scheduler it is used with is rejected with an {@link
 * IllegalArgumentException} when the job is assembled or launched.
 *
 * <pre>{@code
 * JobOptions.builder().placement(JobPlacement.loops(myLoops)).build();
 * AsyncMono.fromJob(job, JobOptions.builder().placement(JobPlacement.confined(mySelector, 64)).build(),
 *         Schedulers.single());
 * }</pre>
 */
public final class JobPlacement {
    private final @Nullable JobLoopGroup loops;
    private final @Nullable AsyncSelector selector;
    private final int poolSize;

    private JobPlacement(@Nullable JobLoopGroup loops, @Nullable AsyncSelector selector, int poolSize) {
        this.loops = loops;
        this.selector = selector;
        this.poolSize = poolSize;
    }

    /**
     * On the loops of {@code group} (each loop's pool is sized by {@link
     * JobLoopGroup.Builder#maxJobsPerLoop}).
     *
     * @param group the loops
     * @return the placement
     * @throws NullPointerException if {@code group} is null
     */
    public static JobPlacement loops(JobLoopGroup group) {
        return new JobPlacement(Objects.requireNonNull(group, "group"), null, 0);
    }

    /**
     * On the thread-confined executor or scheduler given with the job (an adapter's scheduler
     * overload, or {@link AsyncJobs#launch(JobFunction, JobOptions, java.util.concurrent.Executor,
     * JobObserver)}).
     *
     * @param selector watches the fds of the paused jobs
     * @param poolSize the max jobs of a thread that has no pool yet ({@link AsyncJob#initThread}); 0: no limit
     * @return the placement
     * @throws NullPointerException if {@code selector} is null
     * @throws IllegalArgumentException if {@code poolSize} is negative
     */
    public static JobPlacement confined(AsyncSelector selector, int poolSize) {
        Objects.requireNonNull(selector, "selector");
        if (poolSize < 0) {
            throw new IllegalArgumentException("poolSize must be >= 0, was " + poolSize);
        }
        return new JobPlacement(null, selector, poolSize);
    }

    /**
     * Whether jobs run on job loops ({@link #loops()} is set) rather than on a confined scheduler.
     *
     * @return {@code true} for {@link #loops(JobLoopGroup)}
     */
    public boolean onLoops() {
        return loops != null;
    }

    /**
     * The loops, for {@link #loops(JobLoopGroup)}.
     *
     * @return the group, or {@code null} for a confined placement
     */
    public @Nullable JobLoopGroup loops() {
        return loops;
    }

    /**
     * The selector, for {@link #confined}.
     *
     * @return the selector, or {@code null} on loops (each loop watches with its own)
     */
    public @Nullable AsyncSelector selector() {
        return selector;
    }

    /**
     * The pool size for confined threads without a pool; 0 on loops (the group sizes theirs).
     *
     * @return the pool size
     */
    public int poolSize() {
        return poolSize;
    }

    @Override
    public String toString() {
        return loops != null ? "JobPlacement.loops(" + loops.size() + " loops)"
                : "JobPlacement.confined(" + selector + ", poolSize " + poolSize + ")";
    }
}
