package dev.asyncjobs.core;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * The job counters of one {@link JobHost} thread (a Netty event loop, say), the same as a {@link
 * JobLoop}'s: jobs started there and how they ended, alive, paused, waiting for a slot. A host
 * hands them out through {@link JobHost#counters()}, and the jobs that run on it count themselves
 * there; {@link #stats()} reads them as a {@link JobLoopStats} (for one thread: {@code loops} = 1).
 *
 * <p>Made by a {@link Group} on the host's thread ({@link Group#register}), which is then their one
 * writer: a job's hooks are a plain read and an opaque write of a padded array, no shared atomic
 * (as on the loops). With {@code -Dasyncjobs.stats=false} the counters stay at 0; the gauge {@code
 * jobsAlive} still works.
 */
public final class JobHostCounters {
    final LoopCounters counters;
    private final Group group;
    private final String name;
    private final BooleanSupplier running;
    private final IntSupplier pendingTasks;

    private JobHostCounters(Group group, String name, BooleanSupplier running, IntSupplier pendingTasks) {
        this.counters = new LoopCounters(Thread.currentThread());
        this.group = group;
        this.name = name;
        this.running = running;
        this.pendingTasks = pendingTasks;
    }

    /**
     * The host thread's name, as it was when these counters were made.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The group these counters are in (until {@link #remove()}).
     *
     * @return the group
     */
    public Group group() {
        return group;
    }

    /**
     * A snapshot of the counters; any thread, cheap. {@code loopsRunning} is 1 while the host says it
     * runs; {@code pendingTasks} is what the host reports; {@code maxJobs} is the host thread's pool
     * size once a job with a bounded pool started there (0 before, or with no limit).
     *
     * @return the snapshot
     */
    public JobLoopStats stats() {
        return counters.snapshot(name, running.getAsBoolean(), Math.max(0, pendingTasks.getAsInt()));
    }

    /**
     * Takes these counters out of their group (the host thread is gone for good): {@link
     * Group#hosts()} no longer lists them. Jobs still running there keep counting; a second call is
     * a no-op.
     */
    public void remove() {
        group.hosts.remove(this);
    }

    @Override
    public String toString() {
        return "JobHostCounters[" + name + " in " + group.name + "]";
    }

    /**
     * The counters of a family of host threads (all the Netty event loops of an application, say):
     * the list metrics binders and health checks read, and a way to hear of new hosts as they come,
     * since hosts are usually made lazily, when their thread first runs a job.
     */
    public static final class Group {
        private final String name;
        private final CopyOnWriteArrayList<JobHostCounters> hosts = new CopyOnWriteArrayList<>();
        private final CopyOnWriteArrayList<Consumer<? super JobHostCounters>> listeners = new CopyOnWriteArrayList<>();
        /** Orders {@link #register} against {@link #onRegister}: a listener hears of each host once. */
        private final Object lock = new Object();

        /**
         * An empty group.
         *
         * @param name the group's name (metrics tag it {@code group})
         * @throws NullPointerException if {@code name} is null
         */
        public Group(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /**
         * The group's name.
         *
         * @return the name
         */
        public String name() {
            return name;
        }

        /**
         * New counters for the calling thread, a host's, which becomes their one writer; named after
         * the thread. The listeners hear of them before this returns.
         *
         * @param running whether the host still runs (read by {@link JobHostCounters#stats()})
         * @param pendingTasks the host's queued tasks, cheap to read (0 if it cannot tell)
         * @return the counters
         * @throws NullPointerException if an argument is null
         */
        public JobHostCounters register(BooleanSupplier running, IntSupplier pendingTasks) {
            Objects.requireNonNull(running, "running");
            Objects.requireNonNull(pendingTasks, "pendingTasks");
            JobHostCounters c = new JobHostCounters(this, Thread.currentThread().getName(), running, pendingTasks);
            synchronized (lock) {
                hosts.add(c);
                for (Consumer<? super JobHostCounters> l : listeners) {
                    tell(l, c);
                }
            }
            return c;
        }

        /**
         * Calls {@code listener} with every host's counters in the group now, then with each new
         * one as it registers, on the registering thread (a host's: keep it short). A listener that
         * throws is reported to {@link AsyncHooks#onError} and stays registered.
         *
         * @param listener told of each host once
         * @return a task that removes the listener (it hears of no host after it ran; a group that
         *     outlives its listeners, as a JVM-wide one does, must not keep them)
         * @throws NullPointerException if {@code listener} is null
         */
        public Runnable onRegister(Consumer<? super JobHostCounters> listener) {
            Objects.requireNonNull(listener, "listener");
            synchronized (lock) {
                listeners.add(listener);
                for (JobHostCounters c : hosts) {
                    tell(listener, c);
                }
            }
            return () -> {
                synchronized (lock) {
                    listeners.remove(listener);
                }
            };
        }

        /**
         * The hosts' counters now, in the order they registered.
         *
         * @return a snapshot list
         */
        public List<JobHostCounters> hosts() {
            return List.copyOf(hosts);
        }

        /**
         * The sum of every host's {@link JobHostCounters#stats()}, named after the group ({@code
         * loops} counts the hosts).
         *
         * @return the total
         */
        public JobLoopStats stats() {
            JobLoopStats total = JobLoopStats.zero(name);
            for (JobHostCounters c : hosts) {
                total = total.plus(c.stats(), name);
            }
            return total;
        }

        @Override
        public String toString() {
            return "JobHostCounters.Group[" + name + ", " + hosts.size() + " hosts]";
        }

        private static void tell(Consumer<? super JobHostCounters> l, JobHostCounters c) {
            try {
                l.accept(c);
            } catch (Throwable t) {
                AsyncHooks.onError(t);
            }
        }
    }
}
