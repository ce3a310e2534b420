package dev.asyncjobs.rxjava;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import io.reactivex.rxjava3.observers.TestObserver;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The build runs this suite once per fibre backend and tells each run which backend it must get
 * ({@code -Dasyncjobs.expectBackend}, see this module's pom.xml): a silent fallback from
 * continuations to virtual threads, or a backend that cannot really pause, fails the build.
 */
@Timeout(60)
class BackendTest extends TestSupport {

    @Test
    void theBackendIsTheOneThisRunExpects() {
        String expected = System.getProperty("asyncjobs.expectBackend");
        assertThat(expected)
                .as("system property asyncjobs.expectBackend (set by the surefire execution) is missing")
                .isNotNull();
        assertThat(AsyncJob.backend()).isEqualTo(expected);
    }

    /**
     * A job run through the adapter pauses, is resumed from another thread, and runs where the
     * reported backend says: on the loop thread itself (continuation), or on a virtual thread of
     * its own that it keeps across the pause (virtual-thread).
     */
    @Test
    void aJobThroughTheAdapterReallyPausesAndResumesOnTheReportedMechanism() {
        try (JobLoopGroup loops = JobLoopGroup.builder().threads(1).name("backend-test").build()) {
            AtomicReference<Thread> before = new AtomicReference<>();
            AtomicReference<Thread> after = new AtomicReference<>();
            AtomicReference<Runnable> wake = new AtomicReference<>();
            AtomicBoolean woken = new AtomicBoolean();
            CountDownLatch paused = new CountDownLatch(1);
            TestObserver<String> to = AsyncSingle.fromJob(() -> {
                before.set(Thread.currentThread());
                wake.set(callback());
                paused.countDown();
                do {
                    assertThat(AsyncJob.pause()).as("resumed, not cancelled").isTrue();
                } while (!woken.get());
                after.set(Thread.currentThread());
                return "resumed";
            }, JobOptions.builder().loops(loops).build()).test();

            await(paused);
            flush(loops.loop(0)); // the job has returned control to its loop
            to.assertEmpty();
            assertThat(after.get()).as("not past its pause before the wake").isNull();

            Thread resumer = new Thread(() -> {
                woken.set(true);
                wake.get().run();
            }, "backend-test-resumer");
            resumer.start();
            to.awaitDone(10, TimeUnit.SECONDS).assertResult("resumed");

            Thread ran = before.get();
            if ("continuation".equals(AsyncJob.backend())) {
                assertThat(ran.getName()).as("on the loop thread itself").startsWith("backend-test-");
                assertThat(ran.isVirtual()).isFalse();
            } else {
                assertThat(AsyncJob.backend()).isEqualTo("virtual-thread");
                assertThat(ran.isVirtual()).as("the job's own virtual thread").isTrue();
            }
            assertThat(after.get()).as("resumed on the thread it paused on").isSameAs(before.get());
            assertThat(after.get().getName()).isNotEqualTo("backend-test-resumer");
        }
    }
}
