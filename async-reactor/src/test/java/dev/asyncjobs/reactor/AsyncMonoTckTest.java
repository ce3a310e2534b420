package dev.asyncjobs.reactor;

/** The TCK against the {@code AsyncMono} operator's own subscription (see {@link JobPublisherTck}). */
public class AsyncMonoTckTest extends MonoTck {
    public AsyncMonoTckTest() {
        super("tck-mono", true);
    }
}
