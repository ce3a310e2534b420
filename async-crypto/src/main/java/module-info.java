/**
 * asyncjobs crypto: JCA operations (sign, verify, AEAD, digest, MAC, key agreement) run as
 * {@link dev.asyncjobs.engine.OffloadEngine} calls, so the job that makes them pauses instead of
 * holding its thread. Stands on async-core's public API only; no other runtime dependency.
 */
module dev.asyncjobs.crypto {
    requires transitive dev.asyncjobs.core;
    requires static transitive org.jspecify; // @Nullable is part of the exported signatures

    exports dev.asyncjobs.crypto;
}
