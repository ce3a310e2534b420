/**
 * OpenSSL's {@code ASYNC_JOB} model in Java: a job is a function that can {@link
 * dev.asyncjobs.core.AsyncJob#pause() pause} in the middle and be resumed later exactly where it
 * stopped, without holding a thread.
 *
 * <h2>Package conventions</h2>
 * <ul>
 *   <li>Everything is non-null unless annotated {@code @Nullable}; a {@code null} argument throws
 *       {@link java.lang.NullPointerException} naming the parameter.</li>
 *   <li>Misuse of a job (wrong thread, other ctx, re-entry, nested start) is reported as
 *       {@link dev.asyncjobs.core.StartStatus#ERR} and leaves every job intact, as OpenSSL does.</li>
 *   <li>A job, its {@link dev.asyncjobs.core.JobHandle} and its {@link dev.asyncjobs.core.AsyncWaitCtx}
 *       belong to the thread that started the job (as in OpenSSL); the cross-thread entry points are
 *       {@link dev.asyncjobs.core.JobHandle#cancel()}, the wait ctx's callback and status,
 *       {@link dev.asyncjobs.core.WakeupFd#signal()}, {@link dev.asyncjobs.core.AsyncSelector} and
 *       the job loops.</li>
 *   <li>Exceptions thrown by user code (a job function, a cleanup, a callback) never kill a loop or
 *       a selector: they reach the caller or subscriber when there is one, otherwise
 *       {@link dev.asyncjobs.core.AsyncHooks#onError(Throwable)}.</li>
 * </ul>
 *
 * <h2>Layers</h2>
 * async-core is three layers, each on top of the one before; a source test ({@code
 * LayerRulesTest}) parses the sources and fails the build, naming file and line, when a class
 * refers to a layer above its own or the engine reaches past the public API. Every class of this
 * package is listed here; a new one must be given its layer.
 * <ol>
 *   <li><b>The OpenSSL API</b> and its fibres ({@code dev.asyncjobs.core.internal}): {@code
 *       AsyncJob}, {@code JobHandle}, {@code JobFunction}, {@code StartStatus}, {@code
 *       AsyncWaitCtx}, {@code WaitFd}, {@code ChangedFds}, {@code WaitFdCleanup}, {@code
 *       WaitCallback}, {@code WaitStatus}, {@code WakeupFd}, {@code AsyncHooks}, {@code JobPool},
 *       {@code ThreadState}, {@code NonBlockingThread} (a marker with no members: the BlockHound
 *       integration in {@code .internal} finds loop threads by it). Uses the JDK only. It carries no runtime state: no loop, selector or
 *       waiter of the layers above is held by a job, a ctx or a pool. What the runtime needs from
 *       it, beyond the public API, is a short list of package-private hooks, each generic: the
 *       segment hook of {@code AsyncJob.start} (context propagation), {@code
 *       AsyncJob.resumeForeign} (finish a job off its thread), {@code AsyncJob.deferAfterSegment}
 *       and {@code ThreadState}'s trampoline (no job nested in a job), {@code AsyncJob.isFatal},
 *       {@code JobPool.onSlotFreed}, and the ctx's change counters and close hook.</li>
 *   <li><b>The loop runtime</b>: {@code EventThread}, {@code FdWatcher}, {@code AsyncSelector},
 *       {@code JobLoop}, {@code JobLoopGroup}, {@code JobOptions}, {@code NoJobsPolicy}, {@code
 *       JobRunner}, {@code JobTicket}, {@code JobObserver}, {@code AsyncJobs}, {@code
 *       SlotWaiters}, {@code JobPlacement}, {@code LoopTask}, {@code TimerHeap}, {@code LoopThread},
 *       {@code LoopCounters}, {@code JobLoopStats}, {@code JobHost}, {@code JobHostCounters}, {@code OrderedJobs} (the
 *       adapters' {@code mapJobs}, on {@code AsyncJobs.launch} alone). Uses layer 1.</li>
 *   <li><b>The offload engine</b>, package {@code dev.asyncjobs.engine}: uses the public API of
 *       layers 1 and 2 only (a third party could have written it), never {@code .internal},
 *       never a package-private type, never reflection into this package. Layers 1 and 2 know
 *       nothing of it.</li>
 * </ol>
 */
@NullMarked
package dev.asyncjobs.core;

import org.jspecify.annotations.NullMarked;
