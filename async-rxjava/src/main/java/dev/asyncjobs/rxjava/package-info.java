/**
 * RxJava 3 adapter for asyncjobs: {@link dev.asyncjobs.rxjava.AsyncSingle}, {@link
 * dev.asyncjobs.rxjava.AsyncMaybe}, {@link dev.asyncjobs.rxjava.AsyncCompletable}, {@link
 * dev.asyncjobs.rxjava.AsyncFlowable} and {@link dev.asyncjobs.rxjava.JobLoopScheduler}.
 *
 * <h2>Package conventions</h2>
 * <ul>
 *   <li>A thin shell over {@link dev.asyncjobs.core.AsyncJobs#launch}: the core owns the wait ctx,
 *       the fds, the resumes, cancellation and the pool; this package only maps a job's outcome to
 *       RxJava signals and a dispose to {@link dev.asyncjobs.core.JobTicket#cancel()}.</li>
 *   <li>Factories check their arguments the RxJava way ({@code NullPointerException} with
 *       {@code "x is null"}, {@code IllegalArgumentException} for non-positive counts) and go
 *       through {@code RxJavaPlugins.onAssembly}.</li>
 *   <li>Each subscription launches its own job (the sources are cold and lazy).</li>
 *   <li>A dispose resumes the paused job cancelled ({@link dev.asyncjobs.core.AsyncJob#pause()}
 *       returns {@code false}); it runs to its end, its ctx is closed (cleanups run once) and its
 *       slot is freed. A value that arrives after a dispose is dropped; an error that can no
 *       longer be delivered goes to {@code RxJavaPlugins.onError} (which wraps it in an {@code
 *       UndeliverableException}), except a {@link java.util.concurrent.CancellationException},
 *       which is how a job acknowledges the cancel, not a failure.</li>
 *   <li>Everything is non-null unless annotated {@code @Nullable}.</li>
 * </ul>
 */
@NullMarked
package dev.asyncjobs.rxjava;

import org.jspecify.annotations.NullMarked;
