package dev.asyncjobs.spring.boot;

import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.crypto.AsyncCrypto;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * {@link AsyncCrypto} over the application's {@link OffloadEngine} (the starter's or its own),
 * unless {@code asyncjobs.crypto.enabled=false}. The JCA providers are the application's.
 */
@AutoConfiguration(after = AsyncJobsAutoConfiguration.class)
@ConditionalOnClass(AsyncCrypto.class)
@ConditionalOnSingleCandidate(OffloadEngine.class)
@ConditionalOnBooleanProperty(name = "asyncjobs.crypto.enabled", matchIfMissing = true)
public final class AsyncJobsCryptoAutoConfiguration {

    /** Used by Spring. */
    public AsyncJobsCryptoAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean
    AsyncCrypto asyncCrypto(OffloadEngine engine) {
        return new AsyncCrypto(engine);
    }
}
