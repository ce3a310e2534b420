package dev.asyncjobs.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs two or three actions at the same instant, round after round, in the style of RxJava's
 * {@code TestHelper.race}: the caller runs the first action itself and persistent helper threads
 * run the others; all spin on a shared countdown so they start together. Helper threads are
 * reused across rounds (starting a thread per round would dwarf the race window).
 */
final class Racer implements AutoCloseable {
    private final List<Worker> workers = new ArrayList<>();

    Racer(int helpers, String name) {
        for (int i = 0; i < helpers; i++) {
            Worker w = new Worker(name + "-" + i);
            workers.add(w);
            w.start();
        }
    }

    /** Runs {@code actions[0]} here and the rest on the helpers, together; rethrows the first failure. */
    void race(Runnable... actions) {
        if (actions.length - 1 != workers.size()) {
            throw new IllegalArgumentException(actions.length + " actions for " + workers.size() + " helpers");
        }
        AtomicInteger gate = new AtomicInteger(actions.length);
        AtomicInteger done = new AtomicInteger(actions.length - 1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int i = 1; i < actions.length; i++) {
            workers.get(i - 1).submit(actions[i], gate, done, error);
        }
        gate.decrementAndGet();
        spinUntilZero(gate);
        try {
            actions[0].run();
        } catch (Throwable t) {
            error.compareAndSet(null, t);
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        for (int spins = 0; done.get() != 0; spins++) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("a race action did not finish within 20 s");
            }
            backOff(spins);
        }
        Throwable t = error.get();
        if (t instanceof Error e) {
            throw e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t != null) {
            throw new AssertionError(t);
        }
    }

    /**
     * Spins (the racers start within nanoseconds of each other on an idle machine), then yields:
     * on a loaded machine with fewer cores than racers a pure spin would starve the racer it
     * waits for.
     */
    static void spinUntilZero(AtomicInteger counter) {
        for (int spins = 0; counter.get() != 0; spins++) {
            backOff(spins);
        }
    }

    static void backOff(int spins) {
        if (spins < 200) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    @Override
    public void close() {
        for (Worker w : workers) {
            w.interrupt();
        }
        for (Worker w : workers) {
            try {
                w.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final class Worker extends Thread {
        private record Task(Runnable action, AtomicInteger gate, AtomicInteger done, AtomicReference<Throwable> error) {
        }

        private final AtomicReference<Task> next = new AtomicReference<>();

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void submit(Runnable action, AtomicInteger gate, AtomicInteger done, AtomicReference<Throwable> error) {
            next.set(new Task(action, gate, done, error));
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                Task t = next.getAndSet(null);
                if (t == null) {
                    // spin briefly (rounds come back to back), then park
                    for (int i = 0; i < 500 && next.get() == null; i++) {
                        backOff(i);
                    }
                    if (next.get() == null) {
                        LockSupport.parkNanos(this, 100_000);
                    }
                    continue;
                }
                t.gate().decrementAndGet();
                spinUntilZero(t.gate());
                try {
                    t.action().run();
                } catch (Throwable e) {
                    t.error().compareAndSet(null, e);
                } finally {
                    t.done().decrementAndGet();
                }
            }
        }
    }
}
