package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.continuationBackend;
import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.testsupport.Pipes;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 8: {@code isCapable()} is true when jobs can pause on this JVM; the backend is
 * {@code jdk.internal.vm.Continuation} when {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}
 * is given (class path), a virtual-thread hand-off otherwise. Issue 2: a pause the JVM refuses
 * (a native frame, a {@code Continuation.pin()}) makes {@code pause()} return false and the job
 * goes on; nothing crashes or is corrupted.
 *
 * <p>How the refusal is provoked: a class initializer is run by the VM through a native frame
 * ({@code Pinned: NATIVE} for a continuation); {@code jdk.internal.vm.Continuation.pin()} is
 * reached by reflection, which works only when the package is exported, i.e. in the continuation
 * run. A {@code synchronized} block does not pin on JDK 25, so it is no use here. On the
 * virtual-thread backend nothing refuses: a virtual thread that parks under a native frame just
 * holds its carrier, so the pause succeeds; the tests check exactly that.
 */
@Timeout(60)
class Rule08CapabilityAndRefusedPauseTest {

    @Test
    void isCapableSaysWhatAJobDoes() {
        // isCapable() alone is a constant; the rule is that jobs pause, so a job must really pause
        // on its wait fd, hand control back, and resume where it stopped once the fd is ready
        onNewThread(() -> {
            List<String> trace = new ArrayList<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx(); WakeupFd fd = WakeupFd.open()) {
                StartStatus first = AsyncJob.start(h, ctx, () -> {
                    AsyncJob.current().waitCtx().setWaitFd("k", fd.channel(), null, null);
                    trace.add("paused " + AsyncJob.pause());
                    trace.add("signalled " + fd.drain());
                    return "resumed";
                });
                boolean paused = first == StartStatus.PAUSE;
                assertThat(first).isEqualTo(StartStatus.PAUSE);
                assertThat(trace).as("nothing ran past the pause").isEmpty();
                assertThat(ctx.getAllFds()).containsExactly(fd.channel());
                fd.signal();
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(trace).containsExactly("paused true", "signalled true");
                assertThat(h.result()).isEqualTo("resumed");
                assertThat(AsyncJob.isCapable()).as("isCapable() against what the job did").isEqualTo(paused);
            }
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }

    @Test
    void theBackendIsTheOneThisRunExpects() {
        // which of the two mechanisms rule 8 selects, against the surefire execution's expectation
        // (or the export of jdk.internal.vm when run without it), not against both names
        assertThat(AsyncJob.backend()).isEqualTo(BackendSelectionTest.expectedBackend());
        assertThat(continuationBackend()).isEqualTo("continuation".equals(BackendSelectionTest.expectedBackend()));
    }

    @Test
    void theClassPathFlagSelectsTheBackendInAFreshJvm() throws Exception {
        String cp = ChildJvm.locationOf(AsyncJob.class) + java.io.File.pathSeparator
                + ChildJvm.locationOf(BackendProbe.class);
        List<String> withFlag = List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-cp", cp,
                BackendProbe.class.getName());
        List<String> withoutFlag = List.of("-cp", cp, BackendProbe.class.getName());
        Process a = ChildJvm.start(withFlag);
        Process b = ChildJvm.start(withoutFlag);
        List<String> outA = ChildJvm.await(a, withFlag);
        List<String> outB = ChildJvm.await(b, withoutFlag);
        assertThat(outA).containsExactly("continuation", "", "PAUSE FINISH resumed");
        assertThat(outB.get(0)).isEqualTo("virtual-thread");
        assertThat(outB.get(1)).contains("--add-exports java.base/jdk.internal.vm=ALL-UNNAMED");
        assertThat(outB.get(2)).isEqualTo("PAUSE FINISH resumed");
    }

    /** The VM runs a class initializer through a native frame. */
    static final class PauseInClassInit {
        static final boolean PAUSED;

        static {
            PAUSED = AsyncJob.pause();
        }

        private PauseInClassInit() {
        }
    }

    @Test
    void aPauseUnderANativeFrame() {
        onNewThread(() -> {
            List<String> trace = new ArrayList<>();
            JobHandle<String> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    trace.add("before");
                    boolean paused = PauseInClassInit.PAUSED;
                    trace.add("class init pause returned " + paused);
                    boolean later = AsyncJob.pause(); // outside the native frame: a real pause
                    trace.add("later pause returned " + later);
                    return "done";
                });
                if (continuationBackend()) {
                    // refused: no PAUSE from the class initializer, the job went on to the real pause
                    assertThat(s).isEqualTo(StartStatus.PAUSE);
                    assertThat(trace).containsExactly("before", "class init pause returned false");
                } else {
                    // a virtual thread parks pinned: a real pause inside the initializer
                    assertThat(s).isEqualTo(StartStatus.PAUSE);
                    assertThat(trace).containsExactly("before");
                    assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.PAUSE);
                    assertThat(trace).containsExactly("before", "class init pause returned true");
                }
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(trace).last().isEqualTo("later pause returned true");
                assertThat(h.result()).isEqualTo("done");
                assertThat(h.failure()).isNull();
            }
            assertThat(CoreTestSupport.jobsInUse()).isZero();
        });
    }

    @Test
    void aPauseInsideContinuationPinReturnsFalseAndTheJobGoesOn() throws Exception {
        Class<?> continuation = Class.forName("jdk.internal.vm.Continuation");
        Method pin = continuation.getMethod("pin");
        Method unpin = continuation.getMethod("unpin");
        if (!continuationBackend()) {
            // without the export, nobody outside java.base can pin: the virtual-thread backend is
            // what this JVM chose precisely because the package is closed
            assertThatThrownBy(() -> pin.invoke(null)).isInstanceOf(IllegalAccessException.class);
            return;
        }
        onNewThread(() -> {
            List<String> trace = new ArrayList<>();
            JobHandle<Integer> h = new JobHandle<>();
            java.nio.channels.Pipe p = Pipes.open();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                StartStatus s = AsyncJob.start(h, ctx, () -> {
                    int local = 41;
                    AsyncWaitCtx c = AsyncJob.current().waitCtx();
                    c.setWaitFd("k", p.source(), null, null);
                    pin.invoke(null);
                    try {
                        trace.add("pinned pause " + AsyncJob.pause());
                        trace.add("pinned pause " + AsyncJob.pause());
                    } finally {
                        unpin.invoke(null);
                    }
                    // a refused pause is no pause: the changed fds were not reset by a "resume"
                    trace.add("added after refused pauses " + c.getChangedFds().added().size());
                    trace.add("unpinned pause " + AsyncJob.pause());
                    return local + 1;
                });
                assertThat(s).isEqualTo(StartStatus.PAUSE);
                assertThat(trace).containsExactly("pinned pause false", "pinned pause false",
                        "added after refused pauses 1");
                assertThat(AsyncJob.start(h, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(trace).last().isEqualTo("unpinned pause true");
                assertThat(h.result()).isEqualTo(42);
                assertThat(h.failure()).isNull();

                // the thread and the pool are fine afterwards
                JobHandle<Void> next = new JobHandle<>();
                assertThat(AsyncJob.start(next, ctx, Rule03PoolTest.pauseOnce())).isEqualTo(StartStatus.PAUSE);
                assertThat(AsyncJob.start(next, ctx, null)).isEqualTo(StartStatus.FINISH);
            } finally {
                Pipes.close(p);
            }
        });
    }
}
