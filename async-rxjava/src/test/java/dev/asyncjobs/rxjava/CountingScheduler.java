package dev.asyncjobs.rxjava;

import io.reactivex.rxjava3.core.Scheduler;
import io.reactivex.rxjava3.disposables.Disposable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Wraps a scheduler, counts the workers it creates and the ones disposed, and keeps them. */
final class CountingScheduler extends Scheduler {
    final Scheduler actual;
    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger disposed = new AtomicInteger();
    /** Calls of {@code dispose()} on the workers, whether or not the worker was disposed already. */
    final AtomicInteger disposeCalls = new AtomicInteger();
    /** The workers handed out, in order, so a test can dispose one behind its user's back. */
    final List<Worker> workers = new CopyOnWriteArrayList<>();

    CountingScheduler(Scheduler actual) {
        this.actual = actual;
    }

    @Override
    public Worker createWorker() {
        created.incrementAndGet();
        Worker w = actual.createWorker();
        Worker counted = new Worker() {
            @Override
            public Disposable schedule(Runnable run, long delay, TimeUnit unit) {
                return w.schedule(run, delay, unit);
            }

            @Override
            public void dispose() {
                disposeCalls.incrementAndGet();
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
        workers.add(counted);
        return counted;
    }
}
