package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Racer;
import io.reactivex.rxjava3.exceptions.UndeliverableException;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the tests share beyond async-test-support: error capture (RxJava's and the core's hooks,
 * checked empty after every test), the job virtual-thread count, this module's default deadlines,
 * and one racer thread for the whole run.
 */
abstract class TestSupport {
    static final Object KEY = new Object();
    /** One helper thread for the whole run (a daemon): the thread-leak checks take it as given. */
    private static final Racer RACER = new Racer(1, "test-racer");

    /** What reached {@code RxJavaPlugins.onError} during the test. */
    final ConcurrentLinkedQueue<Throwable> rxErrors = new ConcurrentLinkedQueue<>();
    /** What reached {@code AsyncHooks.onError} during the test. */
    final ConcurrentLinkedQueue<Throwable> coreErrors = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void captureErrors() {
        RxJavaPlugins.setErrorHandler(rxErrors::add);
        AsyncHooks.setOnError(coreErrors::add);
    }

    @AfterEach
    void noStrayErrors() {
        try {
            assertThat(rxErrors).as("errors routed to RxJavaPlugins.onError and not checked").isEmpty();
            assertThat(coreErrors).as("errors routed to AsyncHooks.onError").isEmpty();
        } finally {
            RxJavaPlugins.reset();
            AsyncHooks.resetOnError();
        }
    }

    /** Takes the undeliverable errors seen so far, unwrapped, and clears them. */
    List<Throwable> takeUndeliverables() {
        List<Throwable> out = new ArrayList<>();
        Throwable t;
        while ((t = rxErrors.poll()) != null) {
            assertThat(t).isInstanceOf(UndeliverableException.class);
            out.add(t.getCause());
        }
        return out;
    }

    // ---------------------------------------------------------------- waiting

    static void await(String what, BooleanSupplier condition) {
        Await.spinUntil(what, Duration.ofSeconds(20), condition);
    }

    static void await(CountDownLatch latch) {
        Await.latch(latch, Duration.ofSeconds(20), "latch released in time");
    }

    /** Returns once every task queued on the loop so far (e.g. a job's end and its signals) has run. */
    static void flush(JobLoop loop) {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(done::countDown);
        await(done);
    }

    static void flush(JobLoopGroup group) {
        for (int i = 0; i < group.size(); i++) {
            flush(group.loop(i));
        }
    }

    // ---------------------------------------------------------------- resources

    /**
     * Virtual threads of the virtual-thread backend alive now (each job, running, paused or idle in
     * a pool, owns one; 0 on the continuation backend). They are not in {@link
     * Thread#getAllStackTraces()}, and a JSON thread dump, which lists them, can crash JDK 25 when
     * taken while virtual threads park (JDK-8364343), so the backend's own count is read. It is
     * reached reflectively: the core does not export its internal package to this module, and the
     * tests run on the class path, where it is public.
     */
    static int jobVirtualThreads() {
        try {
            return (Integer) Class.forName("dev.asyncjobs.core.internal.Fibers").getMethod("liveJobThreads").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot count the job threads", e);
        }
    }

    /** Waits until {@code count} drops to {@code baseline} or below (threads and fds close lazily). */
    static void awaitAtMost(String what, java.util.function.IntSupplier count, int baseline) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int now;
        while ((now = count.getAsInt()) > baseline) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": " + now + " > baseline " + baseline);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    // ---------------------------------------------------------------- jobs

    /**
     * Inside a job: opens a {@link WakeupFd}, sets it as the job's wait fd with a cleanup that
     * counts and closes it, and returns it.
     */
    static WakeupFd waitFd(AtomicInteger cleanups) {
        AsyncWaitCtx ctx = Objects.requireNonNull(AsyncJob.current(), "in a job").waitCtx();
        WakeupFd fd = WakeupFd.open();
        ctx.setWaitFd(KEY, fd.channel(), fd, (c, k, ch, data) -> {
            cleanups.incrementAndGet();
            ((WakeupFd) Objects.requireNonNull(data)).close();
        });
        return fd;
    }

    /** Inside a job: the ctx callback, to be called from another thread. */
    static Runnable callback() {
        AsyncWaitCtx ctx = Objects.requireNonNull(AsyncJob.current(), "in a job").waitCtx();
        WaitCallback cb = Objects.requireNonNull(ctx.getCallback(), "callback installed before the start");
        Object arg = ctx.getCallbackArg();
        return () -> cb.onWake(arg);
    }

    // ---------------------------------------------------------------- races

    /** Runs {@code a} on this thread and {@code b} on another, released together. */
    static void race(Runnable a, Runnable b) {
        RACER.race(a, b);
    }
}
