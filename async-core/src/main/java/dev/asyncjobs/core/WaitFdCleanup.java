package dev.asyncjobs.core;

import java.nio.channels.SelectableChannel;
import org.jspecify.annotations.Nullable;

/**
 * Releases a wait fd when its ctx is closed. {@link AsyncWaitCtx#close()} calls it once for each
 * entry that was not cleared; {@link AsyncWaitCtx#clearFd} never does.
 */
@FunctionalInterface
public interface WaitFdCleanup {
    /**
     * Releases one wait fd.
     *
     * @param ctx the ctx being closed
     * @param key the key the fd was set under
     * @param fd the fd
     * @param customData the custom data given with the fd
     */
    void cleanup(AsyncWaitCtx ctx, Object key, SelectableChannel fd, @Nullable Object customData);
}
