package dev.asyncjobs.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a job runs, the half of {@link JobOptions} that depends on the thread: either on the loops
 * of a {@link JobLoopGroup} ({@link #loops}), whose pools the group sizes and whose own selectors
 * watch the jobs' fds; or on a thread-confined executor or scheduler the caller passes
 * ({@link #confined}), with an {@link AsyncSelector} watching the fds and a pool size for threads
 * that have no pool yet; or on the launching thread's {@link JobHost} when it has one, else on job
 * loops ({@link #preferHost}), with a pool size for each host thread (the host watches the fds, the
 * group sizes the loops' pools). Each kind carries only what applies to it, so no setting is
 * silently ignored; a placement that contradicts the scheduler it is used with is rejected with an
 * {@link IllegalArgumentException} when the job is assembled or launched.
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
    private final JobHost.@Nullable Lookup host;

    private JobPlacement(@Nullable JobLoopGroup loops, @Nullable AsyncSelector selector, int poolSize,
            JobHost.@Nullable Lookup host) {
        this.loops = loops;
        this.selector = selector;
        this.poolSize = poolSize;
        this.host = host;
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
        return new JobPlacement(Objects.requireNonNull(group, "group"), null, 0, null);
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
        checkPoolSize(poolSize);
        return new JobPlacement(null, selector, poolSize, null);
    }

    /**
     * On the launching thread's host when {@code lookup} finds one (a Netty event loop, say), else
     * on the loops of {@code fallback}. On a host the job starts in a task of the host's, every
     * resume is one task there, the host watches its fds ({@link JobHost#watch}), and the host
     * thread's pool is made with {@code poolSize} slots the first time a job runs there (a thread
     * that already has a pool keeps it). Elsewhere the job runs exactly as with {@link
     * #loops(JobLoopGroup) loops(fallback)}, whose group sizes the loops' pools. Used with a
     * thread-confined scheduler it is refused, as a loops placement is.
     *
     * @param lookup finds the calling thread's host
     * @param poolSize the max jobs of each host thread; 0: no limit
     * @param fallback the loops of a job launched on a thread without a host
     * @return the placement
     * @throws NullPointerException if {@code lookup} or {@code fallback} is null
     * @throws IllegalArgumentException if {@code poolSize} is negative
     */
    public static JobPlacement preferHost(JobHost.Lookup lookup, int poolSize, JobLoopGroup fallback) {
        Objects.requireNonNull(lookup, "lookup");
        Objects.requireNonNull(fallback, "fallback");
        checkPoolSize(poolSize);
        return new JobPlacement(fallback, null, poolSize, lookup);
    }

    private static void checkPoolSize(int poolSize) {
        if (poolSize < 0) {
            throw new IllegalArgumentException("poolSize must be >= 0, was " + poolSize);
        }
    }

    /**
     * Whether jobs run on job loops ({@link #loops()} is set) rather than on a confined scheduler;
     * also for {@link #preferHost}, whose jobs need no scheduler either (its loops are the fallback).
     *
     * @return {@code true} for {@link #loops(JobLoopGroup)} and {@link #preferHost}
     */
    public boolean onLoops() {
        return loops != null;
    }

    /**
     * The loops, for {@link #loops(JobLoopGroup)}; the fallback loops for {@link #preferHost}.
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
     * The pool size of a thread that is not a job loop: a confined thread without a pool ({@link
     * #confined}) or a host thread ({@link #preferHost}); 0 on loops (the group sizes theirs).
     *
     * @return the pool size, 0 meaning no limit
     */
    public int poolSize() {
        return poolSize;
    }

    /**
     * The host lookup, for {@link #preferHost}.
     *
     * @return the lookup, or {@code null} for the other placements
     */
    public JobHost.@Nullable Lookup hostLookup() {
        return host;
    }

    @Override
    public String toString() {
        if (host != null) {
            return "JobPlacement.preferHost(" + host + ", poolSize " + poolSize + ", else "
                    + (loops == null ? 0 : loops.size()) + " loops)";
        }
        return loops != null ? "JobPlacement.loops(" + loops.size() + " loops)"
                : "JobPlacement.confined(" + selector + ", poolSize " + poolSize + ")";
    }
}
