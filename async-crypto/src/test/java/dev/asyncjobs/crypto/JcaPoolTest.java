package dev.asyncjobs.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The instance pool: an instance is never held by two takers at once, and misses make new ones. */
@Timeout(60)
class JcaPoolTest {
    static final class Instance {
        final AtomicBoolean held = new AtomicBoolean();
    }

    @Test
    void reusesWhatWasGivenBackAndMakesNewOnAMiss() throws GeneralSecurityException {
        AtomicInteger made = new AtomicInteger();
        JcaPool<Instance> pool = new JcaPool<>(() -> {
            made.incrementAndGet();
            return new Instance();
        });
        Instance a = pool.take();
        Instance b = pool.take();
        assertThat(a).isNotSameAs(b);
        assertThat(made).hasValue(2);
        pool.giveBack(a);
        assertThat(pool.pooled()).isEqualTo(1);
        assertThat(pool.take()).isSameAs(a);
        assertThat(pool.pooled()).isZero();
        // a failure while making one is the caller's, and leaves the pool as it was
        JcaPool<Instance> failing = new JcaPool<>(() -> {
            throw new GeneralSecurityException("no provider");
        });
        try {
            failing.take();
            throw new AssertionError("no exception");
        } catch (GeneralSecurityException e) {
            assertThat(e).hasMessage("no provider");
        }
        // more given back than it holds: the rest are dropped, never lost track of
        List<Instance> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            many.add(new Instance());
        }
        many.forEach(pool::giveBack);
        assertThat(pool.pooled()).isEqualTo(JcaPool.SLOTS);
    }

    @Test
    void anInstanceIsNeverHeldByTwoThreadsAtOnce() throws Exception {
        int threads = 4;
        int rounds = 20_000;
        AtomicInteger made = new AtomicInteger();
        JcaPool<Instance> pool = new JcaPool<>(() -> {
            made.incrementAndGet();
            return new Instance();
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < rounds; i++) {
                        Instance x = pool.take();
                        if (!x.held.compareAndSet(false, true)) {
                            throw new AssertionError("taken while held by another thread");
                        }
                        if ((i & 7) == 0) {
                            Thread.onSpinWait();
                        }
                        x.held.set(false);
                        pool.giveBack(x);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "pool-race-" + t);
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join();
        }
        assertThat(failure.get()).isNull();
        // every instance was given back: the pool keeps all of them, up to its size (a taker that
        // races a give-back may miss and make one more; none is ever lost or doubled)
        assertThat(made.get()).isPositive();
        assertThat(pool.pooled()).isEqualTo(Math.min(made.get(), JcaPool.SLOTS));
    }
}
