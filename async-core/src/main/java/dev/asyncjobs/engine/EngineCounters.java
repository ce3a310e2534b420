package dev.asyncjobs.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters of one {@link OffloadEngine}, read by {@link OffloadEngine#stats()}.
 *
 * <p>Invariants: each device thread owns one {@link Device} and is its only writer (plain read,
 * opaque write), so the device side pays no shared atomic per call; readers sum the devices with
 * opaque reads. The job side counts nothing per call: a submitted call is one a device thread
 * took, one withdrawn or drained (both rare, counted atomically here) or one still queued. That
 * sum is read in pieces while calls move from one piece to the next, in the order that can only
 * miss a moving call for a moment, never count it twice; the running maximum never reports less
 * than before, which keeps it a counter.
 * {@code -Dasyncjobs.stats=false} turns it all off, as for the loops.
 */
final class EngineCounters {
    /** Off with {@code -Dasyncjobs.stats=false}, as the loops' counters. */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("asyncjobs.stats"));
    /** Longs of padding around each device's counters (128 bytes: no false sharing between devices). */
    private static final int PAD = 16;
    static final int TAKEN = 0;
    static final int SUCCEEDED = 1;
    static final int FAILED = 2;
    static final int WAIT_NANOS = 3;
    static final int SUCCEEDED_NANOS = 4;
    static final int FAILED_NANOS = 5;
    private static final int COUNT = 6;

    private static final VarHandle OWN = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle BUSY;

    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(Device.class, "busy", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Thread[] threads;
    private final Device[] devices;
    private final AtomicLong withdrawn = new AtomicLong();
    private final AtomicLong drained = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong submittedSeen = new AtomicLong();

    EngineCounters(Thread[] threads) {
        this.threads = threads;
        this.devices = new Device[threads.length];
        for (int i = 0; i < devices.length; i++) {
            devices[i] = new Device();
        }
    }

    /** The calling device thread's counters (looked up once per thread). */
    Device device(Thread t) {
        for (int i = 0; i < threads.length; i++) {
            if (threads[i] == t) {
                return devices[i];
            }
        }
        throw new IllegalStateException(t.getName() + " is no device thread of this engine");
    }

    /** When a call began (for its queue wait), 0 when the counters are off. */
    static long callBegins() {
        return ENABLED ? System.nanoTime() : 0L;
    }

    void withdrawn() {
        if (ENABLED) {
            withdrawn.incrementAndGet();
        }
    }

    void drained(int n) {
        if (ENABLED) {
            drained.addAndGet(n);
        }
    }

    void rejected() {
        if (ENABLED) {
            rejected.incrementAndGet();
        }
    }

    private long sum(int i) {
        long n = 0;
        for (Device d : devices) {
            n += (long) OWN.getOpaque(d.own, PAD + i);
        }
        return n;
    }

    OffloadEngineStats snapshot(OffloadEngine e) {
        int busy = 0;
        for (Device d : devices) {
            busy += (int) BUSY.getOpaque(d);
        }
        // The calls that left the queue first, the queue after: a call leaves the queue (its slot
        // given back) before it is counted taken, withdrawn or drained, so read in this order a
        // call moving meanwhile is missed for one read at worst, never counted twice. Read the
        // other way round it could be counted twice, and the running maximum below would keep
        // that one-too-many for good (StatsTest#callsSubmittedReadWhileCallsFlowEndsExactlyAtTheCallsMade).
        long taken = sum(TAKEN);
        long withdrawnNow = withdrawn.get();
        long left = taken + withdrawnNow + drained.get();
        int queued = e.queued();
        long submitted = submittedSeen.accumulateAndGet(left + queued, Math::max);
        return new OffloadEngineStats(e.name(), e.isClosed(), devices.length, busy, queued, e.queueCapacity(),
                submitted, taken, sum(SUCCEEDED), sum(FAILED), rejected.get(), withdrawnNow,
                sum(WAIT_NANOS), sum(SUCCEEDED_NANOS), sum(FAILED_NANOS));
    }

    /** One device thread's counters; that thread is the only writer. */
    static final class Device {
        private final long[] own = new long[PAD + COUNT + PAD]; // see PAD
        @SuppressWarnings("unused") // through BUSY
        private int busy;

        /** The device took {@code c}: counts it and its queue wait; returns the run's start time. */
        long begins(OffloadCall<?> c) {
            if (!ENABLED) {
                return 0L;
            }
            long now = System.nanoTime();
            BUSY.setOpaque(this, 1);
            add(TAKEN, 1);
            add(WAIT_NANOS, Math.max(0, now - c.createdAt));
            return now;
        }

        /** The work of {@code c} ended (its outcome handed over), {@code start} from {@link #begins}. */
        void ends(OffloadCall<?> c, long start) {
            if (!ENABLED) {
                return;
            }
            boolean failed = c.workFailed();
            add(failed ? FAILED_NANOS : SUCCEEDED_NANOS, Math.max(0, System.nanoTime() - start));
            add(failed ? FAILED : SUCCEEDED, 1);
            BUSY.setOpaque(this, 0);
        }

        private void add(int i, long n) {
            OWN.setOpaque(own, PAD + i, own[PAD + i] + n);
        }
    }
}
