/**
 * asyncjobs examples: the {@code ASYNC_start_job(3)} man page's program in Java
 * ({@link dev.asyncjobs.examples.ManPageExample}) and the crypto demo
 * ({@link dev.asyncjobs.examples.Demo}, packaged as {@code asyncjobs-demo.jar}). The Spring WebFlux
 * signing service is in {@link dev.asyncjobs.examples.webflux}.
 */
@NullMarked
package dev.asyncjobs.examples;

import org.jspecify.annotations.NullMarked;
