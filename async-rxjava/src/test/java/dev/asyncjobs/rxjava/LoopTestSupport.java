package dev.asyncjobs.rxjava;

import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

/**
 * {@link TestSupport} plus job loops of the test class's own: {@link #loops} (two threads, or
 * {@link LoopThreads} of them, named after the class: {@code AsyncSingleTest-0}, ...) and {@link
 * #opts} on them, started once for the class and closed after it. A test ends only once no job is
 * left: this {@code @AfterEach} runs before {@link TestSupport}'s error check, so an error from a
 * job that ends late is still seen.
 */
abstract class LoopTestSupport extends TestSupport {
    /** How many loop threads a test class wants (two without it). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface LoopThreads {
        int value();
    }

    // one test class runs at a time (no parallel execution here): each starts its own in @BeforeAll
    static JobLoopGroup loops;
    static JobOptions opts;

    @BeforeAll
    static void startLoops(TestInfo info) {
        Class<?> testClass = info.getTestClass().orElseThrow();
        LoopThreads threads = testClass.getAnnotation(LoopThreads.class);
        loops = JobLoopGroup.builder().threads(threads == null ? 2 : threads.value())
                .name(testClass.getSimpleName()).build();
        opts = JobOptions.builder().loops(loops).build();
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @AfterEach
    void noJobLeft() {
        await("every job done", () -> loops.liveJobs() == 0);
    }
}
