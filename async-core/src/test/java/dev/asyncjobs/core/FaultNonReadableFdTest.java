package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.FaultLeakCheckTest.HookRecorder;
import dev.asyncjobs.core.FaultLeakCheckTest.NothingLeaked;
import dev.asyncjobs.core.FaultLeakCheckTest.Probe;
import dev.asyncjobs.testsupport.Pipes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Wait fds that a selector cannot watch for reading (issue 11, item 1). Before the fix such an fd
 * made {@code register} throw inside the watcher's arm, on the loop's own thread: the job stayed
 * RUNNING forever, its cleanups never ran and {@link JobLoopGroup#close()} never returned. Now:
 * <ul>
 *   <li>a channel without {@code OP_READ} in its valid ops (a pipe's sink, a server socket) is
 *       refused by {@link AsyncWaitCtx#setWaitFd} with an {@link IllegalArgumentException} naming
 *       its class, and the ctx is left as it was;</li>
 *   <li>a channel that passes that check but still cannot be registered (here: a channel of
 *       another {@link SelectorProvider}, whose registration throws
 *       {@link IllegalSelectorException}) counts as a broken fd: it wakes its job, like a closed fd.</li>
 * </ul>
 * The group close in each test runs under a separate-thread timeout, so a stranded job fails the
 * test instead of hanging the build.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NothingLeaked.class)
final class FaultNonReadableFdTest {
    @Test
    void setWaitFdRefusesAPipeSinkAndAServerSocketAndLeavesTheCtxAsItWas() throws IOException {
        Pipe pipe = Pipes.open();
        pipe.sink().configureBlocking(false);
        try (ServerSocketChannel server = ServerSocketChannel.open(); WakeupFd kept = WakeupFd.open()) {
            server.configureBlocking(false);
            AtomicInteger cleanups = new AtomicInteger();
            WaitFdCleanup counting = (c, k, fd, data) -> cleanups.incrementAndGet();
            AsyncWaitCtx ctx = new AsyncWaitCtx();
            ctx.setWaitFd("kept", kept.channel(), null, counting);
            for (SelectableChannel bad : List.of(pipe.sink(), server)) {
                assertThatThrownBy(() -> ctx.setWaitFd("bad", bad, "data", counting))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("a wait fd must be selectable for reading (validOps has OP_READ)")
                        .hasMessageContaining(bad.getClass().getName());
                // nothing was taken: the ctx is exactly as before the call
                assertThat(ctx.getFd("bad")).isNull();
                assertThat(ctx.getAllFds()).containsExactly(kept.channel());
                assertThat(ctx.getChangedFds().added()).containsExactly(kept.channel());
                assertThat(ctx.getChangedFds().deleted()).isEmpty();
                assertThat(ctx.clearFd("bad")).isFalse();
                assertThat(bad.isOpen()).as("the refused channel is the caller's, untouched").isTrue();
            }
            ctx.close();
            assertThat(cleanups).as("only the accepted entry's cleanup").hasValue(1);
        } finally {
            Pipes.close(pipe);
        }
    }

    @Test
    void aJobOnALoopGivenAPipeSinkOrAServerSocketFailsWithTheIllegalArgumentAndTheGroupCloses() throws IOException {
        Pipe pipe = Pipes.open();
        pipe.sink().configureBlocking(false);
        ServerSocketChannel server = ServerSocketChannel.open();
        server.configureBlocking(false);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try (HookRecorder hooks = new HookRecorder()) {
            List<Probe<Boolean>> probes = new ArrayList<>();
            try (JobLoopGroup group = FaultClosedFdTest.group(1, 0)) {
                JobOptions opts = JobOptions.builder().loops(group).build();
                for (int i = 0; i < 20; i++) {
                    SelectableChannel bad = i % 2 == 0 ? pipe.sink() : server;
                    Probe<Boolean> p = new Probe<>();
                    probes.add(p);
                    AsyncJobs.launch(() -> {
                        // the engine's mistake surfaces where it was made, not as a stranded job
                        AsyncJob.current().waitCtx().setWaitFd(this, bad, null, p.cleanup());
                        return AsyncJob.pause();
                    }, opts, p);
                }
                Probe.assertAllDoneOnce(probes, 0, group.loop(0));
                for (int i = 0; i < probes.size(); i++) {
                    Probe<Boolean> p = probes.get(i);
                    assertThat(p.failures).as("job %d: %s", i, p.describe()).hasValue(1);
                    assertThat(p.error).isInstanceOf(IllegalArgumentException.class)
                            .hasMessageContaining("validOps has OP_READ")
                            .hasMessageContaining((i % 2 == 0 ? pipe.sink() : server).getClass().getName());
                }
                FaultLeakCheckTest.awaitNoLiveJobs(group);
            } // close() returns: nothing is left running
            assertThat(hooks.errors).isEmpty();
        } finally {
            server.close();
            Pipes.close(pipe);
        }
    }

    @Test
    void anFdWhoseRegistrationFailsWakesItsJobOnALoop() {
        try (HookRecorder hooks = new HookRecorder()) {
            List<Probe<Integer>> probes = new ArrayList<>();
            List<ForeignChannel> channels = new ArrayList<>();
            try (JobLoopGroup group = FaultClosedFdTest.group(1, 0)) {
                JobOptions opts = JobOptions.builder().loops(group).build();
                for (int i = 0; i < 20; i++) {
                    Probe<Integer> p = new Probe<>();
                    probes.add(p);
                    ForeignChannel ch = new ForeignChannel();
                    channels.add(ch);
                    AsyncJobs.launch(() -> {
                        AsyncJob.current().waitCtx().setWaitFd(this, ch, null, p.cleanup());
                        int wakes = 0;
                        // a broken fd keeps waking the job, as a closed one does: it must give up on it
                        while (AsyncJob.pause() && ++wakes < 3) {
                            assertThat(AsyncJob.current().isCancelled()).isFalse();
                        }
                        return wakes;
                    }, opts, p);
                }
                Probe.assertAllDoneOnce(probes, 1, group.loop(0));
                assertThat(probes).allSatisfy(p -> {
                    assertThat(p.successes).as(p.describe()).hasValue(1);
                    assertThat(p.value).isEqualTo(3);
                });
                FaultLeakCheckTest.awaitNoLiveJobs(group);
            }
            assertThat(hooks.errors).as("a broken fd is the job's business, not an error of the loop").isEmpty();
            channels.forEach(ForeignChannel::closeQuietly);
        }
    }

    /**
     * A broken fd wakes its job until the job lets go of it: once cleared, the job waits on its
     * other fds again instead of being woken at every pause (a spin).
     */
    @Test
    void aJobThatClearsItsBrokenFdWaitsOnItsOtherFdsAgain() {
        ForeignChannel foreign = new ForeignChannel();
        try (HookRecorder hooks = new HookRecorder(); WakeupFd good = WakeupFd.open()) {
            try (JobLoopGroup group = FaultClosedFdTest.group(1, 0)) {
                JobOptions opts = JobOptions.builder().loops(group).build();
                Probe<String> p = new Probe<>();
                CountDownLatch onGood = new CountDownLatch(1);
                AsyncJobs.launch(() -> {
                    AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                    ctx.setWaitFd("foreign", foreign, null, null);
                    if (!AsyncJob.pause()) {
                        return "cancelled";
                    }
                    ctx.clearFd("foreign");
                    ctx.setWaitFd("good", good.channel(), null, null);
                    onGood.countDown();
                    AsyncJob.pause();
                    return good.drain() ? "signalled" : "woken before the signal";
                }, opts, p);
                CoreTestSupport.await(onGood, "the job to be woken by its broken fd");
                for (int i = 0; i < 3; i++) {
                    FaultLeakCheckTest.barrier(group.loop(0));
                }
                assertThat(p.terminals()).as("still paused on the good fd: %s", p.describe()).isZero();
                good.signal();
                p.await();
                assertThat(p.value).as(p.describe()).isEqualTo("signalled");
                FaultLeakCheckTest.awaitNoLiveJobs(group);
            }
            assertThat(hooks.errors).isEmpty();
        } finally {
            foreign.closeQuietly();
        }
    }

    @Test
    void anFdWhoseRegistrationFailsWakesItsJobOnAConfinedExecutor() throws InterruptedException {
        ExecutorService confined = Executors.newSingleThreadExecutor(
                r -> new Thread(r, FaultClosedFdTest.uniqueName("fault-foreign-confined")));
        List<ForeignChannel> channels = new ArrayList<>();
        try (HookRecorder hooks = new HookRecorder();
                AsyncSelector selector = AsyncSelector.open(FaultClosedFdTest.uniqueName("fault-foreign-selector"))) {
            JobOptions opts = JobOptions.builder().placement(JobPlacement.confined(selector, 0)).build();
            List<Probe<Boolean>> probes = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Probe<Boolean> p = new Probe<>();
                probes.add(p);
                ForeignChannel ch = new ForeignChannel();
                channels.add(ch);
                AsyncJobs.launch(() -> {
                    AsyncJob.current().waitCtx().setWaitFd(this, ch, null, p.cleanup());
                    return AsyncJob.pause();
                }, opts, confined, p);
            }
            Probe.assertAllDoneOnce(probes, 1, confined);
            assertThat(probes).allMatch(p -> p.successes.get() == 1 && Boolean.TRUE.equals(p.value));
            // a plain watch on such a ctx fires once, too
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                ForeignChannel ch = new ForeignChannel();
                channels.add(ch);
                ctx.setWaitFd("k", ch, null, null);
                CountDownLatch fired = new CountDownLatch(1);
                AtomicInteger fires = new AtomicInteger();
                selector.watch(ctx, () -> {
                    fires.incrementAndGet();
                    fired.countDown();
                });
                CoreTestSupport.await(fired, "the watch on an unregistrable fd");
                AsyncSelectorWatchChainTest.turns(selector, 2);
                assertThat(fires).hasValue(1);
            }
            assertThat(hooks.errors).isEmpty();
        } finally {
            confined.execute(AsyncJob::cleanupThread);
            confined.shutdown();
            assertThat(confined.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            channels.forEach(ForeignChannel::closeQuietly);
        }
    }

    /**
     * A channel of a third-party {@link SelectorProvider} (a native transport, a test double):
     * selectable for reading on paper, but the JDK's selector refuses to register it
     * ({@code SelectorImpl.register} throws {@link IllegalSelectorException} for a channel it did
     * not make).
     */
    static final class ForeignChannel extends AbstractSelectableChannel {
        ForeignChannel() {
            super(SelectorProvider.provider());
            try {
                configureBlocking(false);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public int validOps() {
            return SelectionKey.OP_READ;
        }

        @Override
        protected void implCloseSelectableChannel() {
        }

        @Override
        protected void implConfigureBlocking(boolean block) {
        }

        void closeQuietly() {
            try {
                close();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }
}
