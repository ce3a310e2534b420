package dev.asyncjobs.examples;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one way of signing did: per-message latency (from the message entering the bounded window
 * to its signature being ready), the threads that ran the jobs or tasks, and the peak in flight. Written concurrently by
 * the threads doing the work, with no lock (they may be job loops).
 */
final class RunStats {
    final String name;
    final int messages;
    private final long[] admittedAt;
    private final long[] latencyNanos;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private long startNanos;
    private long elapsedNanos;

    RunStats(String name, int messages) {
        this.name = name;
        this.messages = messages;
        this.admittedAt = new long[messages];
        this.latencyNanos = new long[messages];
    }

    void start() {
        startNanos = System.nanoTime();
    }

    void stop() {
        elapsedNanos = System.nanoTime() - startNanos;
    }

    /** Message {@code i} entered the window (its job or task was created). */
    void admitted(int i) {
        admittedAt[i] = System.nanoTime();
        max(peakInFlight, inFlight.incrementAndGet());
    }

    /** The current thread runs the job or task of a message. */
    void bodyRuns() {
        Thread t = Thread.currentThread();
        // a lock-free read first: only a thread's first message writes (a write to a present
        // key still locks its bin, and job loops must not wait on each other)
        if (!threads.contains(t)) {
            threads.add(t);
        }
    }

    /** Message {@code i}'s signature is ready. */
    void completed(int i) {
        latencyNanos[i] = System.nanoTime() - admittedAt[i];
        inFlight.decrementAndGet();
        completed.incrementAndGet();
    }

    long completedCount() {
        return completed.get();
    }

    double throughput() {
        return elapsedNanos == 0 ? 0 : completed.get() * 1e9 / elapsedNanos;
    }

    /** Nearest-rank percentile of the latencies, in milliseconds. */
    double latencyMillis(double percentile) {
        int n = (int) completed.get();
        if (n == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(latencyNanos, messages);
        Arrays.sort(sorted);
        // messages that did not complete keep a latency of 0 and sort first: skip them
        int offset = messages - n;
        int rank = (int) Math.ceil(percentile / 100.0 * n);
        return sorted[offset + Math.max(rank, 1) - 1] / 1e6;
    }

    int peakInFlight() {
        return peakInFlight.get();
    }

    /** The distinct threads that ran the jobs (or the naive way's tasks). */
    Set<Thread> threads() {
        return Set.copyOf(threads);
    }

    double elapsedSeconds() {
        return elapsedNanos / 1e9;
    }

    private static void max(AtomicInteger peak, int value) {
        int p;
        while (value > (p = peak.get()) && !peak.compareAndSet(p, value)) {
            // retry: another thread raised it meanwhile
        }
    }
}
