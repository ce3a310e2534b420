package dev.asyncjobs.benchmarks;

import org.openjdk.jmh.annotations.Fork;

/** {@link StartFinishBenchmark} on the virtual-thread backend (a hand-off to the job's thread and back). */
@Fork(3)
public class StartFinishVirtualThread extends StartFinishBenchmark {
    @Override
    String expectedBackend() {
        return Backends.VIRTUAL_THREAD;
    }
}
