package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.assertNpeNaming;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link AsyncJobs#taskDropped}: an executor that took a job's task without throwing and then
 * lost it hands it back, and the job ends as if {@code execute} had thrown: once, its ctx closed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TaskDroppedTest {
    @Test
    void argumentsAreChecked() {
        RejectedExecutionException cause = new RejectedExecutionException("dropped");
        assertNpeNaming("task", () -> AsyncJobs.taskDropped(null, cause));
        assertNpeNaming("cause", () -> AsyncJobs.taskDropped(() -> { }, null));
        assertThatThrownBy(() -> AsyncJobs.taskDropped(() -> { }, cause))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a task that AsyncJobs.launch");
    }

    @Test
    void aStartTaskDroppedFailsTheJobWithoutRunningIt() {
        BlockingQueue<Runnable> taken = new LinkedBlockingQueue<>();
        AtomicInteger ran = new AtomicInteger();
        RecordingObserver<Integer> obs = new RecordingObserver<>();
        JobTicket ticket = AsyncJobs.launch(ran::incrementAndGet, JobOptions.defaults(), taken::add, obs);
        Runnable start = taken.remove();
        RejectedExecutionException cause = new RejectedExecutionException("lost after it was accepted");

        AsyncJobs.taskDropped(start, cause);

        RecordingObserver.Call c = obs.only();
        assertThat(c.kind()).isEqualTo("failure");
        assertThat(c.error()).isSameAs(cause);
        assertThat(ran).hasValue(0);
        assertThat(ticket.isDone()).isTrue();
    }

    /**
     * The resume of a paused job is taken and lost: the job is finished off its thread, cancelled
     * (its pause returns false), its ctx closed once, and it fails with the cause.
     */
    @Test
    void aResumeDroppedFinishesThePausedJobOnceAndFailsIt() throws InterruptedException {
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "task-dropped-owner"));
        try {
            BlockingQueue<Runnable> held = new LinkedBlockingQueue<>();
            AtomicInteger submissions = new AtomicInteger();
            // the first task (the start) runs on the thread; the next one (the resume) is kept, unrun
            java.util.concurrent.Executor losing = r -> {
                if (submissions.getAndIncrement() == 0) {
                    thread.execute(r);
                } else {
                    held.add(r);
                }
            };
            AtomicInteger cleanups = new AtomicInteger();
            AtomicInteger ends = new AtomicInteger();
            CountDownLatch paused = new CountDownLatch(1);
            Boolean[] pauseResult = new Boolean[1];
            WaitCallback[] cb = new WaitCallback[1];
            RecordingObserver<String> obs = new RecordingObserver<>(cleanups::get);
            AsyncJobs.launch(() -> {
                try {
                    AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                    WakeupFd fd = WakeupFd.open();
                    ctx.setWaitFd(this, fd.channel(), fd, (c, k, ch, d) -> {
                        cleanups.incrementAndGet();
                        fd.close();
                    });
                    cb[0] = ctx.getCallback();
                    paused.countDown();
                    pauseResult[0] = AsyncJob.pause();
                    return "resumed";
                } finally {
                    ends.incrementAndGet();
                }
            }, JobOptions.defaults(), losing, obs);
            CoreTestSupport.await(paused, "the job's pause");
            // wake it until the resume is queued (a wake before the pause took effect is coalesced)
            Runnable resume;
            while ((resume = held.poll(10, TimeUnit.MILLISECONDS)) == null) {
                cb[0].onWake(null);
            }
            RejectedExecutionException cause = new RejectedExecutionException("lost after it was accepted");

            AsyncJobs.taskDropped(resume, cause);

            RecordingObserver.Call c = obs.only();
            assertThat(c.kind()).isEqualTo("failure");
            assertThat(c.error()).isSameAs(cause);
            assertThat(c.thread()).as("finished on the thread that reported the loss").isEqualTo(Thread.currentThread());
            assertThat(c.probe()).as("ctx closed before the observer was told").isEqualTo(1);
            assertThat(pauseResult[0]).as("resumed cancelled").isFalse();
            assertThat(ends).hasValue(1);
            assertThat(cleanups).hasValue(1);
            assertThat(held).as("nothing else was queued").isEmpty();
        } finally {
            thread.shutdownNow();
            assertThat(thread.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }
}
