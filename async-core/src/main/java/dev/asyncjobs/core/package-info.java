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
 */
@NullMarked
package dev.asyncjobs.core;

import org.jspecify.annotations.NullMarked;
