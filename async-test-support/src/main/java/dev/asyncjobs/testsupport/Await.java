package dev.asyncjobs.testsupport;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits on conditions with a deadline; a missed deadline fails with what was waited for. */
public final class Await {
    private Await() {
    }

    /**
     * Polls {@code condition} until it holds, backing off from spinning to yielding to short parks.
     *
     * @param what      what is waited for, for the failure message
     * @param timeout   how long to wait at most
     * @param condition what must come true
     * @throws AssertionError when {@code timeout} passes first, or the thread is interrupted
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        Objects.requireNonNull(what, "what");
        until(() -> what, timeout, condition);
    }

    /**
     * As {@link #until(String, Duration, BooleanSupplier)}, with a message computed only on failure
     * (for messages that list fds or threads as they are at the deadline).
     *
     * @param what      computes the failure message
     * @param timeout   how long to wait at most
     * @param condition what must come true
     * @throws AssertionError when {@code timeout} passes first, or the thread is interrupted
     */
    public static void until(Supplier<String> what, Duration timeout, BooleanSupplier condition) {
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(condition, "condition");
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int spins = 0; !condition.getAsBoolean(); spins++) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what.get());
            }
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + what.get());
            }
            pollBackOff(spins);
        }
    }

    /**
     * As {@link #until(String, Duration, BooleanSupplier)}, but never parks: spins, then yields
     * ({@link #backOff}). For the tight waits of race loops, where a park of even 50 us would
     * move the next round out of the window the race is about.
     *
     * @param what      what is waited for, for the failure message
     * @param timeout   how long to wait at most
     * @param condition what must come true
     * @throws AssertionError when {@code timeout} passes first
     */
    public static void spinUntil(String what, Duration timeout, BooleanSupplier condition) {
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(condition, "condition");
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int spins = 0; !condition.getAsBoolean(); spins++) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            backOff(spins);
        }
    }

    /**
     * Waits for {@code latch} to reach zero.
     *
     * @param latch   the latch
     * @param timeout how long to wait at most
     * @param what    what the latch stands for, for the failure message
     * @throws AssertionError when {@code timeout} passes first, or the thread is interrupted
     */
    public static void latch(CountDownLatch latch, Duration timeout, String what) {
        Objects.requireNonNull(latch, "latch");
        try {
            if (!latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for: " + what, e);
        }
    }

    /**
     * One step of a tight wait (race loops): spins first, since the other side usually answers
     * within nanoseconds on an idle machine, then yields, since on a loaded machine with fewer cores
     * than busy threads a pure spin starves the very thread it waits for.
     *
     * @param spins how many steps the caller has waited so far
     */
    public static void backOff(int spins) {
        if (spins < 200) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /**
     * As {@link #backOff}, then parks of 50 us growing to 1 ms: a condition wait must not take CPU
     * from the threads it waits for (a loaded 2-core machine runs many more threads than cores).
     */
    private static void pollBackOff(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        } else if (spins < 200) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(Math.min(1_000_000L, 50_000L << Math.min(5, (spins - 200) / 20)));
        }
    }
}
