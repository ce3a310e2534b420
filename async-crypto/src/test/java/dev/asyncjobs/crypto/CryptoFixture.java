package dev.asyncjobs.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobObserver;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.engine.OffloadEngine;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the crypto tests run on, registered as a static field with {@code @RegisterExtension}: one
 * offload engine and two job loops for the whole test class (started before its own before-all
 * methods, closed after its after-all methods, the engine's threads awaited), and {@link #inJob},
 * which runs code as a job launched on those loops, the adapters' path.
 */
final class CryptoFixture implements BeforeAllCallback, AfterAllCallback {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final int queueCapacity;
    private @Nullable OffloadEngine engine;
    private @Nullable JobLoopGroup loops;
    private @Nullable JobOptions options;

    /**
     * @param name prefix of the engine's ({@code name-engine}) and the loops' ({@code name-loop}) threads
     * @param queueCapacity the engine's queue capacity, 0 for the engine's default
     */
    CryptoFixture(String name, int queueCapacity) {
        this.name = name;
        this.queueCapacity = queueCapacity;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        OffloadEngine.Builder b = OffloadEngine.builder().name(name + "-engine").threads(2);
        engine = (queueCapacity > 0 ? b.queueCapacity(queueCapacity) : b).build();
        loops = JobLoopGroup.builder().threads(2).name(name + "-loop").build();
        options = JobOptions.builder().loops(loops).build();
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        OffloadEngine e = engine();
        try {
            e.close();
            assertThat(e.awaitTermination(Duration.ofSeconds(10))).as("the engine's threads ended").isTrue();
        } finally {
            if (loops != null) {
                loops.close();
            }
        }
    }

    /** The test class's engine. */
    OffloadEngine engine() {
        OffloadEngine e = engine;
        if (e == null) {
            throw new IllegalStateException("the fixture is not started: register it with @RegisterExtension");
        }
        return e;
    }

    /** Options that launch jobs on the test class's loops. */
    JobOptions options() {
        JobOptions o = options;
        if (o == null) {
            throw new IllegalStateException("the fixture is not started: register it with @RegisterExtension");
        }
        return o;
    }

    /** Launches {@code f} as a job on the loops: the future completes with its value or what it threw. */
    <R> CompletableFuture<R> launch(JobFunction<R> f) {
        CompletableFuture<R> result = new CompletableFuture<>();
        AsyncJobs.launch(f, options(), new JobObserver<R>() {
            @Override
            public void onSuccess(@Nullable R value) {
                result.complete(value);
            }

            @Override
            public void onFailure(Throwable error) {
                result.completeExceptionally(error);
            }
        });
        return result;
    }

    /** Runs {@code f} as a launched job and returns its value, or rethrows what it threw. */
    <R> R inJob(JobFunction<R> f) throws Exception {
        try {
            return launch(f).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw (Error) e.getCause();
        }
    }

    /** {@code n} random bytes. */
    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
