/**
 * asyncjobs core: pausable jobs in the shape of OpenSSL's {@code ASYNC_JOB}, their wait contexts,
 * a standalone selector, job loops, and an offload engine on their public API. No runtime dependency.
 *
 * <p>The continuation backend needs {@code --add-exports java.base/jdk.internal.vm=dev.asyncjobs.core}
 * on the module path ({@code =ALL-UNNAMED} on the class path); without it jobs run on the
 * virtual-thread backend.
 */
@SuppressWarnings("requires-automatic") // BlockHound is an automatic module: there is nothing else to require
module dev.asyncjobs.core {
    requires static transitive org.jspecify; // @Nullable is part of the exported signatures
    requires static reactor.blockhound;

    exports dev.asyncjobs.core;
    exports dev.asyncjobs.engine;

    provides reactor.blockhound.integration.BlockHoundIntegration with dev.asyncjobs.core.internal.AsyncJobsBlockHoundIntegration;
}
