package dev.asyncjobs.core;

/**
 * Marks a thread that must never block: a job loop's, or an {@link AsyncSelector}'s. Every job and
 * task of the loop shares it, so a blocking call there stalls them all. The BlockHound integration
 * that core ships reports blocking calls on threads of this type (by type, not by name).
 *
 * <p>The loops' default threads implement it. A {@link java.util.concurrent.ThreadFactory} given
 * to {@link JobLoopGroup.Builder#threadFactory} should make threads that implement it too (a
 * {@code Thread} subclass that {@code implements NonBlockingThread}); the Reactor adapter's factory
 * makes threads that are also Reactor's {@code NonBlocking}, so {@code block()} on a loop fails
 * fast instead of deadlocking it.
 */
public interface NonBlockingThread {
}
