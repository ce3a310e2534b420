package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.core.Single;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.util.Objects;

/**
 * A pausable job as a {@link Single}.
 *
 * <pre>{@code
 * Single<byte[]> signature = AsyncSingle.fromJob(() -> {
 *     KeyHandle key = AsyncJob.await(vault.key(keyId));   // CompletableFuture<KeyHandle>
 *     return AsyncJob.await(device.sign(key, data));      // completes on the device's thread
 * });
 * signature.subscribe(sig -> send(sig), err -> log(err));
 * }</pre>
 * {@link dev.asyncjobs.core.AsyncJob#await} pauses the job until the future completes (no fd, the
 * job's thread runs other jobs meanwhile) and gives its value or throws its failure; disposing the
 * {@code Single} cancels the future being awaited and ends the job with a {@link
 * java.util.concurrent.CancellationException}. An engine that signals a wait fd instead pauses with
 * {@link dev.asyncjobs.core.AsyncJob#pauseOrThrow()} (see {@link dev.asyncjobs.core.WakeupFd}).
 *
 * <p>Each subscription launches its own job through {@link dev.asyncjobs.core.AsyncJobs#launch}:
 * on a job loop by default (inline, with no hop, when subscribed on a loop thread outside a job),
 * or on a new {@link Scheduler.Worker} of the scheduler given. The job gets its own {@link
 * dev.asyncjobs.core.AsyncWaitCtx}, whose callback is installed before it starts; at a pause, its
 * wait fds are watched (by the loop's own selector, or by the options' {@link
 * dev.asyncjobs.core.AsyncSelector} for a user scheduler) and the resume runs on the thread that
 * started the job. The value is signalled on that thread after the ctx was closed.
 *
 * <ul>
 *   <li>Value: {@code onSuccess}; {@code null}: {@code onError(NullPointerException)}, as {@link
 *       Single#fromCallable}; use {@link AsyncMaybe} when empty is a normal outcome.</li>
 *   <li>Failure (the job threw, no free slot with {@link dev.asyncjobs.core.NoJobsPolicy#FAIL},
 *       closed job loops, a scheduler that broke thread confinement or refused the job's task, a
 *       cleanup that threw):
 *       {@code onError}.</li>
 *   <li>Dispose (directly, {@code timeout}, {@code takeUntil}, ...): the job is resumed cancelled
 *       ({@link dev.asyncjobs.core.AsyncJob#pause()} returns {@code false}), runs to its end, its
 *       ctx is closed and its slot freed. A job that had not started never starts. A value it still
 *       returns is dropped; a failure other than a {@link java.util.concurrent.CancellationException}
 *       goes to {@link RxJavaPlugins#onError} as an {@code UndeliverableException}.</li>
 *   <li>The scheduler must be thread-confined: every task of one worker on one and the same thread
 *       ({@code Schedulers.computation()}, {@code single()}, {@code io()}, {@code newThread()},
 *       {@link JobLoopScheduler#shared()}). {@code Schedulers.from(executor)} and {@code
 *       Schedulers.trampoline()} are not: the first resume on another thread is detected by the core
 *       and the {@code Single} fails with an {@link IllegalStateException} naming the fix; the job is
 *       still finished (cancelled). A worker is created per subscription and disposed when the job
 *       has ended. A {@link JobLoopScheduler} is taken the native way
 *       instead: the job is launched on that group's loops (their own selectors watch its fds).
 *       A start or resume that the worker refuses (it returns a disposed {@code Disposable}
 *       instead of throwing: the worker was disposed, or its scheduler shut down, e.g. {@code
 *       Schedulers.from(executor)} after {@code executor.shutdown()}) ends the job: it is finished
 *       cancelled off its thread, its ctx closed and its slot freed, and the {@code Single} fails
 *       once with a {@link java.util.concurrent.RejectedExecutionException} (after a dispose, it
 *       just ends). RxJava's executor worker also reports the executor's own rejection to {@link
 *       RxJavaPlugins#onError}. A task the worker accepted and drops later, unrun (a worker
 *       disposed by someone else while the task waits in its queue, {@code shutdownNow()}), cannot
 *       be seen: keep the scheduler running while jobs are on it.</li>
 *   <li>Do not block on the result ({@code blockingGet()}) on a job loop thread: that loop may be
 *       the one that has to run the job.</li>
 * </ul>
 */
public final class AsyncSingle {
    private AsyncSingle() {
        throw new IllegalStateException("No instances!");
    }

    /**
     * A {@code Single} that runs {@code func} as a job on the default job loops for each subscriber.
     *
     * @param func the job; returns the value ({@code null}: {@code NullPointerException})
     * @param <R> the value type
     * @return the lazy {@code Single}
     * @throws NullPointerException if {@code func} is null
     */
    public static <R> Single<R> fromJob(JobFunction<? extends R> func) {
        return fromJob(func, JobOptions.defaults());
    }

    /**
     * A {@code Single} that runs {@code func} as a job with {@code options} (job loops, selector, pool
     * size, {@code NO_JOBS} policy) for each subscriber.
     *
     * @param func the job; returns the value ({@code null}: {@code NullPointerException})
     * @param options how to run it
     * @param <R> the value type
     * @return the lazy {@code Single}
     * @throws NullPointerException if an argument is null
     */
    public static <R> Single<R> fromJob(JobFunction<? extends R> func, JobOptions options) {
        Objects.requireNonNull(func, "func is null");
        Objects.requireNonNull(options, "options is null");
        return RxJavaPlugins.onAssembly(new SingleFromJob<>(func, options, null));
    }

    /**
     * A {@code Single} that runs {@code func} as a job on a new worker of {@code scheduler} for each
     * subscriber; its wait fds are watched by the selector of the options' confined placement
     * (default: the shared one).
     *
     * @param func the job; returns the value ({@code null}: {@code NullPointerException})
     * @param options how to run it (selector, pool size of the worker's thread, {@code NO_JOBS} policy)
     * @param scheduler a thread-confined scheduler
     * @param <R> the value type
     * @return the lazy {@code Single}
     * @throws NullPointerException if an argument is null
     */
    public static <R> Single<R> fromJob(JobFunction<? extends R> func, JobOptions options, Scheduler scheduler) {
        Objects.requireNonNull(func, "func is null");
        Objects.requireNonNull(options, "options is null");
        Objects.requireNonNull(scheduler, "scheduler is null");
        return RxJavaPlugins.onAssembly(new SingleFromJob<>(func, options, scheduler));
    }
}
