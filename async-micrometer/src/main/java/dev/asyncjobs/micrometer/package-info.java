/**
 * Micrometer meter binders over async-core's read-only counters ({@link
 * dev.asyncjobs.core.JobLoopStats}, {@link dev.asyncjobs.engine.OffloadEngineStats}).
 *
 * <p>Conventions: every meter is named {@code asyncjobs.*} and follows Micrometer's executor and
 * reactor-core's scheduler meters in shape (gauges for what is there now, function counters for
 * what happened, function timers for how long it took). The binders read the counters when the
 * registry asks and hold the loops and engines weakly: they add nothing to the jobs' path and keep
 * nothing alive.
 */
@NullMarked
package dev.asyncjobs.micrometer;

import org.jspecify.annotations.NullMarked;
