package dev.asyncjobs.crypto;

import java.security.GeneralSecurityException;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * A small lock-free pool of JCA instances of one operation and one provider ({@code Signature},
 * {@code Cipher}, ... are not thread-safe, and {@code getInstance} is a provider lookup plus a
 * reflective construction: a few microseconds, as much as a 16 KiB AES-GCM encryption).
 *
 * <p>Invariants: an instance is in at most one slot, and a taken instance belongs to its taker
 * alone until given back. Only instances whose operation succeeded are given back (one left in an
 * odd state by a failure is dropped). Taking and giving back are one CAS each in the common case,
 * never a lock or a park: they run on job loops (inline work) as well as on device threads. No
 * {@code ThreadLocal}: a job may run on another thread at each segment, and on the virtual-thread
 * backend every job is a thread of its own.
 *
 * @param <T> the JCA engine class
 */
final class JcaPool<T> {
    /** Makes a new instance on a miss. */
    @FunctionalInterface
    interface Factory<T> {
        T create() throws GeneralSecurityException;
    }

    /** Enough for every device thread and loop of a machine to hold one at once without a miss. */
    static final int SLOTS = Integer.highestOneBit(
            Math.max(8, Math.min(64, 2 * Runtime.getRuntime().availableProcessors())) * 2 - 1);

    private final Factory<T> factory;
    private final AtomicReferenceArray<@Nullable T> slots = new AtomicReferenceArray<>(SLOTS);

    JcaPool(Factory<T> factory) {
        this.factory = factory;
    }

    /** A pooled instance, or a new one; the caller owns it until {@link #giveBack}. */
    T take() throws GeneralSecurityException {
        int start = start();
        for (int i = 0; i < SLOTS; i++) {
            int idx = (start + i) & (SLOTS - 1);
            T t = slots.get(idx);
            if (t != null && slots.compareAndSet(idx, t, null)) {
                return t;
            }
        }
        return factory.create();
    }

    /** Gives a good instance back; dropped when every slot is taken. */
    void giveBack(T t) {
        int start = start();
        for (int i = 0; i < SLOTS; i++) {
            int idx = (start + i) & (SLOTS - 1);
            if (slots.get(idx) == null && slots.compareAndSet(idx, null, t)) {
                return;
            }
        }
    }

    /** Instances pooled now (for tests). */
    int pooled() {
        int n = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (slots.get(i) != null) {
                n++;
            }
        }
        return n;
    }

    /** Threads start at different slots, so two device threads rarely meet on one. */
    private static int start() {
        long id = Thread.currentThread().threadId();
        return (int) (id * 0x9E3779B97F4A7C15L >>> 40);
    }
}
