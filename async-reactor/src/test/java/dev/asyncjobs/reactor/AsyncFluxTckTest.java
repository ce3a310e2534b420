package dev.asyncjobs.reactor;

/** The TCK against the {@code AsyncFlux} operator's own subscription (see {@link JobPublisherTck}). */
public class AsyncFluxTckTest extends FluxTck {
    public AsyncFluxTckTest() {
        super("tck-flux", true);
    }
}
