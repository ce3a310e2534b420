package dev.asyncjobs.core;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * Runs a job to its end without the caller driving {@link AsyncJob#start}: the one mechanism the
 * Reactor and RxJava adapters are thin shells over, usable directly too.
 *
 * <p>Each launch makes its own {@link AsyncWaitCtx}, installs the ctx callback on it before the
 * first start, starts the job on a job loop (or on the thread-confined executor given), and at
 * every pause waits on the ctx's fds (the loop's own selector, or the {@link AsyncSelector} of
 * the options) or on the callback, whichever comes first; the resume runs on the thread that
 * started the job. When the job ends, the ctx is closed (cleanups run once), the slot is freed and
 * the observer is told.
 *
 * <p>Exactly one resume per pause: whichever of the fd, the callback or a cancel comes first
 * resumes the job, the others are ignored for that pause. A callback that arrives after the job
 * was already resumed by its fd is not lost: it wakes the next pause early. As in OpenSSL, an
 * engine must therefore check, after {@code pause()} returns, that its operation really completed
 * and pause again if not (the offload engine and {@link WakeupFd#drain()} do this).
 *
 * <pre>{@code
 * JobTicket t = AsyncJobs.launch(() -> engine.call(work), JobOptions.defaults(), new JobObserver<>() {
 *     public void onSuccess(Result r) { ... }
 *     public void onFailure(Throwable e) { ... }
 * });
 * }</pre>
 */
public final class AsyncJobs {
    private AsyncJobs() {
    }

    /**
     * Launches a job on the options' job loops ({@link JobLoopGroup#shared()} when the options
     * have no placement). Called on one of those loops, the job starts on that loop, with no hop:
     * in a task queued there (an append, no wake-up), never inline in the caller, who may hold a
     * monitor that a pausing continuation would take away (JDK 25). With a {@link JobPlacement#preferHost} placement, called on a thread that has a
     * {@link JobHost} (a Netty event loop), the job runs on that host instead: it starts in a task
     * queued on that thread (no other thread, no wake-up) and every resume is one task there.
     *
     * @param func the job
     * @param options the options
     * @param observer told the outcome, once
     * @param <R> the result type
     * @return the ticket, to cancel the job
     * @throws IllegalArgumentException if the options have a confined placement
     */
    public static <R extends @Nullable Object> JobTicket launch(JobFunction<R> func, JobOptions options,
            JobObserver<? super R> observer) {
        Objects.requireNonNull(func, "func");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(observer, "observer");
        JobLoopGroup placed = options.loopsOrNull("AsyncJobs.launch(func, options, observer)");
        JobHost.Lookup lookup = options.hostLookup();
        JobHost host = lookup != null ? lookup.current() : null;
        if (host != null) {
            // Queued even on the host's own thread (a queue append there, no wake-up): the caller
            // may hold a monitor (a framework subscribing under a lock), and a continuation that
            // pauses takes the running thread's monitors with it (JDK 25; seen as a JVM crash in
            // WebFlux). A task of the host's starts the job with nothing held.
            JobRunner<R> runner = new JobRunner<>(func, options, observer, host, null, host);
            runner.submit();
            return runner;
        }
        JobLoopGroup group = placed != null ? placed : JobLoopGroup.shared();
        JobLoop here = group.current();
        JobLoop loop = here != null ? here : group.next();
        JobRunner<R> runner = new JobRunner<>(func, options, observer, loop, loop, null);
        if (group.isClosed()) {
            runner.rejectNow(new RejectedExecutionException("the job loop group is closed"));
        } else {
            // Queued even on the loop's own thread (an append there, no wake-up), for the reason
            // given for hosts above: code running on a loop may hold a monitor when it launches
            // (JobLoopLaunchTest: the launching code lost its monitor to the paused job).
            runner.submit();
        }
        return runner;
    }

    /**
     * Launches a job on a user's executor, which must run every task on one and the same thread
     * (a Reactor or RxJava scheduler's worker, a single-thread executor). Fds are watched by the
     * options' {@link AsyncSelector}. An executor found to break thread confinement fails the job
     * with an {@link IllegalStateException} naming the fix; the paused job is still finished
     * (cancelled), never abandoned. An inline executor ({@code Runnable::run}) is fine: a wake-up
     * it delivers from inside another job's segment resumes the paused job once that segment has
     * paused or finished, on the same thread. The selector and pool size are the options' {@link
     * JobPlacement#confined confined placement}'s (by default the shared selector, no limit).
     *
     * @param func the job
     * @param options the options
     * @param confinedExecutor runs each task on the same thread
     * @param observer told the outcome, once
     * @param <R> the result type
     * @return the ticket, to cancel the job
     * @throws IllegalArgumentException if the options place jobs on loops
     */
    public static <R extends @Nullable Object> JobTicket launch(JobFunction<R> func, JobOptions options,
            Executor confinedExecutor, JobObserver<? super R> observer) {
        Objects.requireNonNull(func, "func");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(confinedExecutor, "confinedExecutor");
        Objects.requireNonNull(observer, "observer");
        options.checkConfined("AsyncJobs.launch(func, options, confinedExecutor, observer)");
        JobRunner<R> runner = new JobRunner<>(func, options, observer, confinedExecutor, null, null);
        runner.submit();
        return runner;
    }

    /**
     * Tells the core that the executor of a {@link #launch(JobFunction, JobOptions, Executor,
     * JobObserver)} took one of the job's tasks without throwing and then dropped it, unrun: the
     * job is handled as if {@code execute} had thrown {@code cause} (a job not started fails with
     * it; a paused job being resumed is finished cancelled off its thread and fails with it). For
     * executors that can lose a task they accepted, as an RxJava worker does when its executor
     * refuses a later task and it clears its queue.
     *
     * <p>The caller must make sure the task never runs: claim it first, e.g. with a CAS that a
     * wrapper's {@code run} needs too (run or dropped, never both). A task reported dropped that
     * runs after all, or one that was never queued, is a misuse that can end the job twice.
     *
     * @param task the task exactly as the executor was given it
     * @param cause why it was dropped; the job's failure
     * @throws IllegalArgumentException if {@code task} is not a task that {@code launch} gave an executor
     */
    public static void taskDropped(Runnable task, RejectedExecutionException cause) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(cause, "cause");
        if (!(task instanceof JobRunner<?> runner) || !runner.onUserExecutor()) {
            throw new IllegalArgumentException("not a task that AsyncJobs.launch gave an executor: " + task);
        }
        runner.dropped(cause);
    }

    /**
     * The job loop that runs the job launched (by {@link #launch}) with {@code ctx}, for an engine
     * that wakes many jobs at once: a ctx callback called in a task on that loop resumes its job
     * right there, with no further hop, so an engine can gather its completions per loop and hand
     * each loop one task per batch ({@code loop.execute(() -> callbacks.forEach(...))}) instead of
     * waking the loop once per job. A loop that refuses the task ({@link
     * java.util.concurrent.RejectedExecutionException}: it has stopped) must not strand the jobs:
     * call their callbacks from the current thread then, as for any other job.
     *
     * @param ctx the wait ctx of a job (as from {@link AsyncJob#waitCtx()})
     * @return the job's loop, or {@code null} if the job does not run on a job loop (a
     *     confined executor, a caller driving {@link AsyncJob#start} itself) or the ctx callback
     *     is not the launcher's: then call the callback from any thread
     * @throws NullPointerException if {@code ctx} is null
     */
    public static @Nullable JobLoop loopOf(AsyncWaitCtx ctx) {
        Objects.requireNonNull(ctx, "ctx");
        return ctx.getCallback() instanceof JobRunner<?> r ? r.loop() : null;
    }
}
