package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntSupplier;

/**
 * A {@link JobObserver} that records every call (kind, value, error, thread) and, at call time,
 * the value of a probe (e.g. how many cleanups have run), so a test can check that the observer
 * is called exactly once, on which thread, and after the ctx was closed.
 */
public class RecordingObserver<R> implements JobObserver<R> {
    public record Call(String kind, Object value, Throwable error, Thread thread, int probe) {
    }

    public final List<Call> calls = new CopyOnWriteArrayList<>();
    private final CountDownLatch first = new CountDownLatch(1);
    private final IntSupplier probe;

    public RecordingObserver() {
        this(() -> -1);
    }

    public RecordingObserver(IntSupplier probe) {
        this.probe = probe;
    }

    @Override
    public void onSuccess(R value) {
        record("success", value, null);
    }

    @Override
    public void onFailure(Throwable error) {
        record("failure", null, error);
    }

    @Override
    public void onDropped(R value, Throwable error) {
        record("dropped", value, error);
    }

    private void record(String kind, Object value, Throwable error) {
        calls.add(new Call(kind, value, error, Thread.currentThread(), probe.getAsInt()));
        first.countDown();
    }

    /** Waits for the first call and returns it. */
    public Call await() {
        CoreTestSupport.await(first, "the job's outcome");
        return calls.get(0);
    }

    public boolean isCalled() {
        return first.getCount() == 0;
    }

    /** The single call; fails if there were more. Call after the loop was flushed. */
    public Call only() {
        Call c = await();
        assertThat(calls).as("observer calls (exactly one expected)").hasSize(1);
        return c;
    }
}
