package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * API.md rule 11: on the module path the flag is
 * {@code --add-exports java.base/jdk.internal.vm=dev.asyncjobs.core} (on the class path
 * {@code =ALL-UNNAMED}); {@code AsyncSelector.watch} on a ctx with no fds never fires.
 *
 * <p>The module-path check runs a child JVM with {@code target/classes} (module-info included) on
 * the module path and a one-file probe program started with the source launcher; the test code
 * itself cannot be that program because it shares the module's package.
 */
@Timeout(60)
class Rule11ModulePathAndEmptyWatchTest {

    @Test
    void onTheModulePathTheModuleNamedFlagSelectsContinuationsAndTheClassPathFormDoesNot(@TempDir Path dir)
            throws Exception {
        Path probe = dir.resolve("ModuleProbe.java");
        Files.writeString(probe, """
                public class ModuleProbe {
                    public static void main(String[] args) throws Exception {
                        System.out.println(dev.asyncjobs.core.AsyncJob.class.getModule().getName());
                        System.out.println(dev.asyncjobs.core.AsyncJob.backend());
                        var h = new dev.asyncjobs.core.JobHandle<String>();
                        try (var ctx = new dev.asyncjobs.core.AsyncWaitCtx()) {
                            var a = dev.asyncjobs.core.AsyncJob.start(h, ctx, () -> {
                                dev.asyncjobs.core.AsyncJob.pause();
                                return "resumed";
                            });
                            var b = dev.asyncjobs.core.AsyncJob.start(h, ctx, null);
                            System.out.println(a + " " + b + " " + h.result());
                        }
                    }
                }
                """, StandardCharsets.UTF_8);
        String modulePath = ChildJvm.locationOf(AsyncJob.class);
        List<String> moduleFlag = List.of("--module-path", modulePath, "--add-modules", "dev.asyncjobs.core",
                "--add-exports", "java.base/jdk.internal.vm=dev.asyncjobs.core", probe.toString());
        List<String> classPathFlag = List.of("--module-path", modulePath, "--add-modules", "dev.asyncjobs.core",
                "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", probe.toString());
        Process a = ChildJvm.start(moduleFlag);
        Process b = ChildJvm.start(classPathFlag);
        assertThat(ChildJvm.await(a, moduleFlag))
                .containsExactly("dev.asyncjobs.core", "continuation", "PAUSE FINISH resumed");
        assertThat(ChildJvm.await(b, classPathFlag))
                .as("a named module is not ALL-UNNAMED")
                .containsExactly("dev.asyncjobs.core", "virtual-thread", "PAUSE FINISH resumed");
    }

    @Test
    void aWatchOnACtxWithNoFdsNeverFires() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        try (AsyncSelector sel = AsyncSelector.open(CoreTestSupport.uniqueName("empty-watch"));
                AsyncWaitCtx empty = new AsyncWaitCtx();
                AsyncWaitCtx cleared = new AsyncWaitCtx();
                WakeupFd fd = WakeupFd.open()) {
            // one ctx that never had an fd, one whose only fd was cleared
            cleared.setWaitFd("k", fd.channel(), null, null);
            assertThat(cleared.clearFd("k")).isTrue();
            fd.signal(); // readable, but no longer in the ctx
            sel.watch(empty, fired::incrementAndGet);
            sel.watch(cleared, fired::incrementAndGet);
            // the selector keeps turning (a ready watch on another ctx fires), the empty ones never do
            try (AsyncWaitCtx other = new AsyncWaitCtx(); WakeupFd ready = WakeupFd.open()) {
                other.setWaitFd("r", ready.channel(), null, null);
                ready.signal();
                for (int i = 0; i < 3; i++) {
                    CountDownLatch turned = new CountDownLatch(1);
                    sel.watch(other, turned::countDown);
                    assertThat(turned.await(10, TimeUnit.SECONDS)).isTrue();
                }
            }
            // and a bounded wait with nothing else going on
            CoreTestSupport.sleepMillis(300);
            assertThat(fired).hasValue(0);
        }
    }
}
