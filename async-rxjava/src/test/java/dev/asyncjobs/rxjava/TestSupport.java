package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.WaitCallback;
import dev.asyncjobs.core.WakeupFd;
import io.reactivex.rxjava3.exceptions.UndeliverableException;
import io.reactivex.rxjava3.plugins.RxJavaPlugins;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the tests share: error capture (RxJava's and the core's hooks, checked empty after every
 * test), resource counts, condition waits with deadlines, and a two-thread race helper in the style
 * of RxJava's {@code TestHelper.race}.
 */
abstract class TestSupport {
    static final Object KEY = new Object();
    private static final ExecutorService RACER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-racer");
        t.setDaemon(true);
        return t;
    });

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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(20, TimeUnit.SECONDS)).as("latch released in time").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
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

    static int openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return Objects.requireNonNull(fds, "/proc/self/fd").length;
    }

    /** The JVM's own threads, started and stopped on its schedule (the virtual threads' carriers...). */
    private static final Pattern JVM_THREADS = Pattern.compile("ForkJoinPool-\\d+-worker-\\d+"
            + "|ForkJoinPool\\.commonPool-worker-\\d+|Attach Listener|process reaper|VirtualThread-unparker|ForkJoinPool-\\d+-delayScheduler"
            + "|VirtualThread-unblocker|Common-Cleaner|Notification Thread|Signal Dispatcher|Reference Handler"
            + "|Finalizer|C[12] CompilerThread\\d+");

    /** The live platform threads (virtual threads are not listed by the JDK). */
    static Set<Thread> platformThreads() {
        Set<Thread> live = Collections.newSetFromMap(new IdentityHashMap<>());
        live.addAll(Thread.getAllStackTraces().keySet());
        return live;
    }

    /** Threads alive now that were not in {@code before}, other than the JVM's own. */
    static List<String> newThreads(Set<Thread> before) {
        List<String> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && !before.contains(t) && !JVM_THREADS.matcher(t.getName()).matches()) {
                out.add(t.getName());
            }
        }
        return out;
    }

    static void awaitNoNewThreads(String what, Set<Thread> before) {
        await(what + ": no thread left behind", () -> newThreads(before).isEmpty());
    }

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

    /**
     * Makes the JDK create its pre-close socket (one fd, kept for the JVM's life, made the first
     * time a channel registered with a selector is closed), so a baseline taken after this is not
     * blamed for it.
     */
    static void warmUpNio() {
        try (Selector sel = Selector.open()) {
            Pipe pipe = Pipe.open();
            pipe.source().configureBlocking(false);
            pipe.source().register(sel, SelectionKey.OP_READ);
            pipe.source().close();
            pipe.sink().close();
            sel.selectNow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the open fds drop to {@code baseline} or below; the failure lists them. */
    static void awaitFds(String what, int baseline) {
        try {
            awaitAtMost(what, TestSupport::openFds, baseline);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; open: " + fdTargets(), e);
        }
    }

    /** What each open fd is (pipe, socket, anon_inode:[eventpoll], file). */
    static List<String> fdTargets() {
        List<String> out = new ArrayList<>();
        File[] fds = new File("/proc/self/fd").listFiles();
        for (File f : fds == null ? new File[0] : fds) {
            try {
                out.add(f.getName() + "->" + Files.readSymbolicLink(f.toPath()));
            } catch (IOException e) {
                // closed while listing
            }
        }
        return out;
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
        AtomicInteger gate = new AtomicInteger(2);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        RACER.execute(() -> {
            if (gate.decrementAndGet() != 0) {
                while (gate.get() != 0) {
                    Thread.onSpinWait();
                }
            }
            try {
                b.run();
            } catch (Throwable t) {
                failed.set(t);
            } finally {
                done.countDown();
            }
        });
        if (gate.decrementAndGet() != 0) {
            while (gate.get() != 0) {
                Thread.onSpinWait();
            }
        }
        try {
            a.run();
        } finally {
            await(done);
        }
        if (failed.get() != null) {
            throw new AssertionError("the other racer failed", failed.get());
        }
    }
}
