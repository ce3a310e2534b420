package dev.asyncjobs.benchmarks;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import java.security.Security;

/**
 * Registers Amazon Corretto Crypto Provider (ACCP) for the benchmarks that compare providers, the
 * way an application would: at the end of the provider list, so plain JCA calls keep the JDK's
 * providers and only {@link dev.asyncjobs.crypto.CryptoPolicy#fastest()} picks ACCP.
 */
final class CryptoProviders {
    private CryptoProviders() {
    }

    /**
     * Adds ACCP last if its native library loads here.
     *
     * @return whether ACCP is installed now
     */
    static boolean installAccp() {
        Provider accp = AmazonCorrettoCryptoProvider.INSTANCE;
        if (AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError() != null) {
            System.err.println("ACCP unavailable: " + AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError());
            return false;
        }
        if (Security.getProvider(accp.getName()) == null) {
            Security.addProvider(accp);
        }
        return true;
    }
}
