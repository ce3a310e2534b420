package dev.asyncjobs.reactor;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.ContextView;

/**
 * A pausable job as a {@link Mono}: each subscription runs the job once, to its end.
 *
 * <pre>{@code
 * Mono<byte[]> signature = AsyncMono.fromJob(() -> {
 *     KeyHandle key = AsyncJob.await(vault.key(keyId));   // a client library's CompletableFuture
 *     return AsyncJob.await(device.sign(key, data));      // a second wait in the same job
 * });
 * }</pre>
 * Each {@link AsyncJob#await} pauses the job until the future completes (its loop runs other
 * jobs meanwhile, no fd is used) and gives its value or throws its failure; a cancel of the
 * subscription cancels the future being awaited and ends the job with a {@link
 * java.util.concurrent.CancellationException}. An engine that signals a wait fd instead pauses
 * with {@link AsyncJob#pauseOrThrow()} (see {@link dev.asyncjobs.core.WakeupFd}).
 *
 * <h2>What a subscription does</h2>
 * <ul>
 *   <li><b>Lazy:</b> nothing runs until subscription; each subscription launches a new job (with
 *       {@link dev.asyncjobs.core.AsyncJobs#launch}), with its own {@link dev.asyncjobs.core.AsyncWaitCtx}
 *       whose callback is installed before the first start.</li>
 *   <li><b>Where:</b> by default on a loop of {@link JobLoopScheduler#shared()} (Reactor
 *       {@code NonBlocking} threads, so a {@code block()} there fails fast), or of the group the
 *       options' {@link dev.asyncjobs.core.JobPlacement} names (round robin; subscribed from a loop thread, the job starts right there, inline, with no
 *       hop). A pause frees the loop; the job is resumed on the same loop when one of its wait fds
 *       is readable (the loop's own selector watches them) or its ctx callback is called. With a
 *       {@link Scheduler} the job runs on one worker of it, created per subscription and disposed
 *       when the job ends; fds are then watched by the options' {@link dev.asyncjobs.core.AsyncSelector}.
 *       The scheduler's workers must each run on one thread ({@code Schedulers.single()},
 *       {@code parallel()}, {@code boundedElastic()}, {@code newSingle(..)}, or a
 *       {@link JobLoopScheduler}, which is used natively). A scheduler that breaks this is detected
 *       at the first resume: the job is finished (cancelled, its cleanups run) and the {@code Mono}
 *       fails with an {@link IllegalStateException} naming the fix.</li>
 *   <li><b>Signals:</b> a value is emitted then completed (held until requested); {@code null}
 *       completes empty; a failure (the job threw, no free slot with
 *       {@link dev.asyncjobs.core.NoJobsPolicy#FAIL}, a closed loop group, a cleanup that threw) is
 *       {@code onError}. Signals come on the job's thread: hop with {@code publishOn} before
 *       anything that blocks. A {@code request(n)} with {@code n <= 0} is
 *       {@code onError(IllegalArgumentException)} (Reactive Streams §3.9) and cancels the job as
 *       a cancel does.</li>
 *   <li><b>Full pools:</b> when the loop's pool is at its max the subscription waits, first come
 *       first served and without spinning, for a slot (or fails, per
 *       {@link JobOptions#onNoJobs()}); it can be cancelled while it waits.</li>
 *   <li><b>Cancel</b> ({@code dispose()}, {@code timeout}, {@code take}, {@code zip} losing a
 *       sibling...): a paused job is resumed cancelled ({@link AsyncJob#pause()} returns
 *       {@code false}), runs to its end, its ctx is closed (cleanups run once) and its slot freed;
 *       a job not started yet never starts. What it returns after the cancel goes to
 *       {@code Operators.onDiscard}, what it throws to {@code Operators.onErrorDropped}, except a
 *       {@link java.util.concurrent.CancellationException}, which is the expected answer to a
 *       cancel and is not reported.</li>
 *   <li><b>Context:</b> with {@code io.micrometer:context-propagation} on the class path and
 *       {@code Hooks.enableAutomaticContextPropagation()}, the ThreadLocals it knows (MDC, tracing)
 *       are set from the subscriber's {@link ContextView} at the start and at every resume of the
 *       job, and the thread's own values are put back at every pause, on both fibre backends. To
 *       read the context directly, use {@link #fromJobContextual}.</li>
 * </ul>
 */
public final class AsyncMono {
    private AsyncMono() {
    }

    /**
     * A {@code Mono} that runs {@code func} as a job on the shared job loops, once per subscription,
     * with the default options.
     *
     * @param func the job; it may return {@code null} (an empty {@code Mono})
     * @param <R> the value type
     * @return the lazy {@code Mono}
     * @throws NullPointerException if {@code func} is null
     */
    public static <R> Mono<R> fromJob(JobFunction<@Nullable R> func) {
        return fromJob(func, JobOptions.defaults());
    }

    /**
     * A {@code Mono} that runs {@code func} as a job on the options' job loops, once per
     * subscription.
     *
     * @param func the job; it may return {@code null} (an empty {@code Mono})
     * @param options the loops, pool policy and selector
     * @param <R> the value type
     * @return the lazy {@code Mono}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the options' placement is a confined one (it needs a scheduler)
     */
    public static <R> Mono<R> fromJob(JobFunction<@Nullable R> func, JobOptions options) {
        Objects.requireNonNull(func, "func");
        Objects.requireNonNull(options, "options");
        return MonoJob.assemble(new MonoJob<>(constant(func), options, null));
    }

    /**
     * A {@code Mono} that runs {@code func} as a job on a worker of {@code scheduler}, once per
     * subscription. Each subscription creates one worker, runs the job's start and every resume on
     * it, and disposes it when the job has ended. The workers must be thread-confined (see the class
     * description); a {@link JobLoopScheduler} makes the job run on its loops directly.
     *
     * @param func the job; it may return {@code null} (an empty {@code Mono})
     * @param options the pool policy, and optionally a {@link dev.asyncjobs.core.JobPlacement#confined
     *     confined placement} (the selector watching the job's fds, the pool size for worker threads
     *     without a pool; by default the shared selector and no limit)
     * @param scheduler the thread-confined scheduler
     * @param <R> the value type
     * @return the lazy {@code Mono}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the options' placement contradicts {@code scheduler} (loops
     *     with a confined scheduler, or other loops than a {@link JobLoopScheduler}'s)
     */
    public static <R> Mono<R> fromJob(JobFunction<@Nullable R> func, JobOptions options, Scheduler scheduler) {
        Objects.requireNonNull(func, "func");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(scheduler, "scheduler");
        return MonoJob.assemble(new MonoJob<>(constant(func), options, scheduler));
    }

    /**
     * Like {@link #fromJob(JobFunction)}, for a job that needs the subscriber's Reactor context: at
     * each subscription, {@code factory} is called on the subscribing thread with the subscriber's
     * {@link ContextView} and returns the job to run (compare {@link Mono#deferContextual}).
     *
     * <pre>{@code
     * Mono<Reply> reply = AsyncMono.fromJobContextual(ctx -> () -> engine.call(ctx.get(Tenant.class), request));
     * reply.contextWrite(Context.of(Tenant.class, tenant)).subscribe(...);
     * }</pre>
     *
     * @param factory makes the job from the subscriber's context; what it throws is the
     *     {@code Mono}'s error and no job starts
     * @param <R> the value type
     * @return the lazy {@code Mono}
     * @throws NullPointerException if {@code factory} is null
     */
    public static <R> Mono<R> fromJobContextual(Function<ContextView, JobFunction<@Nullable R>> factory) {
        return fromJobContextual(factory, JobOptions.defaults());
    }

    /**
     * Like {@link #fromJob(JobFunction, JobOptions)}, with the job made from the subscriber's
     * context (see {@link #fromJobContextual(Function)}).
     *
     * @param factory makes the job from the subscriber's context
     * @param options the loops, pool policy and selector
     * @param <R> the value type
     * @return the lazy {@code Mono}
     * @throws NullPointerException if an argument is null
     */
    public static <R> Mono<R> fromJobContextual(Function<ContextView, JobFunction<@Nullable R>> factory,
            JobOptions options) {
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(options, "options");
        return MonoJob.assemble(new MonoJob<>(factory, options, null));
    }

    /**
     * Like {@link #fromJob(JobFunction, JobOptions, Scheduler)}, with the job made from the
     * subscriber's context (see {@link #fromJobContextual(Function)}).
     *
     * @param factory makes the job from the subscriber's context
     * @param options the selector, pool size and pool policy
     * @param scheduler the thread-confined scheduler
     * @param <R> the value type
     * @return the lazy {@code Mono}
     * @throws NullPointerException if an argument is null
     */
    public static <R> Mono<R> fromJobContextual(Function<ContextView, JobFunction<@Nullable R>> factory,
            JobOptions options, Scheduler scheduler) {
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(scheduler, "scheduler");
        return MonoJob.assemble(new MonoJob<>(factory, options, scheduler));
    }

    static <R> Function<ContextView, JobFunction<@Nullable R>> constant(JobFunction<@Nullable R> func) {
        return ignored -> func;
    }
}
