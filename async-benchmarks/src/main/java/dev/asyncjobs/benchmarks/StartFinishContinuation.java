package dev.asyncjobs.benchmarks;

import org.openjdk.jmh.annotations.Fork;

/** {@link StartFinishBenchmark} on the continuation backend. */
@Fork(value = 3, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class StartFinishContinuation extends StartFinishBenchmark {
    @Override
    String expectedBackend() {
        return Backends.CONTINUATION;
    }
}
