/**
 * The offload engine: a bounded device that jobs hand work to and pause on ({@link
 * dev.asyncjobs.engine.OffloadEngine}), modelled on OpenSSL's async engines.
 *
 * <p>Layer 3 of async-core (see {@link dev.asyncjobs.core}): it stands on the public API of
 * {@code dev.asyncjobs.core} alone, so a third party could write it. Everything it needs is public
 * there and useful to any engine: {@link dev.asyncjobs.core.AsyncJob#isPauseBlocked()} (a real
 * resume or a pause that never happened), {@link dev.asyncjobs.core.AsyncJob#relay(Throwable)} (an
 * error a device thread survived is the call's failure) and {@link
 * dev.asyncjobs.core.AsyncJobs#loopOf(dev.asyncjobs.core.AsyncWaitCtx)} (hand a loop one task per
 * batch of completions). A source test ({@code LayerRulesTest}) fails the build if it reaches
 * further.
 *
 * <p>Everything is non-null unless annotated {@code @Nullable}; a {@code null} argument throws
 * {@link java.lang.NullPointerException} naming the parameter.
 */
@NullMarked
package dev.asyncjobs.engine;

import org.jspecify.annotations.NullMarked;
