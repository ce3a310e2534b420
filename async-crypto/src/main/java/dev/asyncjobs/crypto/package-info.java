/**
 * Cryptography that pauses instead of blocking: JCA operations (signatures, AES-GCM, RSA-OAEP,
 * digests, HMAC, X25519) run on an {@link dev.asyncjobs.engine.OffloadEngine}'s device threads while
 * the calling job is paused (or, when small, in the job itself), and look synchronous to the
 * caller. Results are exactly the JCA's;
 * failures are the JCA's own exceptions.
 *
 * <h2>Package conventions</h2>
 * <ul>
 *   <li>Everything is non-null unless annotated {@code @Nullable}; a {@code null} argument throws
 *       {@link java.lang.NullPointerException} naming the parameter.</li>
 *   <li>Arrays passed in are read while the job is paused and must not be changed until the call
 *       returns; arrays returned are the caller's.</li>
 *   <li>Providers are the application's choice: a {@link dev.asyncjobs.crypto.CryptoPolicy} routes
 *       each operation to one of the providers installed (the fastest by default, from a measured
 *       table), and the library depends on none. Nothing here keeps state in a {@code
 *       ThreadLocal}: JCA instances are pooled per {@link dev.asyncjobs.crypto.AsyncCrypto}.</li>
 *   <li>Small work (below a per-operation inline limit) runs in the calling job with no pause.</li>
 * </ul>
 */
@NullMarked
package dev.asyncjobs.crypto;

import org.jspecify.annotations.NullMarked;
