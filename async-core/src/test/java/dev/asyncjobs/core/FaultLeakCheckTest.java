package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The fault-injection tests' shared kit (leak snapshot, job tracker, hook recorder), and the proof
 * that its leak check sees what it must: an fd, a thread and a job left behind are reported, and
 * the same snapshot passes once they are gone. Without this, a "no leak" assertion in the other
 * {@code Fault*Test}s could pass by not looking.
 */
@ExtendWith(FaultLeakCheckTest.NothingLeaked.class)
final class FaultLeakCheckTest {
    @Test
    void seesAnFdLeftOpenAndPassesOnceItIsClosed() {
        Snapshot s = Snapshot.take();
        WakeupFd fd = WakeupFd.open();
        assertThat(s.leaks()).anyMatch(l -> l.startsWith("fds:"));
        fd.close();
        s.assertNothingLeaked();
    }

    @Test
    void seesAThreadLeftRunningAndPassesOnceItEnds() throws InterruptedException {
        Snapshot s = Snapshot.take();
        CountDownLatch release = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "fault-leak-probe");
        t.start();
        assertThat(s.leaks()).anyMatch(l -> l.contains("fault-leak-probe"));
        release.countDown();
        t.join();
        s.assertNothingLeaked();
    }

    @Test
    void seesALoopGroupLeftOpenAndPassesOnceItIsClosed() {
        Snapshot s = Snapshot.take();
        JobLoopGroup g = JobLoopGroup.builder().threads(1).name("fault-leak-group").build();
        Probe<String> p = new Probe<>();
        AsyncJobs.launch(() -> "x", JobOptions.builder().loops(g).build(), p);
        p.await();
        assertThat(s.leaks()).anyMatch(l -> l.contains("fault-leak-group-0"));
        g.close();
        s.assertNothingLeaked();
    }

    /**
     * A job's own thread (virtual-thread backend: a paused job and an idle pooled one each keep
     * a virtual thread) is reported while its pool lives, and no longer once the pool is freed.
     * On the continuation backend a job has no thread of its own and nothing is reported.
     */
    @Test
    void seesAJobThreadLeftAndPassesOnceItsPoolIsFreed() {
        Snapshot s = Snapshot.take();
        CoreTestSupport.onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.pause();
                    return "done";
                })).isEqualTo(StartStatus.PAUSE);
                assertJobThreadReported(s, "paused");
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(h.result()).isEqualTo("done");
                assertJobThreadReported(s, "idle in the pool");
                AsyncJob.cleanupThread();
            }
        });
        s.assertNothingLeaked();
    }

    private static void assertJobThreadReported(Snapshot s, String state) {
        if (CoreTestSupport.continuationBackend()) {
            assertThat(jobVirtualThreads()).as(state).isZero();
            assertThat(s.leaks()).as(state).noneMatch(l -> l.startsWith("job virtual threads"));
        } else {
            assertThat(s.leaks()).as(state).anyMatch(l -> l.startsWith("job virtual threads: "));
        }
    }

    @Test
    void seesAJobNeverFinishedAndATerminalSignalTwice() {
        Probe<String> never = new Probe<>();
        assertThat(Probe.problems(List.of(never))).anyMatch(l -> l.contains("0 terminal signals"));
        Probe<String> twice = new Probe<>();
        twice.onSuccess("a");
        twice.onDropped("b", null);
        assertThat(Probe.problems(List.of(twice))).anyMatch(l -> l.contains("2 terminal signals"));
        Probe<String> once = new Probe<>();
        once.onFailure(new IllegalStateException("x"));
        WakeupFd fd = WakeupFd.open();
        once.cleanup().cleanup(new AsyncWaitCtx(), "k", fd.channel(), fd);
        assertThat(Probe.problems(List.of(once))).isEmpty();
        assertThat(once.cleanups).hasValue(1);
        assertThat(fd.channel().isOpen()).as("the cleanup closes the WakeupFd").isFalse();
    }

    // ================================================================ the kit

    /**
     * Takes a {@link Snapshot} before each test of a class extended with it and, after the test
     * (after the class's own after-each methods), fails it with whatever it left behind. A test
     * that compares with the snapshot itself takes it as a {@code Snapshot} parameter.
     */
    static final class NothingLeaked implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
        private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NothingLeaked.class);

        @Override
        public void beforeEach(ExtensionContext context) {
            context.getStore(NS).put(Snapshot.class, Snapshot.take());
        }

        @Override
        public void afterEach(ExtensionContext context) {
            before(context).assertNothingLeaked();
        }

        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == Snapshot.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return before(context);
        }

        private static Snapshot before(ExtensionContext context) {
            return context.getStore(NS).get(Snapshot.class, Snapshot.class);
        }
    }

    /** Open fds, live platform threads and live job virtual threads at one moment. */
    static final class Snapshot {
        /** The core's lazily started singletons: never closed by design. */
        private static final Pattern CORE_SINGLETONS = Pattern.compile("asyncjobs-selector|asyncjobs-loop-\\d+");
        /** Threads not counted as left behind: the JDK's own (started on demand and kept) and those singletons. */
        private static final Predicate<Thread> KEPT = Threads.JVM_OWN.or(t -> CORE_SINGLETONS.matcher(t.getName()).matches());

        static {
            warmUp();
        }

        final int fds;
        final Set<Thread> threads;
        final int jobThreads;

        private Snapshot(int fds, Set<Thread> threads, int jobThreads) {
            this.fds = fds;
            this.threads = threads;
            this.jobThreads = jobThreads;
        }

        static Snapshot take() {
            return new Snapshot(Fds.count(), Threads.live(), jobVirtualThreads());
        }

        /**
         * Starts what is created once per JVM and kept, so a test that happens to be first to
         * touch it is not blamed for its fds: the core's shared selector and loops (documented
         * lazy singletons), the JDK's pre-close socket that closing a registered channel creates,
         * and the random devices the first SecureRandom (a key, a temp file name) opens.
         */
        private static void warmUp() {
            new java.security.SecureRandom().nextInt(); // opens /dev/random and /dev/urandom for good
            AsyncSelector.shared();
            JobLoopGroup.shared();
            Fds.warmUpNio();
        }

        /** What is left now compared with this snapshot (empty: nothing). */
        List<String> leaks() {
            List<String> out = new ArrayList<>();
            int fdsNow = Fds.count();
            if (fdsNow > fds) {
                out.add("fds: " + fdsNow + " open, " + fds + " before " + Fds.targets());
            }
            for (Thread t : Threads.startedSince(threads, KEPT)) {
                out.add("thread left: " + t.getName() + " (" + t.getState() + ")");
            }
            int jobs = jobVirtualThreads();
            if (jobs > jobThreads) {
                out.add("job virtual threads: " + jobs + " alive, " + jobThreads + " before");
            }
            return out;
        }

        /** Waits up to 10 s for everything to be released, then fails with what is left. */
        void assertNothingLeaked() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<String> left;
            while (!(left = leaks()).isEmpty()) {
                if (System.nanoTime() - deadline > 0) {
                    fail("left behind: " + left);
                }
                sleepMillis(20);
            }
        }
    }

    /**
     * Virtual threads of the virtual-thread backend still alive (each job in a pool owns one; 0 on
     * the continuation backend). They are not in {@link Thread#getAllStackTraces()}, and a JSON
     * thread dump, which lists them, can crash JDK 25 when taken while virtual threads park
     * (JDK-8364343: a CI run of this suite aborted that way), so the backend counts its threads.
     */
    static int jobVirtualThreads() {
        return dev.asyncjobs.core.internal.Fibers.liveJobThreads();
    }

    /**
     * One launched job as the tests see it: the terminal signals it got (all of them, to catch a
     * second one), the cleanups of its ctx, the thread the signal came on.
     */
    static class Probe<R> implements JobObserver<R> {
        final AtomicInteger successes = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();
        final AtomicInteger drops = new AtomicInteger();
        final AtomicInteger cleanups = new AtomicInteger();
        final CountDownLatch done = new CountDownLatch(1);
        volatile @Nullable R value;
        volatile @Nullable Throwable error;
        volatile @Nullable Thread signalThread;

        @Override
        public void onSuccess(@Nullable R v) {
            value = v;
            successes.incrementAndGet();
            signalled();
        }

        @Override
        public void onFailure(Throwable e) {
            error = e;
            failures.incrementAndGet();
            signalled();
        }

        @Override
        public void onDropped(@Nullable R v, @Nullable Throwable e) {
            value = v;
            error = e;
            drops.incrementAndGet();
            signalled();
        }

        private void signalled() {
            signalThread = Thread.currentThread();
            done.countDown();
        }

        int terminals() {
            return successes.get() + failures.get() + drops.get();
        }

        /** A cleanup that counts its runs and closes a {@link WakeupFd} given as custom data. */
        WaitFdCleanup cleanup() {
            return (ctx, key, fd, data) -> {
                cleanups.incrementAndGet();
                if (data instanceof WakeupFd w) {
                    w.close();
                }
            };
        }

        /** Waits up to 20 s for the terminal signal. */
        Probe<R> await() {
            try {
                if (!done.await(20, TimeUnit.SECONDS)) {
                    fail("no terminal signal within 20 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            return this;
        }

        String describe() {
            return "success=" + successes + " failure=" + failures + " dropped=" + drops + " cleanups="
                    + cleanups + " error=" + error;
        }

        /** Every probe must have exactly one terminal signal; returns what is wrong. */
        static List<String> problems(Collection<? extends Probe<?>> probes) {
            List<String> out = new ArrayList<>();
            int i = 0;
            for (Probe<?> p : probes) {
                if (p.terminals() != 1) {
                    out.add("job " + i + ": " + p.terminals() + " terminal signals (" + p.describe() + ")");
                }
                i++;
            }
            return out;
        }

        /**
         * Waits for every probe's terminal signal (20 s in all), then lets any late second signal
         * arrive (a barrier on each executor given) and checks exactly one each, and the cleanups.
         */
        static void assertAllDoneOnce(List<? extends Probe<?>> probes, int cleanupsEach, Executor... barriers) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int lost = 0;
            for (Probe<?> p : probes) {
                try {
                    if (!p.done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        lost++;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
            assertThat(lost).as("jobs with no terminal signal within 20 s").isZero();
            for (Executor e : barriers) {
                barrier(e);
            }
            assertThat(problems(probes)).as("terminal signals").isEmpty();
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < probes.size(); i++) {
                if (probes.get(i).cleanups.get() != cleanupsEach) {
                    bad.add("job " + i + ": cleanups=" + probes.get(i).cleanups.get());
                }
            }
            assertThat(bad).as("cleanups, expected %d each", cleanupsEach).isEmpty();
        }
    }

    /** Launches one job told to one probe (e.g. {@code AsyncJobs.launch(job, opts, probe)}). */
    interface Launcher {
        void launch(JobFunction<String> job, Probe<String> probe);
    }

    /**
     * Launches {@code n} jobs with {@code launcher}, job {@code i} told to the {@code i}-th probe
     * returned: each opens a {@link WakeupFd} of its own (the probe's cleanup closes it), pauses
     * once on it and returns {@code "resumed"} or {@code "cancelled"} as the pause returned true or
     * false. A job that started has put its fd in {@code fds[i]} (when {@code fds} is given).
     */
    static List<Probe<String>> launchEachPausedOnItsOwnFd(int n, WakeupFd @Nullable [] fds, Launcher launcher) {
        List<Probe<String>> probes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Probe<String> p = new Probe<>();
            probes.add(p);
            int idx = i;
            launcher.launch(() -> {
                WakeupFd fd = WakeupFd.open();
                AsyncJob.current().waitCtx().setWaitFd(p, fd.channel(), fd, p.cleanup());
                if (fds != null) {
                    fds[idx] = fd;
                }
                return AsyncJob.pause() ? "resumed" : "cancelled";
            }, p);
        }
        return probes;
    }

    /** Waits until every loop of {@code group} has run what was queued on it so far. */
    static void barrierOnEveryLoop(JobLoopGroup group) {
        for (int i = 0; i < group.size(); i++) {
            barrier(group.loop(i));
        }
    }

    /** Records what reaches {@link AsyncHooks#onError}; install in a test, {@link #close()} after. */
    static final class HookRecorder implements AutoCloseable {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        HookRecorder() {
            AsyncHooks.setOnError(errors::add);
        }

        @Override
        public void close() {
            AsyncHooks.resetOnError();
        }
    }

    /**
     * Waits until the group has no live job: a job counts live until its observer has returned,
     * so right after the terminal signal it may still count for a moment.
     */
    static void awaitNoLiveJobs(JobLoopGroup group) {
        Await.until("no live job in the group (" + group.liveJobs() + " left)", Duration.ofSeconds(10),
                () -> group.liveJobs() == 0);
    }

    /** Waits until everything queued on {@code executor} so far has run. */
    static void barrier(Executor executor) {
        CountDownLatch l = new CountDownLatch(1);
        executor.execute(l::countDown);
        Await.latch(l, Duration.ofSeconds(20), "the executor to run a task");
    }

    static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
