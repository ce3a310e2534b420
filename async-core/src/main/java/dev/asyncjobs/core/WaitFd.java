package dev.asyncjobs.core;

import java.nio.channels.SelectableChannel;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One live entry of a wait ctx, as {@link AsyncWaitCtx#getFd(Object)} returns it.
 *
 * @param key the key it was set under (compared by identity)
 * @param fd the channel that becomes readable when the job can resume
 * @param customData what the engine attached to it
 */
public record WaitFd(Object key, SelectableChannel fd, @Nullable Object customData) {
    /** Checks the non-null components. */
    public WaitFd {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fd, "fd");
    }
}
