package dev.asyncjobs.benchmarks;

import org.openjdk.jmh.annotations.Fork;

/**
 * {@link PauseResumeBenchmark} on the virtual-thread backend: the benchmark thread is a platform
 * thread, the job a virtual thread; each cycle is two hand-offs. Compare with
 * {@link NaiveHandoff#parkUnpark()}.
 */
@Fork(3)
public class PauseResumeVirtualThread extends PauseResumeBenchmark {
    @Override
    String expectedBackend() {
        return Backends.VIRTUAL_THREAD;
    }
}
