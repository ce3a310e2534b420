package dev.asyncjobs.reactor;

/** The TCK against {@code AsyncFlux} through plain {@code Publisher.subscribe} (see {@link JobPublisherTck}). */
public class AsyncFluxSubscribeTckTest extends FluxTck {
    public AsyncFluxSubscribeTckTest() {
        super("tck-flux-subscribe", false);
    }
}
