package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.JobPlacement;
import dev.asyncjobs.core.NoJobsPolicy;
import dev.asyncjobs.core.WakeupFd;
import io.reactivex.rxjava3.observers.TestObserver;
import io.reactivex.rxjava3.schedulers.Schedulers;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A task that an RxJava worker accepted (its {@code Disposable} live, the worker not disposed) and
 * dropped afterwards, without any later task of the job being scheduled: the soak's RX_SHUTDOWN
 * loss (about one job in 47,000), reproduced step by step on a real {@link ThreadPoolExecutor}.
 *
 * <p>The path: {@code Schedulers.from(executor)}'s worker submits <em>itself</em> to the executor
 * each time its queue goes from empty to not empty. {@code ThreadPoolExecutor.execute} enqueues,
 * then, if the executor was shut down meanwhile, takes the command back with {@code remove(command)}
 * and rejects it. When the executor's thread has already run that first submission and a second
 * resume has submitted the same worker object again, {@code remove} takes the <em>second</em>
 * submission out of the queue, the first caller gets the {@link RejectedExecutionException}, and
 * the worker then marks itself disposed and clears its queue: the second resume, already accepted,
 * is gone, and its caller was told nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DroppedAfterAcceptTest extends TestSupport {
    /** One job slot, no waiting for one: a slot never freed would fail the next job. */
    private static final JobOptions ONE_SLOT = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 1)).onNoJobs(NoJobsPolicy.FAIL).build();

    /**
     * The first resume's caller is held inside {@code execute} between the enqueue and the shutdown
     * recheck while the executor's thread runs that resume, the job pauses again and a second
     * resume is accepted; then the executor is shut down and the first caller let go. Before the
     * fix the job stayed paused for good (no signal in 10 s); now the refusal the first caller sees
     * makes the adapter claim the accepted, unstarted second resume and hand it back to the core,
     * which ends the job off its dead thread: one error, the ctx closed once.
     */
    @ParameterizedTest(name = "first resume by {0}")
    @ValueSource(strings = {"callback", "fd"})
    void aResumeTheWorkerDropsAfterAcceptingItStillEndsTheJobOnce(String route) throws InterruptedException {
        HoldingQueue queue = new HoldingQueue();
        ThreadPoolExecutor exec = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, queue,
                r -> new Thread(r, "dropped-after-accept"));
        CountDownLatch blockerOut = new CountDownLatch(1);
        Thread waker = null;
        try {
            TwoPauseJob job = new TwoPauseJob();
            TestObserver<String> to = AsyncSingle.fromJob(job, ONE_SLOT, Schedulers.from(exec)).test();
            Thread execThread = onExecutorThread(exec); // after the start: the job has paused, the drain returned
            assertThat(job.round).hasValue(1);

            // 1. the first resume; its caller stops inside execute() right after the enqueue
            Thread test = Thread.currentThread();
            queue.holdNextOffer(t -> t != test && t != execThread);
            if (route.equals("callback")) {
                waker = new Thread(job::wakeByCallback, "dropped-after-accept-waker");
                waker.start();
            } else {
                job.wakeByFd(); // resumed from the shared selector's thread
            }
            queue.awaitHeld();

            // 2. meanwhile the executor's thread ran that submission: the job resumed and paused
            //    again; a blocker keeps the thread busy once the worker's drain has returned
            await("the second pause", () -> job.round.get() == 2);
            CountDownLatch blockerIn = new CountDownLatch(1);
            exec.execute(() -> {
                blockerIn.countDown();
                awaitUninterruptibly(blockerOut);
            });
            await(blockerIn);

            // 3. the second resume is accepted: the worker submits itself again and waits queued
            job.wakeByCallback();
            assertThat(queue).as("the worker's second submission, queued").hasSize(1);
            assertThat(to.isDisposed()).isFalse();

            // 4. shutdown, then the first caller's recheck takes the worker's second submission
            //    back and rejects it; the worker clears its queue, dropping the second resume
            exec.shutdown();
            queue.release();
            // the executor's thread is still held by the blocker, so only that recheck empties the queue
            await("the first caller's recheck took the worker's second submission back", queue::isEmpty);
            if (waker != null) {
                waker.join(TimeUnit.SECONDS.toMillis(20));
                assertThat(waker.isAlive()).isFalse();
            }
            blockerOut.countDown();
            assertThat(exec.awaitTermination(20, TimeUnit.SECONDS)).isTrue();

            to.awaitDone(10, TimeUnit.SECONDS).assertFailure(RejectedExecutionException.class);
            TestSupport.await(job.ended);
            await("the ctx closed", () -> job.cleanups.get() > 0);
            assertThat(job.ends).hasValue(1);
            assertThat(job.cancelledSeen).as("finished cancelled, off its dead thread").isTrue();
            assertThat(job.cleanups).as("ctx closed once").hasValue(1);
            // RxJava's worker reports the executor's refusal of the first caller itself
            assertThat(takeUndeliverables()).singleElement().isInstanceOf(RejectedExecutionException.class);
        } finally {
            queue.release();
            blockerOut.countDown();
            exec.shutdownNow();
            assertThat(exec.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** Runs a task on the executor's thread and returns that thread, once the task ran. */
    private static Thread onExecutorThread(ThreadPoolExecutor exec) {
        AtomicReference<Thread> t = new AtomicReference<>();
        CountDownLatch ran = new CountDownLatch(1);
        exec.execute(() -> {
            t.set(Thread.currentThread());
            ran.countDown();
        });
        await(ran);
        return t.get();
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    if (latch.await(30, TimeUnit.SECONDS)) {
                        return;
                    }
                    throw new AssertionError("not released in 30 s");
                } catch (InterruptedException e) {
                    interrupted = true; // shutdownNow in a failed test's cleanup: keep waiting
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A work queue that can hold one chosen caller inside {@code offer}, after its task is
     * enqueued: inside {@code ThreadPoolExecutor.execute}, before its recheck for shutdown.
     */
    static final class HoldingQueue extends LinkedBlockingQueue<Runnable> {
        private static final long serialVersionUID = 1L;

        private final transient AtomicReference<@Nullable Predicate<Thread>> hold = new AtomicReference<>();
        private final transient CountDownLatch held = new CountDownLatch(1);
        private final transient CountDownLatch release = new CountDownLatch(1);

        /** The next offer by a thread that {@code who} accepts is held (once). */
        void holdNextOffer(Predicate<Thread> who) {
            hold.set(who);
        }

        void awaitHeld() {
            TestSupport.await(held);
        }

        void release() {
            release.countDown();
        }

        @Override
        public boolean offer(Runnable r) {
            boolean ok = super.offer(r);
            Predicate<Thread> who = hold.get();
            if (who != null && who.test(Thread.currentThread()) && hold.compareAndSet(who, null)) {
                held.countDown();
                awaitUninterruptibly(release);
            }
            return ok;
        }
    }

    /**
     * Pauses twice, each time until woken (by its fd or its ctx callback), with a wait fd whose
     * cleanup is counted. A {@code pause()} that returns {@code false} ends it with a {@link
     * CancellationException}.
     */
    static final class TwoPauseJob implements JobFunction<String> {
        /** Which pause the job is in (or about to enter): 1 or 2. */
        final AtomicInteger round = new AtomicInteger();
        final AtomicInteger wakes = new AtomicInteger();
        final AtomicInteger ends = new AtomicInteger();
        final AtomicInteger cleanups = new AtomicInteger();
        final CountDownLatch ended = new CountDownLatch(1);
        volatile @Nullable Boolean cancelledSeen;
        private volatile @Nullable WakeupFd fd;
        private volatile @Nullable Runnable callback;

        @Override
        public String run() throws Exception {
            try {
                WakeupFd f = TestSupport.waitFd(cleanups);
                fd = f;
                callback = TestSupport.callback();
                for (int r = 1; r <= 2; r++) {
                    round.set(r);
                    while (wakes.get() < r) {
                        if (!AsyncJob.pause()) {
                            cancelledSeen = true;
                            throw new CancellationException("resumed cancelled");
                        }
                        f.drain();
                    }
                }
                cancelledSeen = false;
                return "done";
            } finally {
                ends.incrementAndGet();
                ended.countDown();
            }
        }

        void wakeByCallback() {
            wakes.incrementAndGet();
            Runnable cb = callback;
            if (cb == null) {
                throw new IllegalStateException("the job has not started yet");
            }
            cb.run();
        }

        void wakeByFd() {
            wakes.incrementAndGet();
            WakeupFd f = fd;
            if (f == null) {
                throw new IllegalStateException("the job has not started yet");
            }
            f.signal();
        }
    }
}
