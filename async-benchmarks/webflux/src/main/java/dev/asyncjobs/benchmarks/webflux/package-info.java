/**
 * The WebFlux load benchmark's service: {@code /hello} (cheap) and {@code /sign/{mode}} (ECDSA
 * P-256 over a fixed message) for every way to run the signing; {@code run.sh} drives it with wrk.
 */
@NullMarked
package dev.asyncjobs.benchmarks.webflux;

import org.jspecify.annotations.NullMarked;
