package dev.asyncjobs.examples.webflux;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.crypto.AsyncCrypto;
import dev.asyncjobs.engine.OffloadEngine;
import java.security.GeneralSecurityException;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The asyncjobs side of the service: its own job loops, the offload engine (the "device") and the
 * keys. Spring closes them after the web server has stopped (graceful shutdown first lets the
 * requests in flight finish), so no job is cut off.
 */
@Configuration(proxyBeanMethods = false)
class AsyncJobsConfiguration {

    /**
     * The job loops the requests' jobs run on. The name keeps the {@code asyncjobs-loop} prefix,
     * which the BlockHound integration marks non-blocking.
     */
    @Bean(destroyMethod = "close")
    JobLoopGroup signingLoops(SigningProperties p) {
        return JobLoopGroup.builder()
                .threads(p.loopsOrDefault())
                .name("asyncjobs-loop-web")
                .maxJobsPerLoop(p.maxJobsPerLoop())
                .build();
    }

    @Bean
    JobOptions signingJobOptions(JobLoopGroup signingLoops) {
        return JobOptions.builder().loops(signingLoops).build();
    }

    /**
     * The device. Strict: every call must come from a job, so a handler that forgot {@code
     * AsyncMono.fromJob} fails with an {@link IllegalStateException} naming the fix instead of
     * signing on the Netty event loop.
     */
    @Bean(destroyMethod = "close")
    OffloadEngine signingEngine(SigningProperties p) {
        OffloadEngine.Builder b = OffloadEngine.builder().threads(p.deviceThreadsOrDefault()).name("signing-device")
                .strict(true);
        if (p.queueCapacity() > 0) {
            b.queueCapacity(p.queueCapacity());
        }
        return b.build();
    }

    @Bean
    AsyncCrypto asyncCrypto(OffloadEngine signingEngine) {
        return new AsyncCrypto(signingEngine);
    }

    @Bean
    KeyRing keyRing(SigningProperties p) throws GeneralSecurityException {
        return KeyRing.generate(p.keysOrDefault());
    }

    @Bean
    SigningService signingService(AsyncCrypto asyncCrypto, JobOptions signingJobOptions) {
        return new SigningService(asyncCrypto, signingJobOptions);
    }
}
