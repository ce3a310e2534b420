package dev.asyncjobs.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A fixed group of {@link JobLoop}s (default: one per core): the default home of jobs launched by
 * the Reactor and RxJava adapters. Each loop runs its own jobs, owns their pool and watches their
 * wait fds with its own selector.
 *
 * <pre>{@code
 * try (JobLoopGroup loops = JobLoopGroup.builder().threads(2).maxJobsPerLoop(1_000).build()) {
 *     AsyncMono.fromJob(job, JobOptions.builder().loops(loops).build()).block();
 * }
 * }</pre>
 *
 * <p>{@link #close()} cancels the paused jobs, lets each finish (their ctxs close, cleanups run),
 * fails jobs that had not started with a {@link java.util.concurrent.RejectedExecutionException},
 * then stops the threads. A job function or cleanup that throws never kills a loop.
 */
public final class JobLoopGroup implements AutoCloseable {
    private static volatile @Nullable JobLoopGroup shared;

    private final JobLoop[] loops;
    private final AtomicInteger next = new AtomicInteger();
    private final boolean isShared;
    private final String name;
    private volatile boolean closed;

    private JobLoopGroup(Builder b, boolean isShared) {
        this.isShared = isShared;
        this.name = b.name;
        // Pick the fibre backend here, not on a loop: its one-time log reads logging config
        // from a file, which BlockHound would rightly report on a non-blocking loop thread.
        AsyncJob.backend();
        loops = new JobLoop[b.threads];
        for (int i = 0; i < loops.length; i++) {
            ThreadFactory f = b.threadFactory;
            if (f == null) {
                String name = b.name + "-" + i;
                boolean daemon = b.daemon;
                f = body -> new LoopThread(body, name, daemon);
            }
            try {
                loops[i] = new JobLoop(this, f, b.maxJobsPerLoop);
            } catch (RuntimeException | Error e) {
                for (int k = 0; k < i; k++) {
                    try {
                        loops[k].loop.selector.close(); // never started: only the selector to release
                    } catch (java.io.IOException ignored) {
                        // the failure below says what went wrong
                    }
                }
                throw e;
            }
        }
        for (JobLoop l : loops) {
            l.start();
        }
    }

    /**
     * The shared group, created on first use: one daemon loop per core, named
     * {@code asyncjobs-loop-N}, pools without a limit unless the system property
     * {@code asyncjobs.loop.maxJobs} says otherwise. Closing it is ignored.
     *
     * @return the shared group
     */
    public static JobLoopGroup shared() {
        JobLoopGroup g = shared;
        if (g == null) {
            synchronized (JobLoopGroup.class) {
                g = shared;
                if (g == null) {
                    Builder b = builder().maxJobsPerLoop(Integer.getInteger("asyncjobs.loop.maxJobs", 0));
                    g = shared = new JobLoopGroup(b, true);
                }
            }
        }
        return g;
    }

    /**
     * A builder for a group of one's own.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The number of loops.
     *
     * @return the number of loops
     */
    public int size() {
        return loops.length;
    }

    /**
     * One loop.
     *
     * @param index from 0 to {@link #size()} - 1
     * @return the loop
     */
    public JobLoop loop(int index) {
        return loops[index];
    }

    /**
     * The next loop, round robin.
     *
     * @return a loop
     */
    public JobLoop next() {
        return loops[Math.floorMod(next.getAndIncrement(), loops.length)];
    }

    /**
     * The loop the caller runs on, if it is one of this group's.
     *
     * @return the caller's loop, or {@code null}
     */
    public @Nullable JobLoop current() {
        Thread t = Thread.currentThread();
        for (JobLoop l : loops) {
            if (l.thread() == t) {
                return l;
            }
        }
        return null;
    }

    /**
     * Jobs launched on this group and not done yet, over all loops.
     *
     * @return the count (a snapshot)
     */
    public int liveJobs() {
        int n = 0;
        for (JobLoop l : loops) {
            n += l.liveJobs();
        }
        return n;
    }

    /**
     * The group's name: the loop threads' name prefix.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * A snapshot of the group's counters, summed over its loops (per loop: {@link JobLoop#stats()}).
     * Cheap; any thread. See {@link JobLoopStats}.
     *
     * @return the group total, named after the group
     */
    public JobLoopStats stats() {
        JobLoopStats total = JobLoopStats.zero(name);
        for (JobLoop l : loops) {
            total = total.plus(l.stats(), name);
        }
        return total;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return {@code true} once closing
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the group and waits until its threads have stopped (it does not wait when called
     * from one of its own loops or from inside a job). Paused jobs are resumed cancelled and run to their end first.
     * Idempotent; ignored on {@link #shared()}.
     */
    @Override
    public void close() {
        if (isShared) {
            return;
        }
        closed = true;
        for (JobLoop l : loops) {
            l.loop.shutdown();
        }
        // Waiting from a loop, or from a job (on either backend its loop waits for it), would
        // wait for ourselves.
        if (current() == null && AsyncJob.current() == null) {
            awaitTermination(Duration.ofDays(365));
        }
    }

    /**
     * Waits for the loops to stop after {@link #close()}.
     *
     * @param timeout how long to wait at most
     * @return {@code true} if every loop thread has stopped
     */
    public boolean awaitTermination(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (JobLoop l : loops) {
                long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                if (!l.loop.awaitTermination(left)) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Builds a {@link JobLoopGroup}. */
    public static final class Builder {
        private int threads = Runtime.getRuntime().availableProcessors();
        private String name = "asyncjobs-loop";
        private int maxJobsPerLoop;
        private boolean daemon = true;
        private boolean nameOrDaemonSet;
        private @Nullable ThreadFactory threadFactory;

        private Builder() {
        }

        /**
         * Makes the loop threads with {@code threadFactory} (one call per loop, each returning a new,
         * unstarted thread) instead of the default: the factory names them and sets their daemon
         * flag, so {@link #name} and {@link #daemon} cannot be combined with it. Threads that
         * implement {@link NonBlockingThread} are found by the BlockHound integration; the Reactor
         * adapter's factory ({@code JobLoopScheduler.threadFactory(prefix)}) makes threads that are
         * Reactor {@code NonBlocking} too.
         *
         * @param threadFactory makes the loop threads
         * @return this builder
         */
        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        /**
         * Sets the number of loops.
         *
         * @param threads at least 1
         * @return this builder
         */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, was " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Sets the thread name prefix; threads are named {@code prefix-N}.
         *
         * @param name the prefix
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            nameOrDaemonSet = true;
            return this;
        }

        /**
         * Sets each loop's pool size (jobs alive at once per loop); 0 means no limit. A launch
         * beyond it waits for a slot or fails, per {@link JobOptions#onNoJobs()}.
         *
         * @param maxJobsPerLoop at least 0
         * @return this builder
         */
        public Builder maxJobsPerLoop(int maxJobsPerLoop) {
            if (maxJobsPerLoop < 0) {
                throw new IllegalArgumentException("maxJobsPerLoop must be >= 0, was " + maxJobsPerLoop);
            }
            this.maxJobsPerLoop = maxJobsPerLoop;
            return this;
        }

        /**
         * Sets whether the loop threads are daemons (default {@code true}).
         *
         * @param daemon daemon or not
         * @return this builder
         */
        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            nameOrDaemonSet = true;
            return this;
        }

        /**
         * Starts the loops.
         *
         * @return the running group
         * @throws IllegalArgumentException if a thread factory was set together with a name or daemon flag
         * @throws IllegalStateException if the thread factory returns no thread, or a started one
         */
        public JobLoopGroup build() {
            if (threadFactory != null && nameOrDaemonSet) {
                throw new IllegalArgumentException("name() and daemon() set the default threads; a ThreadFactory"
                        + " names its own threads and sets their daemon flag: use one or the other");
            }
            return new JobLoopGroup(this, false);
        }
    }
}
