package dev.asyncjobs.reactor;

import io.micrometer.context.ContextSnapshotFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Hooks;
import reactor.util.context.ContextView;

/**
 * Restores ThreadLocals from a subscriber's {@link ContextView} inside a job, through Micrometer's
 * context-propagation, which is an optional dependency: nothing here touches its classes unless
 * {@link #AVAILABLE} says they can be loaded (the {@link Factory} holder is loaded on first use
 * only, as reactor-core does in its own {@code ContextPropagationSupport}).
 *
 * <p>Propagation is on when the library is present and {@link Hooks#enableAutomaticContextPropagation()}
 * was called, the same switch reactor-core uses for its own operators. The snapshot factory clears
 * the ThreadLocals it knows and the context lacks (as reactor-core does in automatic mode), so a
 * job never sees values the loop thread carried for someone else; closing the scope at each pause
 * puts the loop's own values back.
 */
final class ContextSupport {
    /** Whether context-propagation 1.0.3+ (the one with {@code ContextSnapshotFactory}) is present. */
    static final boolean AVAILABLE = detect();

    private ContextSupport() {
    }

    /**
     * Whether a subscription made now should restore ThreadLocals inside its job.
     *
     * @return {@code true} with the library present and automatic propagation on
     */
    static boolean shouldPropagate() {
        return AVAILABLE && Hooks.isAutomaticContextPropagationEnabled();
    }

    /**
     * Sets the ThreadLocals known to the global {@code ContextRegistry} from {@code context}.
     *
     * @param context the subscriber's context
     * @return the scope that puts the previous values back when closed
     */
    static @Nullable AutoCloseable setThreadLocals(ContextView context) {
        return Factory.INSTANCE.setThreadLocalsFrom(context);
    }

    private static boolean detect() {
        try {
            Class.forName("io.micrometer.context.ContextSnapshotFactory", false,
                    ContextSupport.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Loaded only when propagation is used, so the optional classes are never needed otherwise. */
    private static final class Factory {
        static final ContextSnapshotFactory INSTANCE = ContextSnapshotFactory.builder().clearMissing(true).build();
    }
}
