package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.flush;
import static dev.asyncjobs.core.CoreTestSupport.onLoop;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11 item 9a: a launch waiting for a slot ({@link NoJobsPolicy#WAIT}) that is cancelled
 * leaves the pool's FIFO at once, not when a slot frees: a pool stuck at its max under launches
 * that time out must not keep every cancelled waiter (it grew without bound).
 */
@Timeout(120)
class SlotWaiterCancelTest {
    private static final int WAITERS = 100_000;
    private static final int BATCH = 2_000;

    /** Counts outcomes; a second outcome for one job is counted apart. */
    static final class CountingObserver implements JobObserver<Object> {
        final AtomicInteger dropped = new AtomicInteger();
        final AtomicInteger other = new AtomicInteger();

        @Override
        public void onSuccess(@Nullable Object value) {
            other.incrementAndGet();
        }

        @Override
        public void onFailure(Throwable error) {
            other.incrementAndGet();
        }

        @Override
        public void onDropped(@Nullable Object value, @Nullable Throwable error) {
            dropped.incrementAndGet();
        }
    }

    @Test
    void cancelledWaitersLeaveTheFullPoolsQueueAtOnceOnALoop() {
        String name = CoreTestSupport.uniqueName("slot-waiter");
        try (JobLoopGroup group = JobLoopGroup.builder().threads(1).maxJobsPerLoop(1).name(name).build()) {
            JobLoop loop = group.loop(0);
            JobOptions opts = JobOptions.builder().loops(group).build();
            RecordingObserver<Object> holderObs = new RecordingObserver<>();
            // holds the only slot until cancelled: the pool stays full for the whole test
            JobTicket holder = AsyncJobs.launch(() -> AsyncJob.pause() ? "woken" : "cancelled", opts, holderObs);
            CountingObserver obs = new CountingObserver();
            for (int done = 0; done < WAITERS; done += BATCH) {
                JobTicket[] tickets = new JobTicket[BATCH];
                for (int i = 0; i < BATCH; i++) {
                    tickets[i] = AsyncJobs.launch(() -> "never runs", opts, obs);
                }
                flush(loop); // every launch has met NO_JOBS and queued for a slot
                assertThat(onLoop(loop, () -> SlotWaiters.here().count()))
                        .as("waiters after launching a batch at %d", done).isEqualTo(BATCH);
                for (JobTicket t : tickets) {
                    t.cancel();
                }
                flush(loop);
                assertThat(onLoop(loop, () -> SlotWaiters.here().count()))
                        .as("waiters left in the FIFO after cancelling them all (at %d)", done).isZero();
                for (JobTicket t : tickets) {
                    assertThat(t.isDone()).isTrue();
                }
            }
            assertThat(obs.dropped).as("each cancelled waiter told once, as dropped").hasValue(WAITERS);
            assertThat(obs.other).hasValue(0);
            assertThat(onLoop(loop, () -> CoreTestSupport.jobsInUse())).as("slots in use: the holder").isEqualTo(1);
            assertThat(group.liveJobs()).isEqualTo(1);
            holder.cancel();
            assertThat(holderObs.await().kind()).isEqualTo("dropped");
            flush(loop);
            assertThat(onLoop(loop, () -> CoreTestSupport.jobsInUse())).as("slots in use at the end").isZero();
            assertThat(group.liveJobs()).isZero();
        }
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    @Test
    void cancelledWaitersLeaveTheQueueOnAUserExecutorAndTheNextWaiterStillGetsTheSlot() throws Exception {
        ExecutorService exec = Executors.newSingleThreadExecutor(r -> new Thread(r, "slot-waiter-exec"));
        try {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(AsyncSelector.shared(), 1)).build();
            WaitCallback[] holderCb = new WaitCallback[1];
            RecordingObserver<Object> holderObs = new RecordingObserver<>();
            AsyncJobs.launch(() -> {
                holderCb[0] = AsyncJob.current().waitCtx().getCallback();
                return AsyncJob.pause() ? "woken" : "cancelled";
            }, opts, exec, holderObs);
            CountingObserver obs = new CountingObserver();
            JobTicket[] tickets = new JobTicket[20_000];
            for (int i = 0; i < tickets.length; i++) {
                tickets[i] = AsyncJobs.launch(() -> "never runs", opts, exec, obs);
            }
            RecordingObserver<Object> lastObs = new RecordingObserver<>();
            AsyncJobs.launch(() -> "last", opts, exec, lastObs); // waits behind them, not cancelled
            assertThat(exec.submit(() -> SlotWaiters.here().count()).get(20, TimeUnit.SECONDS))
                    .isEqualTo(tickets.length + 1);
            for (JobTicket t : tickets) {
                t.cancel();
            }
            assertThat(exec.submit(() -> SlotWaiters.here().count()).get(20, TimeUnit.SECONDS))
                    .as("only the waiter not cancelled is left").isEqualTo(1);
            assertThat(obs.dropped).hasValue(tickets.length);
            exec.submit(() -> holderCb[0].onWake(null)).get(20, TimeUnit.SECONDS);
            assertThat(holderObs.await().value()).isEqualTo("woken");
            assertThat(lastObs.await().value()).as("the slot went to the waiter still waiting").isEqualTo("last");
            assertThat(exec.submit(() -> SlotWaiters.here().count()).get(20, TimeUnit.SECONDS)).isZero();
            assertThat(exec.submit(CoreTestSupport::jobsInUse).get(20, TimeUnit.SECONDS)).isZero();
            assertThat(obs.other).hasValue(0);
        } finally {
            exec.shutdown();
            assertThat(exec.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }
}
