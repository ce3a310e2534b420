package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Await;
import dev.asyncjobs.testsupport.Fds;
import dev.asyncjobs.testsupport.Racer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link WakeupFd}: signal/drain semantics, readability, close, fd accounting and the
 * signal-vs-drain race.
 *
 * <h2>The coalescing contract, as tested</h2>
 * Signals coalesce: any number of signals since the last successful drain are consumed by one
 * drain. Put on a global clock (an {@link AtomicLong} ticked before and after every call):
 * <ol>
 *   <li><b>No lost signal.</b> For every {@code signal()} S there is a {@code drain()} returning
 *       true that ends after S begins. (A signal that overlaps a draining {@code drain()} may be
 *       consumed by it; it is never silently dropped.)</li>
 *   <li><b>No phantom wake.</b> A {@code drain()} D2 returns true only if some signal had not yet
 *       ended when the previous true drain D1 began, and began before D2 ended: a drain consumes
 *       every signal that completed before it began.</li>
 *   <li><b>Readable exactly while signalled.</b> At every quiescent point the channel is readable
 *       (a {@code selectNow} sees it) iff a signal is pending ({@code isSignalled()}), and at most
 *       one byte is ever in the pipe.</li>
 * </ol>
 */
@Timeout(60)
class WakeupFdTest {

    /** Level-triggered readability probe: a private selector with the channel registered once. */
    private static final class Probe implements AutoCloseable {
        private final Selector selector;

        Probe(WakeupFd fd) throws IOException {
            selector = Selector.open();
            fd.channel().register(selector, SelectionKey.OP_READ);
        }

        boolean readable() throws IOException {
            selector.selectedKeys().clear();
            return selector.selectNow() > 0;
        }

        @Override
        public void close() throws IOException {
            selector.close();
        }
    }

    @Test
    void aNewFdIsNonBlockingAndNotSignalled() throws IOException {
        try (WakeupFd fd = WakeupFd.open(); Probe probe = new Probe(fd)) {
            assertThat(fd.channel().isBlocking()).isFalse();
            assertThat(fd.channel().isOpen()).isTrue();
            assertThat(fd.channel().validOps() & SelectionKey.OP_READ).isEqualTo(SelectionKey.OP_READ);
            assertThat(fd.isSignalled()).isFalse();
            assertThat(probe.readable()).isFalse();
            assertThat(fd.drain()).isFalse();
            assertThat(probe.readable()).isFalse();
        }
    }

    @Test
    void signalMakesItReadableAndDrainConsumesIt() throws IOException {
        try (WakeupFd fd = WakeupFd.open(); Probe probe = new Probe(fd)) {
            for (int i = 0; i < 100; i++) {
                fd.signal();
                assertThat(fd.isSignalled()).isTrue();
                assertThat(probe.readable()).isTrue();
                assertThat(probe.readable()).as("level-triggered: still readable").isTrue();
                assertThat(fd.drain()).isTrue();
                assertThat(fd.isSignalled()).isFalse();
                assertThat(probe.readable()).isFalse();
                assertThat(fd.drain()).as("a second drain finds nothing").isFalse();
            }
        }
    }

    @Test
    void signalsCoalesceIntoOneByteAndOneDrain() throws IOException {
        try (WakeupFd fd = WakeupFd.open(); Probe probe = new Probe(fd)) {
            for (int i = 0; i < 5; i++) {
                fd.signal();
            }
            assertThat(fd.drain()).isTrue();
            assertThat(fd.drain()).isFalse();
            assertThat(probe.readable()).isFalse();
        }
        // white box: read the pipe itself, bypassing drain(): one byte, however many signals
        try (WakeupFd fd = WakeupFd.open()) {
            for (int i = 0; i < 1_000; i++) {
                fd.signal();
            }
            ByteBuffer buf = ByteBuffer.allocate(64);
            int n = ((Pipe.SourceChannel) fd.channel()).read(buf);
            assertThat(n).isEqualTo(1);
        }
    }

    @Test
    void readableExactlyWhileSignalledUnderARandomSequence() throws IOException {
        Random random = new Random(42);
        try (WakeupFd fd = WakeupFd.open(); Probe probe = new Probe(fd)) {
            boolean pending = false;
            for (int i = 0; i < 5_000; i++) {
                if (random.nextBoolean()) {
                    fd.signal();
                    pending = true;
                } else {
                    assertThat(fd.drain()).as("step %d", i).isEqualTo(pending);
                    pending = false;
                }
                assertThat(fd.isSignalled()).as("step %d", i).isEqualTo(pending);
                assertThat(probe.readable()).as("step %d", i).isEqualTo(pending);
            }
        }
    }

    @Test
    void manyThreadsSignallingAtOnceLeaveOneSignal() throws Exception {
        try (WakeupFd fd = WakeupFd.open(); Probe probe = new Probe(fd)) {
            int threads = 4;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    CoreTestSupport.await(go, "go");
                    for (int i = 0; i < 20_000; i++) {
                        fd.signal();
                    }
                });
                th.start();
                ts.add(th);
            }
            go.countDown();
            for (Thread th : ts) {
                th.join();
            }
            assertThat(probe.readable()).isTrue();
            ByteBuffer buf = ByteBuffer.allocate(64);
            assertThat(((Pipe.SourceChannel) fd.channel()).read(buf)).as("bytes in the pipe").isEqualTo(1);
        }
    }

    @Test
    void signalAfterCloseIsIgnoredAndCloseIsIdempotent() throws IOException {
        WakeupFd fd = WakeupFd.open();
        fd.signal();
        fd.close();
        assertThat(fd.channel().isOpen()).isFalse();
        fd.signal(); // a late completion: harmless
        fd.close();
        fd.close();
        assertThat(fd.drain()).isFalse();

        WakeupFd never = WakeupFd.open();
        never.close();
        never.signal();
        assertThat(never.isSignalled()).as("a signal after close is not recorded").isFalse();
        assertThat(never.drain()).isFalse();
    }

    @Test
    void openAndCloseLeaveTheFdCountWhereItWas() {
        int baseline = CoreTestSupport.fdBaseline();
        List<WakeupFd> fds = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            fds.add(WakeupFd.open());
        }
        assertThat(Fds.count()).as("two fds each").isGreaterThanOrEqualTo(baseline + 400);
        for (WakeupFd fd : fds) {
            fd.signal();
            fd.close();
            fd.close();
        }
        CoreTestSupport.assertFdsBackTo(baseline);
    }

    /** One call on the global clock. */
    private record Call(long begin, long end) {
    }

    @Test
    void signalRacingWithDrainNeverLosesASignalNorInventsOne() throws IOException {
        int rounds = 5_000;
        AtomicLong clock = new AtomicLong();
        try (WakeupFd fd = WakeupFd.open(); Probe probe = new Probe(fd); Racer racer = new Racer(1, "wakeup-race")) {
            for (int round = 0; round < rounds; round++) {
                int signals = 1 + round % 3;
                List<Call> signalCalls = new ArrayList<>(signals);
                List<Call> trueDrains = new ArrayList<>();
                long[] drainsTried = new long[1];
                boolean[] signallerDone = new boolean[1];
                Object doneLock = new Object();
                racer.race(() -> {
                    // drainer: drain continuously until the signaller is done, then once more
                    boolean done;
                    int spins = 0;
                    do {
                        Await.backOff(spins++);
                        synchronized (doneLock) {
                            done = signallerDone[0];
                        }
                        long b = clock.incrementAndGet();
                        boolean was = fd.drain();
                        long e = clock.incrementAndGet();
                        drainsTried[0]++;
                        if (was) {
                            trueDrains.add(new Call(b, e));
                        }
                    } while (!done);
                }, () -> {
                    for (int i = 0; i < signals; i++) {
                        long b = clock.incrementAndGet();
                        fd.signal();
                        long e = clock.incrementAndGet();
                        signalCalls.add(new Call(b, e));
                    }
                    synchronized (doneLock) {
                        signallerDone[0] = true;
                    }
                });
                String where = "round " + round + ": signals " + signalCalls + ", true drains " + trueDrains;
                // 1. no lost signal: some true drain ends after the last signal began
                long lastSignalBegin = signalCalls.get(signalCalls.size() - 1).begin();
                assertThat(trueDrains).as(where).isNotEmpty();
                assertThat(trueDrains.get(trueDrains.size() - 1).end()).as(where).isGreaterThan(lastSignalBegin);
                // 2. no phantom wake
                assertThat(trueDrains.size()).as(where).isLessThanOrEqualTo(signals);
                for (int i = 0; i < trueDrains.size(); i++) {
                    Call d = trueDrains.get(i);
                    long prevBegin = i == 0 ? 0 : trueDrains.get(i - 1).begin();
                    boolean cause = signalCalls.stream().anyMatch(s -> s.end() > prevBegin && s.begin() < d.end());
                    assertThat(cause).as("%s: true drain %d has a signal to consume", where, i).isTrue();
                }
                // 3. quiescent: nothing pending, not readable
                assertThat(fd.isSignalled()).as(where).isFalse();
                assertThat(probe.readable()).as(where).isFalse();
                assertThat(fd.drain()).as(where).isFalse();
            }
        }
    }
}
