package dev.asyncjobs.rxjava;

import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.Disposable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps a scheduler and counts the workers it creates and the ones disposed. */
final class CountingScheduler extends Scheduler {
    final Scheduler actual;
    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger disposed = new AtomicInteger();

    CountingScheduler(Scheduler actual) {
        this.actual = actual;
    }

    @Override
    public Worker createWorker() {
        created.incrementAndGet();
        Worker w = actual.createWorker();
        return new Worker() {
            @Override
            public Disposable schedule(Runnable run, long delay, TimeUnit unit) {
                return w.schedule(run, delay, unit);
            }

            @Override
            public void dispose() {
                if (!w.isDisposed()) {
                    disposed.incrementAndGet();
                }
                w.dispose();
            }

            @Override
            public boolean isDisposed() {
                return w.isDisposed();
            }
        };
    }
}
