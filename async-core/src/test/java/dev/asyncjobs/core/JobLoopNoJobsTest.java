package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.flush;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code NO_JOBS} on the job loops: launches beyond {@code maxJobsPerLoop} wait first come first
 * served ({@link NoJobsPolicy#WAIT}, the default) or fail at once ({@link NoJobsPolicy#FAIL}); a
 * waiting launch can be cancelled and never runs.
 */
@Timeout(60)
class JobLoopNoJobsTest {
    private static final int JOBS = 6;

    private String name;
    private JobLoopGroup group;
    private final List<Integer> starts = new CopyOnWriteArrayList<>();
    private final AtomicReferenceArray<WaitCallback> callbacks = new AtomicReferenceArray<>(JOBS);

    @BeforeEach
    void startLoop() {
        name = CoreTestSupport.uniqueName("jl-nojobs");
        group = JobLoopGroup.builder().threads(1).maxJobsPerLoop(2).name(name).build();
    }

    @AfterEach
    void stopLoop() {
        group.close();
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    /** Job {@code id}: records its start, publishes its callback and waits to be called back. */
    private JobFunction<Integer> job(int id) {
        return () -> {
            starts.add(id);
            callbacks.set(id, AsyncJob.current().waitCtx().getCallback());
            if (!AsyncJob.pause()) {
                return -id;
            }
            return id;
        };
    }

    private void wake(int id) {
        CoreTestSupport.await("job " + id + " to publish its callback", Duration.ofSeconds(10),
                () -> callbacks.get(id) != null);
        assertThat(callbacks.get(id).onWake(null)).isTrue();
    }

    @Test
    void launchesBeyondThePoolWaitInLaunchOrder() {
        JobOptions opts = JobOptions.builder().loops(group).build();
        List<RecordingObserver<Integer>> obs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            RecordingObserver<Integer> o = new RecordingObserver<>();
            obs.add(o);
            AsyncJobs.launch(job(i), opts, o);
        }
        flush(group.loop(0));
        assertThat(starts).as("two slots").containsExactly(0, 1);
        assertThat(group.liveJobs()).as("waiting launches are live").isEqualTo(JOBS);
        for (int i = 0; i < JOBS; i++) {
            wake(i);
            assertThat(obs.get(i).await().value()).isEqualTo(i);
            flush(group.loop(0));
            int expectedStarted = Math.min(JOBS, i + 3);
            assertThat(starts).as("after job %d finished", i).hasSize(expectedStarted);
        }
        assertThat(starts).as("order of starts = order of launches").containsExactly(0, 1, 2, 3, 4, 5);
        for (RecordingObserver<Integer> o : obs) {
            assertThat(o.only().kind()).isEqualTo("success");
        }
        assertThat(group.liveJobs()).isZero();
        assertThat(CoreTestSupport.onLoop(group.loop(0), CoreTestSupport::jobsInUse)).isZero();
        assertThat(CoreTestSupport.onLoop(group.loop(0), () -> CoreTestSupport.pool().size())).isEqualTo(2);
    }

    @Test
    void theFailPolicyRejectsAtOnce() {
        JobOptions opts = JobOptions.builder().loops(group).onNoJobs(NoJobsPolicy.FAIL).build();
        List<RecordingObserver<Integer>> obs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RecordingObserver<Integer> o = new RecordingObserver<>();
            obs.add(o);
            AsyncJobs.launch(job(i), opts, o);
        }
        RecordingObserver.Call rejected = obs.get(2).await();
        assertThat(rejected.kind()).isEqualTo("failure");
        assertThat(rejected.error()).isInstanceOf(RejectedExecutionException.class).hasMessageContaining("FAIL");
        flush(group.loop(0));
        assertThat(starts).as("the rejected job never ran").containsExactly(0, 1);
        wake(0);
        wake(1);
        assertThat(obs.get(0).await().value()).isEqualTo(0);
        assertThat(obs.get(1).await().value()).isEqualTo(1);
        flush(group.loop(0));
        assertThat(obs.get(2).calls).hasSize(1);
        assertThat(group.liveJobs()).isZero();
        // with slots free again, the policy lets jobs through
        RecordingObserver<Integer> later = new RecordingObserver<>();
        AsyncJobs.launch(() -> 7, opts, later);
        assertThat(later.await().value()).isEqualTo(7);
    }

    @Test
    void aCancelledWaitingLaunchNeverRunsAndGivesItsTurnAway() {
        JobOptions opts = JobOptions.builder().loops(group).build();
        List<RecordingObserver<Integer>> obs = new ArrayList<>();
        List<JobTicket> tickets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            RecordingObserver<Integer> o = new RecordingObserver<>();
            obs.add(o);
            tickets.add(AsyncJobs.launch(job(i), opts, o));
        }
        flush(group.loop(0));
        assertThat(starts).containsExactly(0, 1);
        tickets.get(2).cancel();
        RecordingObserver.Call c = obs.get(2).await();
        assertThat(c.kind()).isEqualTo("dropped");
        assertThat(c.value()).isNull();
        assertThat(c.error()).isNull();
        flush(group.loop(0));
        assertThat(tickets.get(2).isDone()).isTrue();
        assertThat(group.liveJobs()).isEqualTo(3);
        wake(0);
        assertThat(obs.get(0).await().value()).isEqualTo(0);
        flush(group.loop(0));
        assertThat(starts).as("job 2 skipped, job 3 got the slot").containsExactly(0, 1, 3);
        wake(1);
        wake(3);
        assertThat(obs.get(3).await().value()).isEqualTo(3);
        flush(group.loop(0));
        assertThat(obs.get(2).calls).hasSize(1);
        assertThat(starts).doesNotContain(2);
        assertThat(group.liveJobs()).isZero();
        tickets.get(2).cancel(); // idempotent
        flush(group.loop(0));
        assertThat(obs.get(2).calls).hasSize(1);
    }
}
