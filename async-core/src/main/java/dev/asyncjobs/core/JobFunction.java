package dev.asyncjobs.core;

import org.jspecify.annotations.Nullable;

/**
 * The body of a job ({@code int (*func)(void *)} in OpenSSL). It may call {@link AsyncJob#pause()}
 * any number of times; what it returns (or throws) becomes the job's outcome.
 *
 * @param <R> the result type
 */
@FunctionalInterface
public interface JobFunction<R extends @Nullable Object> {
    /**
     * Runs the job.
     *
     * @return the result, possibly {@code null}
     * @throws Exception any failure; it becomes the handle's {@link JobHandle#failure()}
     */
    R run() throws Exception;
}
