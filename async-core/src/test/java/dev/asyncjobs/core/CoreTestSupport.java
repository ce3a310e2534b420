package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * Helpers shared by the core tests. Job state is per thread (pool, running job), so tests that
 * touch pools run their body on a fresh platform thread ({@link #onNewThread}) and never see what
 * an earlier test left on the JUnit thread.
 */
public final class CoreTestSupport {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final AtomicInteger NAMES = new AtomicInteger();

    /** A body that may throw anything. */
    @FunctionalInterface
    public interface Body {
        void run() throws Throwable;
    }

    private CoreTestSupport() {
    }

    static boolean continuationBackend() {
        return "continuation".equals(AsyncJob.backend());
    }

    /** A name unique within this JVM, so thread-name checks never see another test's threads. */
    public static String uniqueName(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet();
    }

    /** Runs {@code body} on a new platform thread (no pool, no job) and rethrows what it threw. */
    public static void onNewThread(Body body) {
        onNewThread(0, body);
    }

    /** As {@link #onNewThread(Body)}, with a given stack size (0: the default). */
    static void onNewThread(long stackSize, Body body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "core-test-" + THREADS.incrementAndGet(), stackSize);
        t.start();
        try {
            t.join(TimeUnit.SECONDS.toMillis(90));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + t.getName(), e);
        }
        if (t.isAlive()) {
            AssertionError e = new AssertionError(t.getName() + " did not finish within 90 s");
            e.setStackTrace(t.getStackTrace());
            throw e;
        }
        Throwable e = failure.get();
        if (e instanceof Error err) {
            throw err;
        }
        if (e instanceof RuntimeException re) {
            throw re;
        }
        if (e != null) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code call} on a new platform thread and returns its value. */
    static <T> T callOnNewThread(Callable<T> call) {
        AtomicReference<T> out = new AtomicReference<>();
        onNewThread(() -> out.set(call.call()));
        return out.get();
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes (then fails with {@code what}). */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        Await.until(what, timeout, condition);
    }

    /** As {@link #await(String, Duration, BooleanSupplier)}, spinning then yielding, 20 s: for race loops. */
    static void spinUntil(String what, BooleanSupplier condition) {
        Await.spinUntil(what, Duration.ofSeconds(20), condition);
    }

    public static void await(CountDownLatch latch, String what) {
        Await.latch(latch, Duration.ofSeconds(20), what);
    }

    /**
     * The fd count to compare against later. Warms up first what lives as long as the process
     * and is not a leak: the socket the JDK opens the first time a pipe is made (NIO's pre-close
     * fd), and the lazily started shared AsyncSelector (two fds).
     */
    static int fdBaseline() {
        WakeupFd.open().close();
        AsyncSelector.shared();
        try {
            java.nio.channels.Selector.open().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Fds.count();
    }

    /**
     * Waits up to 5 s until the fd count is back to {@code baseline} (selector threads close theirs
     * asynchronously) and fails with the count and the open fds otherwise.
     */
    static void assertFdsBackTo(int baseline) {
        Fds.awaitAtMost("open fds", baseline, Duration.ofSeconds(5));
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Waits up to 10 s for every thread named {@code prefix}* to end. */
    public static void assertNoThreadsLeft(String prefix) {
        Threads.awaitNoneNamed(prefix, Duration.ofSeconds(10));
    }

    /** Asserts that {@code call} throws a NullPointerException whose message names {@code param}. */
    static void assertNpeNaming(String param, ThrowingCallable call) {
        assertThatThrownBy(call)
                .isInstanceOf(NullPointerException.class)
                .as("the NullPointerException must name the parameter '%s'", param)
                .satisfies(e -> assertThat(e.getMessage()).isNotNull()
                        .matches("(?s).*\\b" + java.util.regex.Pattern.quote(param) + "\\b.*"));
    }

    /** Runs {@code call} on the loop's thread and waits for its value. */
    static <T> T onLoop(JobLoop loop, Callable<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        try {
            return f.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("task on " + loop.name() + " failed", e);
        }
    }

    /** Waits until everything queued on {@code loop} before this call has run. */
    static void flush(JobLoop loop) {
        onLoop(loop, () -> null);
    }

    /** The pool of the calling thread, or null (white box: pool accounting). */
    static JobPool pool() {
        return ThreadState.get().pool;
    }

    /** Jobs of the calling thread's pool that are running or paused (taken and not given back). */
    static int jobsInUse() {
        JobPool p = pool();
        return p == null ? 0 : p.size() - p.idleCount();
    }
}
