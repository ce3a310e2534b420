package dev.asyncjobs.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs two or more actions at the same instant, round after round, in the style of RxJava's
 * {@code TestHelper.race}: the caller runs the first action itself and helper threads run the
 * others; all spin on a shared countdown so they start together. The helpers live as long as the
 * racer (starting a thread per round would dwarf the race window); {@link #close()} stops them.
 *
 * <pre>{@code
 * try (Racer racer = new Racer(1, "cancel-vs-resume")) {
 *     for (int i = 0; i < 10_000; i++) {
 *         racer.race(() -> handle.cancel(), () -> wake.run());
 *     }
 * }
 * }</pre>
 */
public final class Racer implements AutoCloseable {
    private static final long ROUND_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final List<Worker> workers = new ArrayList<>();

    /**
     * Starts the helper threads (daemons, named {@code name-0}, {@code name-1}, ...).
     *
     * @param helpers how many helper threads: each {@link #race} takes one action more than this
     * @param name    the helper threads' name prefix
     */
    public Racer(int helpers, String name) {
        Objects.requireNonNull(name, "name");
        if (helpers < 1) {
            throw new IllegalArgumentException("helpers must be at least 1, was " + helpers);
        }
        for (int i = 0; i < helpers; i++) {
            Worker w = new Worker(name + "-" + i);
            workers.add(w);
            w.start();
        }
    }

    /**
     * Runs {@code actions[0]} on the calling thread and the others on the helpers, released
     * together, and returns when all have ended.
     *
     * @param actions one action more than the racer has helpers
     * @throws AssertionError when an action has not ended within 20 s; otherwise the first failure
     *                        of an action is rethrown (an Error or RuntimeException as is, a checked
     *                        one wrapped in an AssertionError)
     */
    public void race(Runnable... actions) {
        if (actions.length - 1 != workers.size()) {
            throw new IllegalArgumentException(actions.length + " actions for " + workers.size() + " helpers");
        }
        for (int i = 0; i < actions.length; i++) {
            Objects.requireNonNull(actions[i], "actions[" + i + "]");
        }
        AtomicInteger gate = new AtomicInteger(actions.length);
        AtomicInteger done = new AtomicInteger(actions.length - 1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int i = 1; i < actions.length; i++) {
            workers.get(i - 1).submit(new Task(actions[i], gate, done, error));
        }
        gate.decrementAndGet();
        spinUntilZero(gate);
        try {
            actions[0].run();
        } catch (Throwable t) {
            error.compareAndSet(null, t);
        }
        long deadline = System.nanoTime() + ROUND_TIMEOUT_NANOS;
        for (int spins = 0; done.get() != 0; spins++) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("a race action did not finish within 20 s");
            }
            Await.backOff(spins);
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

    private static void spinUntilZero(AtomicInteger counter) {
        for (int spins = 0; counter.get() != 0; spins++) {
            Await.backOff(spins);
        }
    }

    /**
     * Stops the helper threads and waits for them to end.
     *
     * @throws AssertionError when a helper is still alive after 10 s (an action that never returns)
     */
    @Override
    public void close() {
        for (Worker w : workers) {
            w.interrupt();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Worker w : workers) {
            try {
                w.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while stopping " + w.getName(), e);
            }
            if (w.isAlive()) {
                throw new AssertionError("racer thread " + w.getName() + " did not stop within 10 s");
            }
        }
    }

    private record Task(Runnable action, AtomicInteger gate, AtomicInteger done, AtomicReference<Throwable> error) {
    }

    private static final class Worker extends Thread {
        private final AtomicReference<Task> next = new AtomicReference<>();

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void submit(Task task) {
            next.set(task);
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                Task t = next.getAndSet(null);
                if (t == null) {
                    // rounds come back to back: spin briefly before parking
                    for (int i = 0; i < 500 && next.get() == null; i++) {
                        Await.backOff(i);
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
