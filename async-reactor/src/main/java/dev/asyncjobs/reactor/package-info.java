/**
 * The Reactor adapter: {@link dev.asyncjobs.reactor.AsyncMono} (one job per subscription),
 * {@link dev.asyncjobs.reactor.AsyncFlux} (many jobs, bounded, in order) and
 * {@link dev.asyncjobs.reactor.JobLoopScheduler} (the job loops as a Reactor {@code Scheduler}).
 *
 * <h2>Package conventions</h2>
 * <ul>
 *   <li>A thin shell: every job is run by {@link dev.asyncjobs.core.AsyncJobs#launch}; this package
 *       only turns its {@link dev.asyncjobs.core.JobObserver} calls into Reactive Streams signals and
 *       a {@code Subscription}'s cancel into {@link dev.asyncjobs.core.JobTicket#cancel()}.</li>
 *   <li>Operators follow reactor-core's shape: a public facade with the long javadoc, one
 *       package-private final class per operator, each volatile state field beside its atomic
 *       field updater, signals that arrive after a cancel routed to {@code Operators.onDiscard} /
 *       {@code Operators.onErrorDropped}, never lost silently.</li>
 *   <li>Signals of a job are delivered on the thread that ran it (a job loop or the worker of the
 *       scheduler given): never block downstream of a job; hop with {@code publishOn} first.</li>
 *   <li>Everything is non-null unless annotated {@code @Nullable}; a {@code null} argument throws
 *       {@link java.lang.NullPointerException} naming the parameter.</li>
 * </ul>
 */
@NullMarked
package dev.asyncjobs.reactor;

import org.jspecify.annotations.NullMarked;
