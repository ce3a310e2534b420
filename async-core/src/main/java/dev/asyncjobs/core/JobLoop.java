package dev.asyncjobs.core;

import java.util.Objects;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * One job loop: a thread that runs the jobs started on it, owns their pool, and while idle blocks
 * in its own {@link java.nio.channels.Selector} on the wait fds of its paused jobs. An fd becoming
 * readable wakes exactly this thread, which resumes the job itself: one OS wake-up per resume, and
 * the same-thread rule holds by construction. Loops come in a {@link JobLoopGroup}.
 *
 * <p>As an {@link Executor} it runs tasks on the loop thread in order; the adapters' schedulers
 * use that. Tasks must not block: they share the thread with every job of the loop.
 */
public final class JobLoop implements Executor {
    private final JobLoopGroup group;
    private final int maxJobs;
    final Loop loop;
    // The live runners (started and not done), for close(); touched on the loop thread only.
    private @Nullable JobRunner<?> head;
    private volatile int live;
    private boolean cancelledAll;

    JobLoop(JobLoopGroup group, String name, int maxJobs, boolean daemon) {
        this.group = group;
        this.maxJobs = maxJobs;
        this.loop = new Loop(name, daemon);
    }

    void start() {
        loop.startThread();
    }

    /**
     * Runs {@code task} on the loop thread, after the tasks already queued.
     *
     * @param task the task; what it throws goes to {@link AsyncHooks}
     * @throws java.util.concurrent.RejectedExecutionException once the loop has stopped
     */
    @Override
    public void execute(Runnable task) {
        loop.execute(Objects.requireNonNull(task, "task"));
    }

    /**
     * Whether the caller runs on this loop's thread.
     *
     * @return {@code true} on the loop thread
     */
    public boolean inLoop() {
        return loop.inThread();
    }

    /**
     * The loop thread's name ({@code asyncjobs-loop-N} for the shared group).
     *
     * @return the name
     */
    public String name() {
        return loop.thread.getName();
    }

    /**
     * The group this loop belongs to.
     *
     * @return the group
     */
    public JobLoopGroup group() {
        return group;
    }

    /**
     * Jobs launched on this loop and not done yet (running, paused, or waiting for a slot).
     *
     * @return the count (a snapshot)
     */
    public int liveJobs() {
        return live;
    }

    Thread thread() {
        return loop.thread;
    }

    boolean isShuttingDown() {
        return loop.shuttingDown;
    }

    FdWatcher watcher() {
        return loop.watcher;
    }

    void addLive(JobRunner<?> r) {
        r.next = head;
        if (head != null) {
            head.prev = r;
        }
        head = r;
        live++;
        r.linked = true;
    }

    void removeLive(JobRunner<?> r) {
        if (!r.linked) {
            return;
        }
        r.linked = false;
        if (r.prev != null) {
            r.prev.next = r.next;
        } else {
            head = r.next;
        }
        if (r.next != null) {
            r.next.prev = r.prev;
        }
        r.prev = r.next = null;
        live--;
    }

    final class Loop extends EventThread {
        Loop(String name, boolean daemon) {
            super(name, daemon);
        }

        @Override
        void onStart() {
            AsyncJob.initThread(maxJobs, 0);
        }

        @Override
        boolean readyToStop() {
            if (!cancelledAll) {
                cancelledAll = true;
                // cancel every live job: each is resumed cancelled, finishes and unlinks itself
                for (JobRunner<?> r = head; r != null; ) {
                    JobRunner<?> next = r.next;
                    r.cancelForShutdown();
                    r = next;
                }
            }
            return live == 0 && !hasTasks();
        }

        @Override
        void onStop() {
            AsyncJob.cleanupThread();
        }
    }
}
