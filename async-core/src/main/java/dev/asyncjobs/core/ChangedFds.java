package dev.asyncjobs.core;

import java.nio.channels.SelectableChannel;
import java.util.List;
import java.util.Objects;

/**
 * The wait fds added and deleted since the job was last resumed
 * ({@code ASYNC_WAIT_CTX_get_changed_fds}). An fd set and cleared within one run is in neither.
 *
 * @param added fds set since the last resume and still live, newest first
 * @param deleted fds cleared since the last resume that were set before it, newest first
 */
public record ChangedFds(List<SelectableChannel> added, List<SelectableChannel> deleted) {
    static final ChangedFds NONE = new ChangedFds(List.of(), List.of());

    /** Makes unmodifiable copies of both lists. */
    public ChangedFds {
        added = List.copyOf(Objects.requireNonNull(added, "added"));
        deleted = List.copyOf(Objects.requireNonNull(deleted, "deleted"));
    }

    /**
     * Tells whether nothing changed.
     *
     * @return {@code true} when both lists are empty
     */
    public boolean isEmpty() {
        return added.isEmpty() && deleted.isEmpty();
    }
}
