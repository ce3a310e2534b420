package dev.asyncjobs.micrometer;

import dev.asyncjobs.engine.OffloadEngine;
import dev.asyncjobs.engine.OffloadEngineStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Meters for an {@link OffloadEngine}, tagged {@code engine} (its name), read from {@link
 * OffloadEngine#stats()} when the registry asks:
 *
 * <table>
 *   <caption>Offload engine meters</caption>
 *   <tr><th>name</th><th>type</th><th>what it is</th></tr>
 *   <tr><td>{@value #QUEUE_SIZE}</td><td>gauge</td><td>calls queued, waiting for a device thread</td></tr>
 *   <tr><td>{@value #QUEUE_CAPACITY}</td><td>gauge</td><td>the queue's capacity</td></tr>
 *   <tr><td>{@value #QUEUE_REMAINING}</td><td>gauge</td><td>room left in the queue (0: saturated, jobs yield and wait)</td></tr>
 *   <tr><td>{@value #QUEUE_WAIT}</td><td>timer</td><td>time from the call to a device thread starting it</td></tr>
 *   <tr><td>{@value #THREADS}</td><td>gauge</td><td>device threads</td></tr>
 *   <tr><td>{@value #THREADS_BUSY}</td><td>gauge</td><td>device threads running a call</td></tr>
 *   <tr><td>{@value #CALLS_SUBMITTED}</td><td>counter</td><td>calls that entered the queue</td></tr>
 *   <tr><td>{@value #CALLS}</td><td>timer</td><td>calls run and their time on the device, tag {@code outcome}: {@code success}, {@code failure}</td></tr>
 *   <tr><td>{@value #CALLS_REJECTED}</td><td>counter</td><td>calls refused because the engine was closed</td></tr>
 *   <tr><td>{@value #CALLS_WITHDRAWN}</td><td>counter</td><td>calls taken back before they ran (job cancelled)</td></tr>
 * </table>
 */
public final class OffloadEngineMetrics implements MeterBinder {
    /** Gauge: calls queued. */
    public static final String QUEUE_SIZE = "asyncjobs.engine.queue.size";
    /** Gauge: the queue's capacity. */
    public static final String QUEUE_CAPACITY = "asyncjobs.engine.queue.capacity";
    /** Gauge: room left in the queue. */
    public static final String QUEUE_REMAINING = "asyncjobs.engine.queue.remaining";
    /** Timer: queue waits. */
    public static final String QUEUE_WAIT = "asyncjobs.engine.queue.wait";
    /** Gauge: device threads. */
    public static final String THREADS = "asyncjobs.engine.threads";
    /** Gauge: device threads busy. */
    public static final String THREADS_BUSY = "asyncjobs.engine.threads.busy";
    /** Counter: calls submitted. */
    public static final String CALLS_SUBMITTED = "asyncjobs.engine.calls.submitted";
    /** Timer: calls run, tag {@code outcome}. */
    public static final String CALLS = "asyncjobs.engine.calls";
    /** Counter: calls rejected. */
    public static final String CALLS_REJECTED = "asyncjobs.engine.calls.rejected";
    /** Counter: calls withdrawn. */
    public static final String CALLS_WITHDRAWN = "asyncjobs.engine.calls.withdrawn";

    private final OffloadEngine engine;
    private final Tags tags;

    /**
     * Meters for {@code engine}, tagged with its name.
     *
     * @param engine the engine
     * @throws NullPointerException if {@code engine} is null
     */
    public OffloadEngineMetrics(OffloadEngine engine) {
        this(engine, Tags.empty());
    }

    /**
     * Meters for {@code engine} with extra tags.
     *
     * @param engine the engine
     * @param tags added to every meter
     * @throws NullPointerException if an argument is null
     */
    public OffloadEngineMetrics(OffloadEngine engine, Iterable<Tag> tags) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags")).and("engine", engine.name());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        gauge(registry, QUEUE_SIZE, s -> s.queued(), "calls", "Calls queued, waiting for a device thread");
        gauge(registry, QUEUE_CAPACITY, s -> s.queueCapacity(), "calls", "The capacity of the engine's queue");
        gauge(registry, QUEUE_REMAINING, s -> Math.max(0, s.queueCapacity() - s.queued()), "calls",
                "Room left in the queue; at 0 the device is saturated and jobs wait for room");
        gauge(registry, THREADS, s -> s.threads(), "threads", "Device threads");
        gauge(registry, THREADS_BUSY, s -> s.threadsBusy(), "threads", "Device threads running a call");
        counter(registry, CALLS_SUBMITTED, s -> s.callsSubmitted(), "Calls that entered the queue");
        counter(registry, CALLS_REJECTED, s -> s.callsRejected(), "Calls refused because the engine was closed");
        counter(registry, CALLS_WITHDRAWN, s -> s.callsWithdrawn(), "Calls taken back before they ran");
        FunctionTimer.builder(QUEUE_WAIT, engine, e -> e.stats().callsRun(), e -> e.stats().queueWaitNanos(),
                TimeUnit.NANOSECONDS).tags(tags).description("Time from a call to a device thread starting it")
                .register(registry);
        FunctionTimer.builder(CALLS, engine, e -> e.stats().callsSucceeded(), e -> e.stats().succeededNanos(),
                TimeUnit.NANOSECONDS).tags(tags.and("outcome", "success"))
                .description("Calls whose work returned, and their time on the device").register(registry);
        FunctionTimer.builder(CALLS, engine, e -> e.stats().callsFailed(), e -> e.stats().failedNanos(),
                TimeUnit.NANOSECONDS).tags(tags.and("outcome", "failure"))
                .description("Calls whose work threw, and their time on the device").register(registry);
    }

    private void gauge(MeterRegistry registry, String name, ToDoubleFunction<OffloadEngineStats> f, String unit,
            String description) {
        Gauge.builder(name, engine, e -> f.applyAsDouble(e.stats())).tags(tags).baseUnit(unit).description(description)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, ToDoubleFunction<OffloadEngineStats> f, String description) {
        FunctionCounter.builder(name, engine, e -> f.applyAsDouble(e.stats())).tags(tags).baseUnit("calls")
                .description(description).register(registry);
    }
}
