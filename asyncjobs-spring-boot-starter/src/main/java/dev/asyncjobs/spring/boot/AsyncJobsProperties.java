package dev.asyncjobs.spring.boot;

import dev.asyncjobs.core.NoJobsPolicy;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The starter's settings, under {@code asyncjobs.*}. Unset sizes take the library's defaults (one
 * loop and one device thread per core; a queue of 256 calls per device thread; no pool limit).
 */
@ConfigurationProperties("asyncjobs")
public class AsyncJobsProperties {
    /**
     * Where the jobs launched with the starter's JobOptions run: LOOPS (the job loops) or EVENT_LOOP
     * (the Netty event loop that subscribed, e.g. the one that took a WebFlux request, else the job
     * loops; needs dev.asyncjobs:async-netty). LOOPS by default: a job body then never runs on an
     * event loop, so one that blocks or computes for long stalls a job loop, not the connections
     * of an event loop.
     */
    private Placement placement = Placement.LOOPS;

    private final EventLoop eventLoop = new EventLoop();
    private final Loops loops = new Loops();
    private final Engine engine = new Engine();
    private final Crypto crypto = new Crypto();
    private final Shutdown shutdown = new Shutdown();

    /** The defaults; Spring binds {@code asyncjobs.*} onto them. */
    public AsyncJobsProperties() {
    }

    /**
     * Where the starter's {@code JobOptions} put jobs.
     *
     * @return {@link Placement#LOOPS} by default
     */
    public Placement getPlacement() {
        return placement;
    }

    /**
     * Sets where the starter's {@code JobOptions} put jobs.
     *
     * @param placement {@link Placement#LOOPS} or {@link Placement#EVENT_LOOP}
     */
    public void setPlacement(Placement placement) {
        this.placement = placement;
    }

    /**
     * The event loops' settings, used with {@link Placement#EVENT_LOOP}.
     *
     * @return {@code asyncjobs.event-loop.*}
     */
    public EventLoop getEventLoop() {
        return eventLoop;
    }

    /**
     * The job loops' settings.
     *
     * @return {@code asyncjobs.loops.*}
     */
    public Loops getLoops() {
        return loops;
    }

    /**
     * The offload engine's settings.
     *
     * @return {@code asyncjobs.engine.*}
     */
    public Engine getEngine() {
        return engine;
    }

    /**
     * The crypto settings.
     *
     * @return {@code asyncjobs.crypto.*}
     */
    public Crypto getCrypto() {
        return crypto;
    }

    /**
     * The shutdown settings.
     *
     * @return {@code asyncjobs.shutdown.*}
     */
    public Shutdown getShutdown() {
        return shutdown;
    }

    /** {@code asyncjobs.placement}: where the starter's {@code JobOptions} put jobs. */
    public enum Placement {
        /** On the starter's job loops ({@code asyncjobs.loops.*}), whichever thread subscribes. */
        LOOPS,
        /**
         * On the Netty event loop that subscribes (every WebFlux and reactor-netty handler runs on
         * one): the job starts and resumes there, with no hop to a job loop; subscribed on any other
         * thread, on the starter's job loops. Needs {@code dev.asyncjobs:async-netty}.
         */
        EVENT_LOOP
    }

    /** {@code asyncjobs.event-loop.*}: the jobs on Netty event loops ({@link Placement#EVENT_LOOP}). */
    public static class EventLoop {
        /** The defaults. */
        public EventLoop() {
        }

        /**
         * Jobs alive at once on each Netty event loop, when asyncjobs.placement=event-loop; launches
         * beyond wait for a slot or fail (asyncjobs.loops.on-no-jobs). 0: no limit.
         */
        private int maxJobs;

        /**
         * The pool size of each event loop.
         *
         * @return jobs alive per event loop at most, 0 for no limit
         */
        public int getMaxJobs() {
            return maxJobs;
        }

        /**
         * Sets the pool size of each event loop.
         *
         * @param maxJobs at least 0 (no limit)
         */
        public void setMaxJobs(int maxJobs) {
            this.maxJobs = maxJobs;
        }
    }

    /** {@code asyncjobs.loops.*}: the {@code JobLoopGroup} bean. */
    public static class Loops {
        /** The defaults. */
        public Loops() {
        }

        /** Number of job loops (threads). Default: one per core. */
        private @Nullable Integer threads;

        /** Jobs alive at once per loop; launches beyond wait for a slot or fail (on-no-jobs). 0: no limit. */
        private int maxJobsPerLoop;

        /**
         * Thread name prefix; threads are named PREFIX-N. Keep the "asyncjobs-loop" start: the
         * BlockHound integration marks those threads non-blocking.
         */
        private String name = "asyncjobs-loop-app";

        /** What a launch does when its loop's pool is full: WAIT (first come first served) or FAIL. */
        private NoJobsPolicy onNoJobs = NoJobsPolicy.WAIT;

        /**
         * The number of loops, or null for one per core.
         *
         * @return the number of loops
         */
        public @Nullable Integer getThreads() {
            return threads;
        }

        /**
         * Sets the number of loops.
         *
         * @param threads at least 1, or null for one per core
         */
        public void setThreads(@Nullable Integer threads) {
            this.threads = threads;
        }

        /**
         * The pool size per loop.
         *
         * @return jobs alive per loop at most, 0 for no limit
         */
        public int getMaxJobsPerLoop() {
            return maxJobsPerLoop;
        }

        /**
         * Sets the pool size per loop.
         *
         * @param maxJobsPerLoop at least 0 (no limit)
         */
        public void setMaxJobsPerLoop(int maxJobsPerLoop) {
            this.maxJobsPerLoop = maxJobsPerLoop;
        }

        /**
         * The thread name prefix.
         *
         * @return the prefix
         */
        public String getName() {
            return name;
        }

        /**
         * Sets the thread name prefix.
         *
         * @param name the prefix
         */
        public void setName(String name) {
            this.name = name;
        }

        /**
         * The policy for a full pool.
         *
         * @return WAIT or FAIL
         */
        public NoJobsPolicy getOnNoJobs() {
            return onNoJobs;
        }

        /**
         * Sets the policy for a full pool.
         *
         * @param onNoJobs WAIT or FAIL
         */
        public void setOnNoJobs(NoJobsPolicy onNoJobs) {
            this.onNoJobs = onNoJobs;
        }
    }

    /** {@code asyncjobs.engine.*}: the {@code OffloadEngine} bean. */
    public static class Engine {
        /** The defaults. */
        public Engine() {
        }

        /** Whether to make an OffloadEngine bean (and the AsyncCrypto over it). */
        private boolean enabled = true;

        /** Number of device threads. Default: one per core. */
        private @Nullable Integer threads;

        /** Calls that may wait for a device thread before jobs yield and wait for room. Default: 256 per device thread. */
        private @Nullable Integer queueCapacity;

        /**
         * How long a saturated device may hold back the wake-ups it sends to sleeping loops, to send
         * one for many completions. 0 never holds one back. Default: 1ms (or
         * -Dasyncjobs.engine.wakeupDelayMicros).
         */
        private @Nullable Duration wakeupDelay;

        /**
         * Whether a call outside a job throws instead of running the work in the caller: on for
         * a service whose every call should be in a job (a controller that forgot
         * AsyncMono.fromJob then fails instead of blocking an event loop).
         */
        private boolean strict;

        /** Thread name prefix of the device threads (PREFIX-N) and the engine's name in metrics. */
        private String name = "asyncjobs-engine";

        /**
         * Whether the engine bean is made.
         *
         * @return {@code true} by default
         */
        public boolean isEnabled() {
            return enabled;
        }

        /**
         * Sets whether the engine bean is made.
         *
         * @param enabled {@code false} for none
         */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /**
         * The number of device threads, or null for one per core.
         *
         * @return the thread count
         */
        public @Nullable Integer getThreads() {
            return threads;
        }

        /**
         * Sets the number of device threads.
         *
         * @param threads at least 1, or null for one per core
         */
        public void setThreads(@Nullable Integer threads) {
            this.threads = threads;
        }

        /**
         * The queue capacity, or null for the default.
         *
         * @return the capacity
         */
        public @Nullable Integer getQueueCapacity() {
            return queueCapacity;
        }

        /**
         * Sets the queue capacity.
         *
         * @param queueCapacity at least 1, or null for 256 per device thread
         */
        public void setQueueCapacity(@Nullable Integer queueCapacity) {
            this.queueCapacity = queueCapacity;
        }

        /**
         * The wake-up delay, or null for the default.
         *
         * @return the delay
         */
        public @Nullable Duration getWakeupDelay() {
            return wakeupDelay;
        }

        /**
         * Sets the wake-up delay.
         *
         * @param wakeupDelay at least 0, or null for the default
         */
        public void setWakeupDelay(@Nullable Duration wakeupDelay) {
            this.wakeupDelay = wakeupDelay;
        }

        /**
         * Whether the engine is strict.
         *
         * @return {@code false} by default
         */
        public boolean isStrict() {
            return strict;
        }

        /**
         * Sets whether the engine is strict.
         *
         * @param strict {@code true} to refuse calls outside a job
         */
        public void setStrict(boolean strict) {
            this.strict = strict;
        }

        /**
         * The engine's name.
         *
         * @return the name
         */
        public String getName() {
            return name;
        }

        /**
         * Sets the engine's name.
         *
         * @param name the name
         */
        public void setName(String name) {
            this.name = name;
        }
    }

    /** {@code asyncjobs.crypto.*}: the {@code AsyncCrypto} bean. */
    public static class Crypto {
        /** The defaults. */
        public Crypto() {
        }

        /**
         * Whether to make an AsyncCrypto bean over the engine. The JCA providers it uses are the
         * application's (java.security, Security.addProvider).
         */
        private boolean enabled = true;

        /**
         * Whether the crypto bean is made.
         *
         * @return {@code true} by default
         */
        public boolean isEnabled() {
            return enabled;
        }

        /**
         * Sets whether the crypto bean is made.
         *
         * @param enabled {@code false} for none
         */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** {@code asyncjobs.shutdown.*}: how the engine and the loops close with the context. */
    public static class Shutdown {
        /** The defaults. */
        public Shutdown() {
        }

        /**
         * How long closing the engine waits for its device threads (calls running finish first).
         * Closing the loops always waits for their jobs: each paused job is resumed cancelled and
         * runs to its end, which never blocks on anything but the job's own code.
         */
        private Duration timeout = Duration.ofSeconds(30);

        /**
         * The wait bound.
         *
         * @return the timeout
         */
        public Duration getTimeout() {
            return timeout;
        }

        /**
         * Sets the wait bound.
         *
         * @param timeout how long at most
         */
        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }
}
