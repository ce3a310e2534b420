/**
 * Cryptography that pauses instead of blocking: JCA operations (signatures, AES-GCM, RSA-OAEP,
 * digests, HMAC, X25519) run on an {@link dev.asyncjobs.engine.OffloadEngine}'s device threads while
 * the calling job is paused, and look synchronous to the caller. Results are exactly the JCA's;
 * failures are the JCA's own exceptions.
 *
 * <h2>Package conventions</h2>
 * <ul>
 *   <li>Everything is non-null unless annotated {@code @Nullable}; a {@code null} argument throws
 *       {@link java.lang.NullPointerException} naming the parameter.</li>
 *   <li>Arrays passed in are read while the job is paused and must not be changed until the call
 *       returns; arrays returned are the caller's.</li>
 *   <li>Only the JDK's providers are used (whatever {@code java.security} lists); nothing here
 *       keeps state in a job's {@code ThreadLocal}s: per-thread JCA instances live on the device
 *       threads only.</li>
 * </ul>
 */
@NullMarked
package dev.asyncjobs.crypto;

import org.jspecify.annotations.NullMarked;
