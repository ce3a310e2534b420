package dev.asyncjobs.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.WakeupFd;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link AsyncSelector#watch} vs cancel vs fd ready: one thread (the ctx owner) watches the ctx and
 * cancels the registration at once; the other signals the ctx's fd. {@code onReady} runs at most
 * once.
 *
 * <p>Result: times {@code onReady} ran, the barrier watch fired. The arbiter then watches the same
 * ctx again and waits for that watch to fire: a watch replaces the ctx's armed target and the
 * selector thread runs tasks and fires in order, so once it has fired, the first registration can no
 * longer fire late.
 */
@JCStressTest
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "cancelled before the fd was seen")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "fired once before the cancel")
@Outcome(expect = FORBIDDEN, desc = "fired twice, or the fd never fired")
@State
public class SelectorWatchVsCancelStress {
    static final AsyncSelector SELECTOR;

    static {
        Probe.checkBackend();
        SELECTOR = AsyncSelector.open("stress-selector");
    }

    private final AsyncWaitCtx ctx = new AsyncWaitCtx();
    private final WakeupFd fd = WakeupFd.open();
    private final AtomicInteger fired = new AtomicInteger();

    public SelectorWatchVsCancelStress() {
        ctx.setWaitFd(this, fd.channel(), fd, (c, k, ch, data) -> ((WakeupFd) data).close());
    }

    @Actor
    public void owner() {
        AsyncSelector.Registration reg = SELECTOR.watch(ctx, fired::incrementAndGet);
        reg.cancel();
    }

    @Actor
    public void engine() {
        fd.signal();
    }

    @Arbiter
    public void arbiter(II_Result r) {
        CountDownLatch again = new CountDownLatch(1);
        SELECTOR.watch(ctx, again::countDown);
        boolean ok;
        try {
            ok = again.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        r.r1 = fired.get();
        r.r2 = ok ? 1 : 0;
        ctx.close();
    }
}
