package dev.asyncjobs.engine;

import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncJobs;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.CoreTestSupport;
import dev.asyncjobs.core.JobHandle;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.RecordingObserver;
import dev.asyncjobs.core.StartStatus;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link OffloadEngine.Builder#strict(boolean)}: a strict engine refuses a call outside a job with
 * an {@link IllegalStateException} naming the fix (the work never runs); the default engine runs
 * it inline, as OpenSSL does. Inside a job both behave the same.
 */
@Timeout(60)
class OffloadEngineStrictTest {
    private String name;
    private OffloadEngine strict;
    private OffloadEngine lenient;
    private JobLoopGroup group;

    @BeforeEach
    void setUp() {
        name = CoreTestSupport.uniqueName("strict");
        strict = OffloadEngine.builder().threads(1).name(name + "-strict").strict(true).build();
        lenient = OffloadEngine.builder().threads(1).name(name + "-lenient").build();
        group = JobLoopGroup.builder().threads(1).name(name + "-loop").build();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        group.close();
        strict.close();
        lenient.close();
        assertThat(strict.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(lenient.awaitTermination(Duration.ofSeconds(10))).isTrue();
        CoreTestSupport.assertNoThreadsLeft(name);
    }

    @Test
    void theDefaultIsLenientAndRunsACallOutsideAJobInTheCaller() throws Exception {
        assertThat(lenient.isStrict()).isFalse();
        Thread caller = Thread.currentThread();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        assertThat(lenient.call(() -> {
            ranOn.set(Thread.currentThread());
            return "inline";
        })).isEqualTo("inline");
        assertThat(ranOn.get()).isSameAs(caller);
    }

    @Test
    void aStrictEngineRefusesACallOutsideAJobNamingTheFixAndTheWorkNeverRuns() {
        assertThat(strict.isStrict()).isTrue();
        AtomicInteger runs = new AtomicInteger();
        onNewThread(() -> {
            Thread.currentThread().setName(name + "-netty-event-loop");
            assertThatThrownBy(() -> strict.call(runs::incrementAndGet))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("OffloadEngine.call outside a job would run the work inline on '"
                            + name + "-netty-event-loop'")
                    .hasMessageContaining("AsyncMono.fromJob")
                    .hasMessageContaining("AsyncSingle.fromJob")
                    .hasMessageContaining(name + "-strict");
        });
        assertThat(runs).as("the work never ran").hasValue(0);
        assertThat(strict.queue().peak()).isZero();
    }

    @Test
    void insideAJobAStrictEngineWorksAsAnyEngineOnADeviceThread() {
        RecordingObserver<String> obs = new RecordingObserver<>();
        AsyncJobs.launch(() -> strict.call(() -> Thread.currentThread().getName()),
                JobOptions.builder().loops(group).build(), obs);
        RecordingObserver.Call c = obs.await();
        assertThat(c.kind()).isEqualTo("success");
        assertThat((String) c.value()).isEqualTo(name + "-strict-0");
    }

    @Test
    void insideAJobThatCannotPauseAStrictEngineStillTakesTheCall() {
        onNewThread(() -> {
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    AsyncJob.blockPause();
                    try {
                        return strict.call(() -> "ran"); // inline or waited for on the thread: not refused
                    } finally {
                        AsyncJob.unblockPause();
                    }
                })).isEqualTo(StartStatus.FINISH);
                assertThat(h.failure()).isNull();
                assertThat(h.result()).isEqualTo("ran");
            }
        });
    }
}
