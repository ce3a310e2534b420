package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import dev.asyncjobs.testsupport.Await;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * User code that throws: the job function (before and after a pause, and after a cancel), a wait
 * fd's cleanup, the observer's callbacks, the segment hook, an {@link AsyncSelector}'s
 * {@code onReady}. Each throws a checked exception, a
 * runtime exception, an {@link Error}, and a real {@link StackOverflowError} (from recursion, not
 * {@code new}). The job gets exactly one terminal signal carrying what was thrown (or the error goes
 * to {@link AsyncHooks} when nobody can take it), its cleanups run once, its slot is freed, the loop
 * or selector carries on, and nothing is left behind.
 */
@ExtendWith(NothingLeaked.class)
final class FaultUserCodeThrowsTest {
    /** What user code throws. */
    enum Fault {
        CHECKED, RUNTIME, ERROR, STACK_OVERFLOW;

        /** Throws this fault from here; a stack overflow is a real one, from recursion. */
        Throwable fire() {
            Throwable t = switch (this) {
                case CHECKED -> new IOException("injected checked exception");
                case RUNTIME -> new IllegalStateException("injected runtime exception");
                case ERROR -> new InjectedError();
                case STACK_OVERFLOW -> {
                    try {
                        recurse(0);
                        throw new AssertionError("the recursion returned");
                    } catch (StackOverflowError e) {
                        yield e;
                    }
                }
            };
            throw FaultUserCodeThrowsTest.<RuntimeException>sneaky(t);
        }

        /** Whether {@code t} is what {@link #fire()} threw ({@code fired}: the instance, if known). */
        boolean matches(@Nullable Throwable t, @Nullable Throwable fired) {
            if (this == STACK_OVERFLOW) {
                return t instanceof StackOverflowError;
            }
            return t != null && t == fired;
        }
    }

    static final class InjectedError extends Error {
        private static final long serialVersionUID = 1L;

        InjectedError() {
            super("injected error");
        }
    }

    // ---------------------------------------------------------------- the job function

    @ParameterizedTest
    @EnumSource(Fault.class)
    void aJobThatThrowsBeforeOrAfterPausingFailsWithWhatItThrew(Fault fault) {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 4); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<String>> probes = new ArrayList<>();
            List<AtomicReference<Throwable>> fired = new ArrayList<>();
            // 3 x the pool: slots held by failed jobs would stop the later ones
            for (int i = 0; i < 12; i++) {
                Probe<String> p = new Probe<>();
                AtomicReference<Throwable> f = new AtomicReference<>();
                probes.add(p);
                fired.add(f);
                boolean pauseFirst = i % 2 == 1;
                AsyncJobs.launch(() -> {
                    WakeupFd fd = WakeupFd.open();
                    AsyncJob.current().waitCtx().setWaitFd(this, fd.channel(), fd, p.cleanup());
                    if (pauseFirst) {
                        fd.signal();
                        AsyncJob.pause();
                    }
                    try {
                        fault.fire();
                    } catch (Throwable t) {
                        f.set(t);
                        throw t;
                    }
                    return "unreachable";
                }, opts, p);
            }
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            for (int i = 0; i < probes.size(); i++) {
                Probe<String> p = probes.get(i);
                assertThat(p.failures).as("job %d: %s", i, p.describe()).hasValue(1);
                assertThat(fault.matches(p.error, fired.get(i).get())).as("job %d got what it threw: %s", i, p.error)
                        .isTrue();
            }
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertLoopStillRuns(opts);
            assertThat(hooks.errors).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void aRawJobThatThrowsFinishesWithItsFailureAndFreesItsSlot(Fault fault) throws Exception {
        runOnNewThread(() -> {
            assertThat(AsyncJob.initThread(1, 0)).isTrue();
            try {
                for (int i = 0; i < 5; i++) {
                    JobHandle<String> h = new JobHandle<>();
                    AtomicInteger cleanups = new AtomicInteger();
                    WakeupFd fd = WakeupFd.open();
                    boolean pauseFirst = i % 2 == 1;
                    try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                        ctx.setWaitFd(this, fd.channel(), fd, (c, k, ch, d) -> {
                            cleanups.incrementAndGet();
                            ((WakeupFd) d).close();
                        });
                        StartStatus s = AsyncJob.start(h, ctx, () -> {
                            if (pauseFirst) {
                                AsyncJob.pause();
                            }
                            fault.fire();
                            return "unreachable";
                        });
                        if (pauseFirst) {
                            assertThat(s).isEqualTo(StartStatus.PAUSE);
                            s = AsyncJob.start(h, ctx, null);
                        }
                        assertThat(s).isEqualTo(StartStatus.FINISH);
                        assertThat(h.job()).isNull();
                        assertThat(fault.matches(h.failure(), h.failure())).as("failure %s", h.failure()).isTrue();
                        if (fault != Fault.STACK_OVERFLOW) {
                            assertThat(h.failure().getMessage()).startsWith("injected");
                        }
                    }
                    assertThat(cleanups).hasValue(1);
                }
                // the one slot is free again: a job that pauses can start
                JobHandle<String> h = new JobHandle<>();
                try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    assertThat(AsyncJob.start(h, ctx, () -> AsyncJob.pause() ? "ok" : "no")).isEqualTo(StartStatus.PAUSE);
                    assertThat(AsyncJob.start(new JobHandle<String>(), new AsyncWaitCtx(), () -> "x"))
                            .as("pool of one is full while the job is paused").isEqualTo(StartStatus.NO_JOBS);
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                    assertThat(h.result()).isEqualTo("ok");
                }
            } finally {
                AsyncJob.cleanupThread();
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void aJobThatThrowsAfterItWasCancelledIsDroppedWithWhatItThrew(Fault fault) {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            Probe<String> p = new Probe<>();
            AtomicReference<Throwable> fired = new AtomicReference<>();
            JobTicket t = AsyncJobs.launch(() -> {
                WakeupFd fd = WakeupFd.open();
                AsyncJob.current().waitCtx().setWaitFd(this, fd.channel(), fd, p.cleanup());
                if (!AsyncJob.pause()) {
                    try {
                        fault.fire();
                    } catch (Throwable e) {
                        fired.set(e);
                        throw e;
                    }
                }
                return "not cancelled";
            }, opts, p);
            FaultLeakCheckTest.barrier(group.loop(0));
            t.cancel();
            Probe.assertAllDoneOnce(List.of(p), 1, group.loop(0));
            assertThat(p.drops).as(p.describe()).hasValue(1);
            assertThat(fault.matches(p.error, fired.get())).as("dropped with %s", p.error).isTrue();
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertLoopStillRuns(opts);
            assertThat(hooks.errors).isEmpty();
        }
    }

    // ---------------------------------------------------------------- cleanups

    /**
     * A cleanup that throws: the job returned a value, but closing its ctx failed. The observer is
     * told exactly once: {@link JobObserver#onFailure} with what the cleanup threw (its javadoc: "or
     * a cleanup of its ctx threw"); the other cleanups still run, once.
     */
    @ParameterizedTest
    @EnumSource(Fault.class)
    void aCleanupThatThrowsFailsTheJobOnceAndTheOtherCleanupsStillRun(Fault fault) {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 2); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<Probe<String>> probes = new ArrayList<>();
            List<AtomicInteger> others = new ArrayList<>();
            List<AtomicReference<Throwable>> fired = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Probe<String> p = new Probe<>();
                AtomicInteger other = new AtomicInteger();
                AtomicReference<Throwable> f = new AtomicReference<>();
                probes.add(p);
                others.add(other);
                fired.add(f);
                AsyncJobs.launch(() -> {
                    AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                    WakeupFd a = WakeupFd.open();
                    WakeupFd b = WakeupFd.open();
                    ctx.setWaitFd("a", a.channel(), a, (c, k, ch, d) -> {
                        other.incrementAndGet();
                        a.close();
                    });
                    ctx.setWaitFd("b", b.channel(), b, (c, k, ch, d) -> {
                        p.cleanup().cleanup(c, k, ch, d);
                        try {
                            fault.fire();
                        } catch (Throwable t) {
                            f.set(t);
                            throw t;
                        }
                    });
                    b.signal();
                    AsyncJob.pause();
                    return "value";
                }, opts, p);
            }
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            for (int i = 0; i < probes.size(); i++) {
                Probe<String> p = probes.get(i);
                assertThat(p.failures).as("job %d: %s", i, p.describe()).hasValue(1);
                Throwable f = fired.get(i).get();
                assertThat(fault.matches(p.error, f) || (p.error != null && fault.matches(p.error.getCause(), f)))
                        .as("job %d failed with what the cleanup threw (or it as the cause): %s", i, p.error).isTrue();
                assertThat(others.get(i)).as("the other cleanup of job %d", i).hasValue(1);
            }
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertLoopStillRuns(opts);
            assertThat(hooks.errors).as("delivered to the observer, so not undeliverable").isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void aJobAndItsCleanupThatBothThrowFailWithTheJobsErrorAndTheCleanupsSuppressed(Fault fault) {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            Probe<String> p = new Probe<>();
            IllegalStateException jobError = new IllegalStateException("the job's own failure");
            AsyncJobs.launch(() -> {
                WakeupFd fd = WakeupFd.open();
                AsyncJob.current().waitCtx().setWaitFd(this, fd.channel(), fd, (c, k, ch, d) -> {
                    p.cleanup().cleanup(c, k, ch, d);
                    fault.fire();
                });
                throw jobError;
            }, opts, p);
            Probe.assertAllDoneOnce(List.of(p), 1, group.loop(0));
            assertThat(p.failures).as(p.describe()).hasValue(1);
            assertThat(p.error).isSameAs(jobError);
            assertThat(jobError.getSuppressed()).hasSize(1);
            assertThat(fault.matches(jobError.getSuppressed()[0], jobError.getSuppressed()[0])).isTrue();
            assertLoopStillRuns(opts);
            assertThat(hooks.errors).as("delivered to the observer, so not undeliverable").isEmpty();
        }
    }

    // ---------------------------------------------------------------- callbacks

    /** The observer itself throws: nobody is left to tell but the hook; the loop carries on. */
    @ParameterizedTest
    @EnumSource(Fault.class)
    void anObserverThatThrowsReachesTheHookOnceAndTheLoopCarriesOn(Fault fault) {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            List<ThrowingProbe> probes = new ArrayList<>();
            List<JobTicket> tickets = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                ThrowingProbe p = new ThrowingProbe(fault);
                probes.add(p);
                int kind = i % 3;
                tickets.add(AsyncJobs.launch(() -> {
                    WakeupFd fd = WakeupFd.open();
                    AsyncJob.current().waitCtx().setWaitFd(this, fd.channel(), fd, p.cleanup());
                    if (kind == 2) {
                        AsyncJob.pause(); // waits for the cancel below
                    }
                    if (kind == 1) {
                        throw new IllegalStateException("job failure");
                    }
                    return "v";
                }, opts, p));
            }
            FaultLeakCheckTest.barrier(group.loop(0));
            for (int i = 2; i < 9; i += 3) {
                tickets.get(i).cancel(); // onDropped
            }
            Probe.assertAllDoneOnce(probes, 1, group.loop(0));
            assertThat(probes).allMatch(p -> p.thrown.get() == 1);
            assertThat(hooks.errors).as("one error per throwing observer").hasSize(probes.size());
            assertThat(hooks.errors).allMatch(e -> fault.matches(e, e));
            FaultLeakCheckTest.awaitNoLiveJobs(group);
            assertLoopStillRuns(opts);
        }
    }

    /** {@link JobObserver#onSegmentStart} and its scope's close throw: the hook gets them, the job goes on. */
    @ParameterizedTest
    @EnumSource(Fault.class)
    void aSegmentHookThatThrowsReachesTheHookAndTheJobGoesOn(Fault fault) {
        try (JobLoopGroup group = FaultClosedFdTest.group(1, 0); HookRecorder hooks = new HookRecorder()) {
            JobOptions opts = JobOptions.builder().loops(group).build();
            AtomicInteger segments = new AtomicInteger();
            Probe<String> enterThrows = new Probe<>() {
                @Override
                public AutoCloseable onSegmentStart() {
                    segments.incrementAndGet();
                    fault.fire();
                    return null;
                }
            };
            Probe<String> closeThrows = new Probe<>() {
                @Override
                public AutoCloseable onSegmentStart() {
                    return () -> fault.fire();
                }
            };
            for (Probe<String> p : List.of(enterThrows, closeThrows)) {
                AsyncJobs.launch(() -> {
                    WakeupFd fd = WakeupFd.open();
                    AsyncJob.current().waitCtx().setWaitFd(this, fd.channel(), fd, p.cleanup());
                    fd.signal();
                    return AsyncJob.pause() ? "resumed" : "not resumed";
                }, opts, p);
            }
            Probe.assertAllDoneOnce(List.of(enterThrows, closeThrows), 1, group.loop(0));
            assertThat(enterThrows.value).isEqualTo("resumed");
            assertThat(closeThrows.value).isEqualTo("resumed");
            assertThat(segments).as("start + one resume").hasValue(2);
            assertThat(hooks.errors).as("2 enters + 2 closes").hasSize(4).allMatch(e -> fault.matches(e, e));
            assertLoopStillRuns(opts);
        }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void anOnReadyThatThrowsReachesTheHookAndTheSelectorCarriesOn(Fault fault) throws Exception {
        try (AsyncSelector selector = AsyncSelector.open(FaultClosedFdTest.uniqueName("fault-selector"));
                HookRecorder hooks = new HookRecorder()) {
            for (int round = 0; round < 3; round++) {
                try (WakeupFd fd = WakeupFd.open(); AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                    ctx.setWaitFd(this, fd.channel(), null, null);
                    AtomicInteger ran = new AtomicInteger();
                    selector.watch(ctx, () -> {
                        ran.incrementAndGet();
                        fault.fire();
                    });
                    fd.signal();
                    int expected = round + 1;
                    Await.until("the hook to get the error", java.time.Duration.ofSeconds(10),
                            () -> hooks.errors.size() == expected);
                    assertThat(ran).hasValue(1);
                }
            }
            assertThat(hooks.errors).allMatch(e -> fault.matches(e, e));
        }
    }

    // ---------------------------------------------------------------- helpers

    /** An observer whose every callback counts, then throws the fault. */
    static final class ThrowingProbe extends Probe<String> {
        final AtomicInteger thrown = new AtomicInteger();
        private final Fault fault;

        ThrowingProbe(Fault fault) {
            this.fault = fault;
        }

        @Override
        public void onSuccess(@Nullable String v) {
            super.onSuccess(v);
            thrown.incrementAndGet();
            fault.fire();
        }

        @Override
        public void onFailure(Throwable e) {
            super.onFailure(e);
            thrown.incrementAndGet();
            fault.fire();
        }

        @Override
        public void onDropped(@Nullable String v, @Nullable Throwable e) {
            super.onDropped(v, e);
            thrown.incrementAndGet();
            fault.fire();
        }
    }

    /** A job that pauses on its own signalled fd still runs to its end on these options. */
    static void assertLoopStillRuns(JobOptions opts) {
        Probe<String> p = new Probe<>();
        AsyncJobs.launch(() -> {
            WakeupFd fd = WakeupFd.open();
            AsyncJob.current().waitCtx().setWaitFd(fd, fd.channel(), fd, p.cleanup());
            fd.signal();
            return AsyncJob.pause() ? "alive" : "cancelled";
        }, opts, p);
        p.await();
        assertThat(p.value).as(p.describe()).isEqualTo("alive");
        assertThat(p.cleanups).hasValue(1);
    }

    @SuppressWarnings("unchecked")
    static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }

    static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    /** Runs {@code body} on a fresh platform thread (no pool yet) and rethrows its failure. */
    static void runOnNewThread(ThrowingRunnable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, FaultClosedFdTest.uniqueName("fault-raw"));
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(60));
        assertThat(t.isAlive()).as("the test thread finished").isFalse();
        if (failure.get() != null) {
            throw FaultUserCodeThrowsTest.<Exception>sneaky(failure.get());
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
