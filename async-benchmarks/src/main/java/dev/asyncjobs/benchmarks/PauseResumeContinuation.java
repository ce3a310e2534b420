package dev.asyncjobs.benchmarks;

import org.openjdk.jmh.annotations.Fork;

/** {@link PauseResumeBenchmark} on the continuation backend. */
@Fork(value = 3, jvmArgsAppend = Backends.CONTINUATION_FLAG)
public class PauseResumeContinuation extends PauseResumeBenchmark {
    @Override
    String expectedBackend() {
        return Backends.CONTINUATION;
    }
}
