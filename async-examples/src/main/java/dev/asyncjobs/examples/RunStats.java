package dev.asyncjobs.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    /** Written by the thread that runs the rounds only. */
    private final List<Double> roundThroughputs = new ArrayList<>();
    private long startNanos;
    private long startCompleted;
    private long elapsedNanos;

    RunStats(String name, int messages) {
        this.name = name;
        this.messages = messages;
        this.admittedAt = new long[messages];
        this.latencyNanos = new long[messages];
    }

    /** A round starts (a run may be split in rounds, alternating with other ways of doing the work). */
    void start() {
        startCompleted = completed.get();
        startNanos = System.nanoTime();
    }

    /** The round ends: its time adds to the total, its throughput is one sample. */
    void stop() {
        long e = System.nanoTime() - startNanos;
        elapsedNanos += e;
        roundThroughputs.add(e == 0 ? 0 : (completed.get() - startCompleted) * 1e9 / e);
    }

    /** Rounds measured so far. */
    int rounds() {
        return roundThroughputs.size();
    }

    /** The median of the rounds' throughputs (the upper one of an even count), messages per second. */
    double medianThroughput() {
        return sortedRounds()[roundThroughputs.size() / 2];
    }

    /** The slowest and the fastest round, messages per second. */
    double[] throughputSpread() {
        double[] s = sortedRounds();
        return new double[] {s[0], s[s.length - 1]};
    }

    private double[] sortedRounds() {
        if (roundThroughputs.isEmpty()) {
            return new double[] {0};
        }
        double[] s = roundThroughputs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        return s;
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
