package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Snapshot;
import dev.asyncjobs.core.internal.Fibers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Paused and idle jobs cost nothing while they wait, and still do not outlive a thread that ran
 * them and died without {@link AsyncJob#cleanupThread()}.
 *
 * <p>On the virtual-thread backend each job is a parked virtual thread: it must park without a
 * timeout (a timed park is a periodic wake-up: 10,000 paused jobs woken every 2 s cost ~5,000
 * wake-ups a second), and its owner's death must still reach it. On the continuation backend a job
 * is a plain object on its owner's stack: it has no thread to wake or to end, which each test
 * asserts instead.
 */
@ExtendWith(NothingLeaked.class)
final class FaultOwnerDiesTest {
    private static final int PAUSED = 800;
    private static final int IDLE = 200;

    /**
     * An owner thread with {@link #PAUSED} paused jobs and {@link #IDLE} idle pooled ones. It waits
     * for {@link #proceed}, then resumes its paused jobs and cleans up if {@code cleanUp}, or just
     * returns (dies) otherwise.
     */
    private static final class Owner implements Runnable {
        final boolean cleanUp;
        final Thread thread;
        final CountDownLatch ready = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);
        /** The thread each job ran on: its own virtual thread, or the owner (continuations). */
        final ConcurrentLinkedQueue<Thread> jobThreads = new ConcurrentLinkedQueue<>();
        /** What each pause returned once it returned. */
        final ConcurrentLinkedQueue<Boolean> pauses = new ConcurrentLinkedQueue<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();

        Owner(boolean cleanUp, boolean virtual) {
            this.cleanUp = cleanUp;
            this.thread = (virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon())
                    .name(FaultClosedFdTest.uniqueName("owner")).unstarted(this);
        }

        @Override
        public void run() {
            try {
                List<JobHandle<Boolean>> handles = new ArrayList<>();
                List<AsyncWaitCtx> ctxs = new ArrayList<>();
                for (int i = 0; i < PAUSED + IDLE; i++) {
                    JobHandle<Boolean> h = new JobHandle<>();
                    AsyncWaitCtx ctx = new AsyncWaitCtx();
                    StartStatus s = AsyncJob.start(h, ctx, () -> {
                        jobThreads.add(Thread.currentThread());
                        boolean r = AsyncJob.pause();
                        pauses.add(r);
                        return r;
                    });
                    check(s == StartStatus.PAUSE, "start " + i + ": " + s);
                    handles.add(h);
                    ctxs.add(ctx);
                }
                // the last IDLE finish: their jobs go back to this thread's pool, idle
                for (int i = PAUSED; i < PAUSED + IDLE; i++) {
                    StartStatus s = AsyncJob.start(handles.get(i), ctxs.get(i), null);
                    check(s == StartStatus.FINISH, "resume " + i + ": " + s);
                }
                ready.countDown();
                proceed.await();
                if (cleanUp) {
                    for (int i = 0; i < PAUSED; i++) {
                        StartStatus s = AsyncJob.start(handles.get(i), ctxs.get(i), null);
                        check(s == StartStatus.FINISH, "resume " + i + ": " + s);
                    }
                    AsyncJob.cleanupThread();
                }
                ctxs.forEach(AsyncWaitCtx::close);
            } catch (Throwable t) {
                error.set(t);
            } finally {
                ready.countDown();
            }
        }

        private static void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(what);
            }
        }

        void start() throws InterruptedException {
            thread.start();
            assertThat(ready.await(30, TimeUnit.SECONDS)).as("owner ready").isTrue();
            assertThat(error.get()).isNull();
            assertThat(jobThreads).hasSize(PAUSED + IDLE);
        }

        void finish() throws InterruptedException {
            proceed.countDown();
            assertThat(thread.join(java.time.Duration.ofSeconds(30))).as("owner ended").isTrue();
            assertThat(error.get()).isNull();
        }
    }

    /** Waits until every job thread is parked, and returns whether any parked with a timeout. */
    private static List<String> timedParkers(Owner owner) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (;;) {
            List<String> timed = new ArrayList<>();
            boolean allParked = true;
            for (Thread t : owner.jobThreads) {
                Thread.State s = t.getState();
                if (s == Thread.State.TIMED_WAITING) {
                    timed.add(t + " " + s);
                } else if (s != Thread.State.WAITING) {
                    allParked = false;
                }
            }
            if (allParked) {
                return timed;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("job threads did not all park");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void pausedAndIdleJobsAreNeverWokenWhileTheirOwnerLives(Snapshot before) throws Exception {
        Owner owner = new Owner(true, false);
        long wakeupsBefore = Fibers.idleWakeups();
        owner.start();
        if (Fibers.continuations()) {
            // no job thread exists: each job ran on its owner and is only an object while it waits
            assertThat(owner.jobThreads).containsOnly(owner.thread);
            assertThat(Fibers.liveJobThreads()).isEqualTo(before.jobThreads);
            Thread.sleep(300);
            assertThat(Fibers.idleWakeups()).isEqualTo(wakeupsBefore).isZero();
        } else {
            assertThat(owner.jobThreads).doesNotContain(owner.thread).doesNotHaveDuplicates();
            assertThat(Fibers.liveJobThreads() - before.jobThreads).isEqualTo(PAUSED + IDLE);
            // a timed park is a periodic wake-up: every waiting job thread must park for good
            assertThat(timedParkers(owner)).as("job threads parked with a timeout").isEmpty();
            long w0 = Fibers.idleWakeups();
            Thread.sleep(300);
            assertThat(Fibers.idleWakeups() - w0).as("wake-ups of waiting job threads").isZero();
        }
        owner.finish();
        assertThat(owner.pauses).hasSize(PAUSED + IDLE).containsOnly(true);
    }

    @Test
    void anOwnerThatDiesEndsItsPausedAndIdleJobs(Snapshot before) throws Exception {
        anOwnerThatDies(false, before);
    }

    @Test
    void aVirtualOwnerThatDiesEndsItsPausedAndIdleJobs(Snapshot before) throws Exception {
        anOwnerThatDies(true, before);
    }

    private void anOwnerThatDies(boolean virtual, Snapshot before) throws Exception {
        Owner owner = new Owner(false, virtual);
        owner.start();
        if (!Fibers.continuations()) {
            assertThat(Fibers.liveJobThreads() - before.jobThreads).isEqualTo(PAUSED + IDLE);
            assertThat(timedParkers(owner)).as("job threads parked with a timeout").isEmpty();
        }
        owner.finish(); // dies without cleanupThread(), its jobs paused or idle
        before.assertNothingLeaked(); // every job thread ends: the count is back to its baseline
        if (Fibers.continuations()) {
            // a paused continuation is garbage with its owner: it never runs again
            assertThat(owner.pauses).as("pauses that returned").hasSize(IDLE).containsOnly(true);
        } else {
            // each paused job's pause returned false (nobody can resume it), so it ran out
            assertThat(owner.pauses).hasSize(PAUSED + IDLE);
            assertThat(owner.pauses.stream().filter(r -> !r).count()).isEqualTo(PAUSED);
        }
    }

    /**
     * The owner dies at once after its job pauses, so its death races with the job thread parking:
     * a death noticed neither before the park nor by a wake-up would leave the thread parked for
     * good (the leak check then fails).
     */
    @Test
    void anOwnerDyingAsItsJobParksStillEndsTheJobThread(Snapshot before) throws Exception {
        int rounds = 2_000;
        ConcurrentLinkedQueue<Boolean> pauses = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int i = 0; i < rounds; i++) {
            Thread t = Thread.ofPlatform().daemon().name("owner-race-" + i).start(() -> {
                try {
                    StartStatus s = AsyncJob.start(new JobHandle<Boolean>(), new AsyncWaitCtx(), () -> {
                        boolean r = AsyncJob.pause();
                        pauses.add(r);
                        return r;
                    });
                    if (s != StartStatus.PAUSE) {
                        throw new AssertionError("start: " + s);
                    }
                } catch (Throwable e) {
                    error.set(e);
                }
            });
            t.join();
        }
        assertThat(error.get()).isNull();
        before.assertNothingLeaked();
        if (Fibers.continuations()) {
            assertThat(pauses).isEmpty();
        } else {
            assertThat(pauses).hasSize(rounds).containsOnly(false);
        }
    }
}
