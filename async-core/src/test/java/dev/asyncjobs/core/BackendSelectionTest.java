package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The build runs this suite once per fibre backend and tells each run which backend it must get
 * ({@code -Dasyncjobs.expectBackend}, see async-core/pom.xml), so a silent fallback from
 * continuations to virtual threads fails the build instead of halving the coverage. Every check
 * compares {@link AsyncJob#backend()} with an expectation from outside it (the property, or the
 * export of {@code jdk.internal.vm}), never with both possible names.
 */
@Timeout(60)
class BackendSelectionTest {

    /**
     * The backend this JVM must get: the surefire execution's {@code -Dasyncjobs.expectBackend};
     * without it (an IDE run), {@code "continuation"} exactly when {@code jdk.internal.vm} is exported
     * to the class path's unnamed module, the condition API rule 8 ties the backend to. Never derived
     * from {@link AsyncJob#backend()} itself, or the checks below would hold whatever it returned.
     */
    static String expectedBackend() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        return expected != null ? expected : backendTheExportCalls();
    }

    /** {@code "continuation"} when {@code java.base} exports {@code jdk.internal.vm} to this (unnamed) module. */
    static String backendTheExportCalls() {
        Module unnamed = BackendSelectionTest.class.getModule();
        return Object.class.getModule().isExported("jdk.internal.vm", unnamed) ? "continuation" : "virtual-thread";
    }

    @Test
    void theBackendIsTheOneThisRunExpects() {
        assertThat(AsyncJob.backend())
                .as("asyncjobs.expectBackend=%s", System.getProperty("asyncjobs.expectBackend"))
                .isEqualTo(expectedBackend());
    }

    @Test
    void theBackendFollowsTheExportOfJdkInternalVm() {
        // also when the property is set: a surefire execution whose property and flag disagree is a
        // build mistake, and a JVM that has the export but runs virtual threads fell back silently
        assertThat(AsyncJob.backend())
                .as("jdk.internal.vm exported to the unnamed module: %s",
                        Object.class.getModule().isExported("jdk.internal.vm", BackendSelectionTest.class.getModule()))
                .isEqualTo(backendTheExportCalls());
    }

    @Test
    void theBackendIsChosenOnce() {
        String first = AsyncJob.backend();
        assertThat(first).isEqualTo(expectedBackend());
        for (int i = 0; i < 100; i++) {
            assertThat(AsyncJob.backend()).isSameAs(first);
        }
    }

    @Test
    void jobsReallyPauseAndResumeOnThisJvm() {
        // isCapable() is what a caller reads before relying on pauses: it must say what a job does
        CoreTestSupport.onNewThread(() -> {
            List<String> trace = new ArrayList<>();
            JobHandle<Integer> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus first = AsyncJob.start(h, ctx, () -> {
                    int local = 40;
                    trace.add("before");
                    trace.add("pause " + AsyncJob.pause());
                    local++;
                    trace.add("pause " + AsyncJob.pause());
                    return local + 1;
                });
                boolean paused = first == StartStatus.PAUSE;
                assertThat(first).as("the first start of a job that pauses").isEqualTo(StartStatus.PAUSE);
                assertThat(trace).containsExactly("before");
                assertThat(h.job()).isNotNull();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                assertThat(trace).containsExactly("before", "pause true");
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(trace).containsExactly("before", "pause true", "pause true");
                assertThat(h.result()).as("the job's locals survived two pauses").isEqualTo(42);
                assertThat(h.failure()).isNull();
                assertThat(AsyncJob.isCapable()).as("isCapable() against what the job did").isEqualTo(paused);
            }
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }

    @Test
    void unavailabilityCauseIsEmptyExactlyWhenContinuationsAreUsed() {
        boolean continuation = "continuation".equals(expectedBackend());
        String cause = AsyncJob.continuationUnavailabilityCause();
        assertThat(cause).isNotNull();
        assertThat(cause.isEmpty()).as("cause '%s' empty iff continuation backend", cause).isEqualTo(continuation);
        if (!continuation) {
            // the cause tells the user how to get continuations
            assertThat(cause).contains("--add-exports java.base/jdk.internal.vm=");
        }
    }

    @Test
    void theReportedBackendIsTheMechanismJobsReallyRunOn() {
        // continuation: the job runs on the starting thread itself; virtual-thread: on its own
        // virtual thread. The reported name must match what actually happens.
        CoreTestSupport.onNewThread(() -> {
            Thread starter = Thread.currentThread();
            Thread[] inside = new Thread[2];
            JobHandle<Void> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertThat(AsyncJob.start(h, ctx, () -> {
                    inside[0] = Thread.currentThread();
                    AsyncJob.pause();
                    inside[1] = Thread.currentThread();
                    return null;
                })).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
            }
            if ("continuation".equals(expectedBackend())) {
                assertThat(inside[0]).isSameAs(starter);
                assertThat(inside[1]).isSameAs(starter);
            } else {
                assertThat(inside[0]).isNotSameAs(starter);
                assertThat(inside[0].isVirtual()).isTrue();
                assertThat(inside[1]).isSameAs(inside[0]);
            }
        });
    }
}
