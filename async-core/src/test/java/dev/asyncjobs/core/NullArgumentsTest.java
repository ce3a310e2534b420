package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.assertNpeNaming;
import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.testsupport.Pipes;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 2: {@code null} arguments throw a {@link NullPointerException} naming the parameter
 * (OpenSSL segfaults on a NULL ctx), and nothing is changed by the refused call.
 */
@Timeout(60)
class NullArgumentsTest {
    private Pipe pipe;

    @BeforeEach
    void open() {
        pipe = Pipes.open();
    }

    @AfterEach
    void close() {
        Pipes.close(pipe);
    }

    @Test
    void asyncJobStart() {
        onNewThread(() -> {
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                assertNpeNaming("job", () -> AsyncJob.start(null, ctx, () -> 1));
                assertNpeNaming("ctx", () -> AsyncJob.start(new JobHandle<Integer>(), null, () -> 1));
                JobHandle<Integer> idle = new JobHandle<>();
                assertNpeNaming("func", () -> AsyncJob.start(idle, ctx, null));
                assertThat(idle.job()).isNull();
                assertThat(CoreTestSupport.jobsInUse()).as("no slot taken by a refused start").isZero();
                // a paused job: func may be null (ignored), ctx may not
                JobHandle<Integer> paused = new JobHandle<>();
                assertThat(AsyncJob.start(paused, ctx, () -> {
                    AsyncJob.pause();
                    return 1;
                })).isEqualTo(StartStatus.PAUSE);
                assertNpeNaming("ctx", () -> AsyncJob.start(paused, null, null));
                assertThat(AsyncJob.start(paused, ctx, null)).isEqualTo(StartStatus.FINISH);
                assertThat(paused.result()).isEqualTo(1);
            }
        });
    }

    @Test
    void asyncWaitCtx() {
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            assertNpeNaming("key", () -> ctx.setWaitFd(null, pipe.source(), null, null));
            assertNpeNaming("fd", () -> ctx.setWaitFd("k", null, null, null));
            assertThat(ctx.getAllFds()).as("nothing was added").isEmpty();
            assertNpeNaming("key", () -> ctx.getFd(null));
            assertNpeNaming("key", () -> ctx.clearFd(null));
            assertNpeNaming("callback", () -> ctx.setCallback(null, "arg"));
            assertThat(ctx.getCallback()).isNull();
            assertNpeNaming("s", () -> ctx.setStatus(null));
            assertThat(ctx.getStatus()).isEqualTo(WaitStatus.UNSUPPORTED);
            // the nullable ones really are nullable
            assertThat(ctx.setWaitFd("k", pipe.source(), null, null)).isTrue();
            assertThat(ctx.setCallback(arg -> true, null)).isTrue();
        }
    }

    @Test
    void waitFdRecord() {
        assertNpeNaming("key", () -> new WaitFd(null, pipe.source(), null));
        assertNpeNaming("fd", () -> new WaitFd("k", null, null));
    }

    @Test
    void changedFdsRecord() {
        assertNpeNaming("added", () -> new ChangedFds(null, List.of()));
        assertNpeNaming("deleted", () -> new ChangedFds(List.of(), null));
    }

    @Test
    void asyncSelector() {
        assertNpeNaming("name", () -> AsyncSelector.open(null));
        AsyncSelector sel = AsyncSelector.shared();
        try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
            assertNpeNaming("ctx", () -> sel.watch(null, () -> { }));
            assertNpeNaming("onReady", () -> sel.watch(ctx, null));
        }
    }

    @Test
    void launch() {
        AtomicInteger ran = new AtomicInteger();
        JobFunction<Integer> f = () -> ran.incrementAndGet();
        JobOptions o = JobOptions.defaults();
        JobObserver<Integer> obs = new JobObserver<>() {
            @Override
            public void onSuccess(Integer value) {
                ran.incrementAndGet();
            }

            @Override
            public void onFailure(Throwable error) {
                ran.incrementAndGet();
            }
        };
        Runnable[] executed = new Runnable[1];
        java.util.concurrent.Executor ex = r -> executed[0] = r;
        assertNpeNaming("func", () -> AsyncJobs.launch(null, o, obs));
        assertNpeNaming("options", () -> AsyncJobs.launch(f, null, obs));
        assertNpeNaming("observer", () -> AsyncJobs.launch(f, o, null));
        assertNpeNaming("func", () -> AsyncJobs.launch(null, o, ex, obs));
        assertNpeNaming("options", () -> AsyncJobs.launch(f, null, ex, obs));
        assertNpeNaming("confinedExecutor", () -> AsyncJobs.launch(f, o, null, obs));
        assertNpeNaming("observer", () -> AsyncJobs.launch(f, o, ex, null));
        assertThat(executed[0]).as("nothing was submitted").isNull();
        assertThat(ran).hasValue(0);
    }

    @Test
    void optionsLoopsAndHooks() {
        assertNpeNaming("loops", () -> JobOptions.builder().loops(null));
        assertNpeNaming("selector", () -> JobPlacement.confined(null, 0));
        assertNpeNaming("group", () -> JobPlacement.loops(null));
        assertNpeNaming("placement", () -> JobOptions.builder().placement(null));
        assertNpeNaming("policy", () -> JobOptions.builder().onNoJobs(null));
        assertNpeNaming("name", () -> JobLoopGroup.builder().name(null));
        assertNpeNaming("onError", () -> AsyncHooks.setOnError(null));
        try (JobLoopGroup g = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("npe-loop")).build()) {
            assertNpeNaming("task", () -> g.loop(0).execute(null));
            assertNpeNaming("timeout", () -> g.awaitTermination(null));
        }
    }

    @Test
    void asyncHooksOnError() {
        AtomicInteger handled = new AtomicInteger();
        AsyncHooks.setOnError(e -> handled.incrementAndGet());
        try {
            assertNpeNaming("error", () -> AsyncHooks.onError(null));
            assertThat(handled).as("the handler never gets a null").hasValue(0);
        } finally {
            AsyncHooks.resetOnError();
        }
    }
}
