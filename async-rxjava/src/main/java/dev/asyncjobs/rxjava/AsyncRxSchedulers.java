package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobLoopGroup;
import io.reactivex.rxjava3.core.Scheduler;
import java.util.Objects;

/**
 * RxJava {@link Scheduler}s backed by job loops.
 *
 * <pre>{@code
 * Flowable.range(1, 10).observeOn(AsyncRxSchedulers.jobLoops())...;
 * AsyncSingle.fromJob(job, JobOptions.defaults(), AsyncRxSchedulers.jobLoops(myLoops));
 * }</pre>
 *
 * <ul>
 *   <li>Each {@link Scheduler.Worker} is pinned to one loop of the group (round robin at {@code
 *       createWorker()}) and runs its tasks on that loop's thread, in order: the workers are
 *       thread-confined. Given to {@link AsyncSingle#fromJob(dev.asyncjobs.core.JobFunction,
 *       dev.asyncjobs.core.JobOptions, Scheduler)} (or the Maybe/Completable ones), such a
 *       scheduler makes the job run on its group's loops the native way: each loop's own selector
 *       watches its jobs' fds, and a subscription on one of its loops starts the job inline.</li>
 *   <li>Time: the loops keep their own timers ({@link dev.asyncjobs.core.JobLoop#schedule(Runnable,
 *       long, java.util.concurrent.TimeUnit)}): a delayed or periodic task waits on its loop's
 *       deadline heap, with no timer thread and no hop; a periodic task runs at a fixed rate, its
 *       runs never overlap, and a run that overruns skips the missed periods (see {@link
 *       dev.asyncjobs.core.LoopTask}). {@code now()} is the wall clock, as for RxJava's own schedulers.</li>
 *   <li>Virtual time: a {@code TestScheduler} (given to timed operators, or installed with {@code
 *       RxJavaPlugins.setComputationSchedulerHandler}) drives the timers of operators around jobs;
 *       a timed operator given this scheduler explicitly waits in real time on the loop's timer.</li>
 *   <li>Dispose, as in RxJava: disposing a task before it runs (or its worker) means it never
 *       runs and its timer is cancelled. A task already running is not interrupted: the loop thread
 *       is shared by every job on it.</li>
 *   <li>A task that throws goes to {@code RxJavaPlugins.onError}, once, whether it was scheduled on
 *       a worker or directly (a periodic task that throws stops); never to the core's {@code
 *       AsyncHooks}, and the loop keeps running. After the
 *       group is closed, scheduling reports the {@code RejectedExecutionException} to {@code
 *       RxJavaPlugins.onError} and returns a disposed {@code Disposable}, as RxJava's executor
 *       schedulers do.</li>
 *   <li>Tasks share the loop with its jobs: they must not block.</li>
 *   <li>{@code shutdown()} / {@code start()} do nothing: the group belongs to whoever built it
 *       (the shared one lives as long as the JVM).</li>
 * </ul>
 */
public final class AsyncRxSchedulers {
    private AsyncRxSchedulers() {
        throw new IllegalStateException("No instances!");
    }

    /**
     * A scheduler on the shared job loops ({@link JobLoopGroup#shared()}).
     *
     * @return the scheduler
     */
    public static Scheduler jobLoops() {
        return jobLoops(JobLoopGroup.shared());
    }

    /**
     * A scheduler on the loops of {@code group}.
     *
     * @param group the job loops
     * @return the scheduler
     * @throws NullPointerException if {@code group} is null
     */
    public static Scheduler jobLoops(JobLoopGroup group) {
        Objects.requireNonNull(group, "group is null");
        return new JobLoopScheduler(group);
    }
}
