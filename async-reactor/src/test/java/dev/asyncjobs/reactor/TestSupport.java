package dev.asyncjobs.reactor;

import dev.asyncjobs.testsupport.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import dev.asyncjobs.core.AsyncHooks;

/**
 * What the reactor tests share beyond async-test-support: condition waits with this module's default
 * deadline, the AsyncHooks error collector.
 */
final class TestSupport {
    private TestSupport() {
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes (then fails with {@code what}). */
    static void await(BooleanSupplier condition, Duration timeout, Supplier<String> what) {
        Await.until(what, timeout, condition);
    }

    static void await(BooleanSupplier condition, Supplier<String> what) {
        await(condition, Duration.ofSeconds(20), what);
    }

    /** Collects what reaches {@link AsyncHooks#onError} while installed. */
    static final class HookErrors implements AutoCloseable {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        HookErrors() {
            AsyncHooks.setOnError(errors::add);
        }

        @Override
        public void close() {
            AsyncHooks.resetOnError();
        }
    }
}
