/**
 * Jobs on the Netty event loop that took the request: {@link dev.asyncjobs.netty.NettyJobs}.
 *
 * <h2>Package conventions</h2>
 * Everything is non-null unless annotated {@code @Nullable}; a {@code null} argument throws
 * {@link java.lang.NullPointerException} naming the parameter. Everything but the facade is
 * package-private and runs on the event loop it belongs to, except where a class says otherwise.
 */
@NullMarked
package dev.asyncjobs.netty;

import org.jspecify.annotations.NullMarked;
