package dev.asyncjobs.core;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The single place where errors go that have no caller or subscriber left to receive them: a
 * cleanup or callback that throws while a loop or selector runs it, a job that fails after its
 * subscriber cancelled, an {@code onReady} action that throws. By default they are logged through
 * {@link System.Logger} at {@code WARNING} ({@code dev.asyncjobs.core}). The adapters route their
 * own dropped signals to Reactor's {@code Hooks.onErrorDropped} and {@code RxJavaPlugins.onError}
 * first.
 */
public final class AsyncHooks {
    private static volatile @Nullable Consumer<? super Throwable> handler;

    private AsyncHooks() {
    }

    /**
     * Replaces the handler. It must not throw (what it throws is printed to {@code System.err}).
     *
     * @param onError the handler
     */
    public static void setOnError(Consumer<? super Throwable> onError) {
        handler = Objects.requireNonNull(onError, "onError");
    }

    /** Puts back the default handler (log at WARNING). */
    public static void resetOnError() {
        handler = null;
    }

    /**
     * Hands an undeliverable error to the handler.
     *
     * @param error the error
     */
    public static void onError(Throwable error) {
        Objects.requireNonNull(error, "error");
        Consumer<? super Throwable> h = handler;
        try {
            if (h != null) {
                h.accept(error);
            } else {
                System.getLogger("dev.asyncjobs.core").log(Level.WARNING,
                        "asyncjobs: an error could not be delivered", error);
            }
        } catch (Throwable t) {
            t.addSuppressed(error);
            t.printStackTrace();
        }
    }
}
