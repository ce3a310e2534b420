package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The build runs this suite once per fibre backend and tells each run which backend it must get
 * ({@code -Dasyncjobs.expectBackend}, see async-core/pom.xml), so a silent fallback from
 * continuations to virtual threads fails the build instead of halving the coverage.
 */
@Timeout(60)
class BackendSelectionTest {

    @Test
    void theBackendIsTheOneThisRunExpects() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        assertThat(expected)
                .as("system property asyncjobs.expectBackend (set by the surefire execution) is missing")
                .isNotNull();
        assertThat(AsyncJob.backend()).isEqualTo(expected);
    }

    @Test
    void theBackendIsChosenOnceAndIsOneOfTheTwo() {
        String first = AsyncJob.backend();
        assertThat(first).isIn("continuation", "virtual-thread");
        for (int i = 0; i < 100; i++) {
            assertThat(AsyncJob.backend()).isSameAs(first);
        }
    }

    @Test
    void jobsArePausableOnThisJvm() {
        assertThat(AsyncJob.isCapable()).isTrue();
    }

    @Test
    void unavailabilityCauseIsEmptyExactlyWhenContinuationsAreUsed() {
        boolean continuation = "continuation".equals(AsyncJob.backend());
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
            if (CoreTestSupport.continuationBackend()) {
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
