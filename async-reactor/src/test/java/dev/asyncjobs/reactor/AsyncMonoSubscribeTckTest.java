package dev.asyncjobs.reactor;

/** The TCK against {@code AsyncMono} through plain {@code Publisher.subscribe} (see {@link JobPublisherTck}). */
public class AsyncMonoSubscribeTckTest extends MonoTck {
    public AsyncMonoSubscribeTckTest() {
        super("tck-mono-subscribe", false);
    }
}
