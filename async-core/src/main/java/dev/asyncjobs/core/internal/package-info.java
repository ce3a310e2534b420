/**
 * The two fibre backends behind {@code AsyncJob}. Not exported: module-info leaves this package
 * out, and on the class path it is not part of the API.
 *
 * <p>A {@link dev.asyncjobs.core.internal.Fiber} runs one body that never returns while its job
 * is pooled: the body loops over job functions and suspends between them, the way OpenSSL's
 * {@code async_start_func} loops, so a pooled job costs no allocation per start.
 */
@NullMarked
package dev.asyncjobs.core.internal;

import org.jspecify.annotations.NullMarked;
