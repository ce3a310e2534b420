package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.WakeupFd;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Threads;
import io.reactivex.rxjava3.observers.TestObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * 10,000 Singles paused at once (half on their own {@link WakeupFd}, half waiting for the ctx
 * callback), all woken from another thread: every one completes with its value, every cleanup runs
 * once, and no fd, thread or job is left behind.
 */
class ManyPausedSinglesTest extends TestSupport {
    static final int N = 10_000;

    @Test
    void tenThousandPausedSinglesCompleteAndLeaveNothingBehind() throws Exception {
        Fds.warmUpNio();
        int jobThreadsBeforeLoops = jobVirtualThreads();
        Set<Thread> threadsBeforeLoops = Threads.live();
        int fdsBeforeLoops = Fds.count();
        JobLoopGroup loops = JobLoopGroup.builder().threads(2).name("many").build();
        try {
            JobOptions opts = JobOptions.builder().loops(loops).build();
            runBatch(loops, opts, 500); // warm-up: classes, pools
            Set<Thread> threadsBefore = Threads.live();
            int fdsBefore = Fds.count();

            long t0 = System.nanoTime();
            int fdsPaused = runBatch(loops, opts, N);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            Fds.awaitAtMost("open fds", fdsBefore, Duration.ofSeconds(20));
            Threads.awaitNoneStartedSince("after the batch", threadsBefore, Threads.JVM_OWN, Duration.ofSeconds(20));
            System.out.printf("%d paused Singles (%s backend): %d fds open while paused (baseline %d),"
                    + " all %d woken and done in %d ms; fds after %d; job virtual threads kept by the pools %d%n",
                    N, AsyncJob.backend(), fdsPaused, fdsBefore, N, ms, Fds.count(), jobVirtualThreads());
        } finally {
            loops.close();
        }
        Fds.awaitAtMost("fds after closing the loops", fdsBeforeLoops, Duration.ofSeconds(20));
        Threads.awaitNoneStartedSince("after closing the loops", threadsBeforeLoops, Threads.JVM_OWN, Duration.ofSeconds(20));
        awaitAtMost("job virtual threads after closing the loops", TestSupport::jobVirtualThreads,
                jobThreadsBeforeLoops);
    }

    /** Runs {@code n} paused Singles to their end; returns the fds open while all were paused. */
    private static int runBatch(JobLoopGroup loops, JobOptions opts, int n) throws InterruptedException {
        AtomicIntegerArray cleanups = new AtomicIntegerArray(n);
        ConcurrentLinkedQueue<WakeupFd> fds = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Runnable> callbacks = new ConcurrentLinkedQueue<>();
        CountDownLatch paused = new CountDownLatch(n);
        List<TestObserver<Integer>> observers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            JobFunction<Integer> job = i % 2 == 0
                    ? fdJob(i, cleanups, fds, paused)
                    : callbackJob(i, callbacks, paused);
            observers.add(AsyncSingle.fromJob(job, opts).test());
        }
        await(paused);
        await("all " + n + " alive at once", () -> loops.liveJobs() == n);
        int fdsPaused = Fds.count();
        for (TestObserver<Integer> to : observers) {
            to.assertEmpty();
        }
        assertThat(fds).hasSize(n / 2);
        assertThat(callbacks).hasSize(n - n / 2);

        Thread waker = new Thread(() -> {
            fds.forEach(WakeupFd::signal);
            callbacks.forEach(Runnable::run);
        }, "waker");
        waker.start();
        waker.join();

        for (int i = 0; i < n; i++) {
            observers.get(i).awaitDone(20, TimeUnit.SECONDS).assertResult(i);
        }
        await("every job done", () -> loops.liveJobs() == 0);
        for (int i = 0; i < n; i += 2) {
            assertThat(cleanups.get(i)).as("cleanups of job %d", i).isEqualTo(1);
        }
        return fdsPaused;
    }

    private static JobFunction<Integer> fdJob(int i, AtomicIntegerArray cleanups, ConcurrentLinkedQueue<WakeupFd> fds,
            CountDownLatch paused) {
        return () -> {
            AsyncWaitCtx ctx = Objects.requireNonNull(AsyncJob.current()).waitCtx();
            WakeupFd fd = WakeupFd.open();
            ctx.setWaitFd(KEY, fd.channel(), fd, (c, k, ch, data) -> {
                cleanups.incrementAndGet(i);
                ((WakeupFd) Objects.requireNonNull(data)).close();
            });
            fds.add(fd);
            paused.countDown();
            while (!fd.drain()) {
                if (!AsyncJob.pause()) {
                    throw new CancellationException();
                }
            }
            return i;
        };
    }

    private static JobFunction<Integer> callbackJob(int i, ConcurrentLinkedQueue<Runnable> callbacks,
            CountDownLatch paused) {
        return () -> {
            AtomicBoolean go = new AtomicBoolean();
            Runnable cb = callback();
            callbacks.add(() -> {
                go.set(true);
                cb.run();
            });
            paused.countDown();
            while (!go.get()) {
                if (!AsyncJob.pause()) {
                    throw new CancellationException();
                }
            }
            return i;
        };
    }
}
