/**
 * A Spring WebFlux signing service whose crypto runs as asyncjobs jobs on an
 * {@link dev.asyncjobs.engine.OffloadEngine}: {@code POST /sign}, {@code POST /verify},
 * {@code GET /keys}. Start it with {@link dev.asyncjobs.examples.webflux.SigningApplication}.
 */
@NullMarked
package dev.asyncjobs.examples.webflux;

import org.jspecify.annotations.NullMarked;
