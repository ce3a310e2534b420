package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link JobPlacement#preferHost}: launched on a host's thread, a job starts in a task there,
 * every resume is one task on the host, the host thread's pool has the placement's size, and the
 * host watches the fds at every pause from the first one with fds on (so it sees them go); launched
 * anywhere else, it runs on the fallback loops; with a confined executor it is refused.
 */
@Timeout(60)
class JobHostLaunchTest {
    /** A single-thread executor as a host, counting its tasks and watches. */
    static final class TestHost implements JobHost {
        final ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-host"));
        final AtomicReference<Thread> self = new AtomicReference<>();
        final AtomicInteger tasks = new AtomicInteger();
        final List<Integer> watchedFds = new CopyOnWriteArrayList<>();
        final AsyncSelector selector = AsyncSelector.open("test-host-selector");

        TestHost() throws Exception {
            thread.submit(() -> self.set(Thread.currentThread())).get();
        }

        @Override
        public void execute(Runnable task) {
            tasks.incrementAndGet();
            thread.execute(task);
        }

        boolean inHost() {
            return Thread.currentThread() == self.get();
        }

        @Override
        public AsyncSelector.Registration watch(AsyncWaitCtx ctx, Runnable onReady) {
            watchedFds.add(ctx.getAllFds().size());
            return selector.watch(ctx, onReady);
        }

        void close() throws InterruptedException {
            thread.shutdown();
            assertThat(thread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            selector.close();
        }
    }

    private TestHost host;
    private JobLoopGroup fallback;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (host != null) {
            host.close();
        }
        if (fallback != null) {
            fallback.close();
            assertThat(fallback.awaitTermination(Duration.ofSeconds(10))).isTrue();
        }
    }

    /** Options on {@link #host}, else on a one-loop fallback group. */
    private JobOptions onHost(int poolSize) {
        fallback = JobLoopGroup.builder().threads(1).name("asyncjobs-loop-hostless").build();
        return JobOptions.builder()
                .placement(JobPlacement.preferHost(() -> host.inHost() ? host : null, poolSize, fallback)).build();
    }

    @Test
    void onTheHostTheJobStartsInATaskThereAndEachResumeIsOneTaskThere() throws Exception {
        host = new TestHost();
        JobOptions options = onHost(0);
        RecordingObserver<String> obs = new RecordingObserver<>();
        AtomicReference<AsyncWaitCtx> ctx = new AtomicReference<>();
        CompletableFuture<Boolean> queued = new CompletableFuture<>();
        host.thread.execute(() -> {
            AtomicInteger ran = new AtomicInteger();
            AsyncJobs.launch(() -> {
                ran.incrementAndGet();
                ctx.set(AsyncJob.current().waitCtx());
                AsyncJob.pause(); // woken by its callback from another thread
                return "done";
            }, options, obs);
            queued.complete(ran.get() == 0); // never inline: the caller may hold a monitor
        });
        assertThat(queued.get(10, TimeUnit.SECONDS)).isTrue();
        CoreTestSupport.await("started", Duration.ofSeconds(20), () -> ctx.get() != null);
        assertThat(host.tasks).as("one task for the start").hasValue(1);
        CoreTestSupport.onNewThread(() -> ctx.get().getCallback().onWake(ctx.get().getCallbackArg()));
        RecordingObserver.Call c = obs.only();
        assertThat(c.kind()).isEqualTo("success");
        assertThat(c.thread()).isSameAs(host.self.get());
        assertThat(host.tasks).as("one execute for the resume").hasValue(2);
        assertThat(host.watchedFds).as("never had fds: never watched").isEmpty();
    }

    @Test
    void theHostWatchesFdsFromTheFirstPauseWithFdsOnIncludingWhenTheyAreGone() throws Exception {
        host = new TestHost();
        JobOptions options = onHost(0);
        RecordingObserver<Integer> obs = new RecordingObserver<>();
        AtomicReference<AsyncWaitCtx> ctx = new AtomicReference<>();
        try (WakeupFd fd = WakeupFd.open()) {
            host.thread.execute(() -> AsyncJobs.launch(() -> {
                AsyncWaitCtx c = AsyncJob.current().waitCtx();
                ctx.set(c);
                AsyncJob.pause(); // no fd yet: the callback wakes it
                c.setWaitFd("fd", fd.channel(), null, null);
                while (!fd.drain()) {
                    AsyncJob.pause(); // the host's watch wakes it
                }
                c.clearFd("fd");
                AsyncJob.pause(); // no fd any more: the callback again, the host is told they went
                return 3;
            }, options, obs));
            CoreTestSupport.await("started", Duration.ofSeconds(20), () -> ctx.get() != null);
            wake(ctx.get());
            CoreTestSupport.await("watched with the fd", Duration.ofSeconds(20), () -> host.watchedFds.size() == 1);
            fd.signal();
            CoreTestSupport.await("watched after the fd was cleared", Duration.ofSeconds(20),
                    () -> host.watchedFds.size() == 2);
            wake(ctx.get());
            assertThat(obs.only().value()).isEqualTo(3);
            assertThat(host.watchedFds).containsExactly(1, 0);
        }
    }

    @Test
    void offTheHostTheJobRunsOnTheFallbackLoops() throws Exception {
        host = new TestHost();
        JobOptions options = onHost(0);
        RecordingObserver<String> obs = new RecordingObserver<>();
        AsyncJobs.launch(() -> "x", options, obs);
        assertThat(obs.only().thread().getName()).startsWith("asyncjobs-loop-hostless");
        assertThat(host.tasks).hasValue(0);
        assertThat(options.toBuilder().build().placement()).isSameAs(options.placement());
        assertThat(options.placement().loops()).isSameAs(fallback);
        assertThat(options.placement().onLoops()).as("needs no scheduler").isTrue();
        assertThat(options.placement().selector()).as("the host watches the fds").isNull();
        assertThat(JobOptions.defaults().hostLookup()).isNull();
        assertThat(JobPlacement.loops(fallback).hostLookup()).isNull();
    }

    @Test
    void theHostThreadsPoolHasThePlacementsSize() throws Exception {
        host = new TestHost();
        JobOptions options = onHost(1).toBuilder().onNoJobs(NoJobsPolicy.FAIL).build();
        RecordingObserver<String> first = new RecordingObserver<>();
        RecordingObserver<String> second = new RecordingObserver<>();
        AtomicReference<AsyncWaitCtx> ctx = new AtomicReference<>();
        host.thread.execute(() -> AsyncJobs.launch(() -> {
            ctx.set(AsyncJob.current().waitCtx());
            AsyncJob.pause();
            return "first";
        }, options, first));
        CoreTestSupport.await("first paused", Duration.ofSeconds(20), () -> ctx.get() != null);
        host.thread.execute(() -> AsyncJobs.launch(() -> "second", options, second));
        RecordingObserver.Call refused = second.only();
        assertThat(refused.kind()).isEqualTo("failure");
        assertThat(refused.error()).isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        wake(ctx.get());
        assertThat(first.only().value()).isEqualTo("first");
    }

    @Test
    void aHostPlacementIsRefusedWithAConfinedExecutorAndCheckedWhenMade() throws Exception {
        host = new TestHost();
        JobOptions options = onHost(0);
        RecordingObserver<String> obs = new RecordingObserver<>();
        assertThatThrownBy(() -> AsyncJobs.launch(() -> "x", options, host.thread, obs))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("preferHost");
        assertThat(obs.calls).isEmpty();
        JobHost.Lookup none = () -> null;
        assertThatThrownBy(() -> JobPlacement.preferHost(none, -1, fallback))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("poolSize");
        assertThatThrownBy(() -> JobPlacement.preferHost(null, 0, fallback))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("lookup");
        assertThatThrownBy(() -> JobPlacement.preferHost(none, 0, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("fallback");
        assertThat(JobPlacement.preferHost(none, 3, fallback).poolSize()).isEqualTo(3);
    }

    private static void wake(AsyncWaitCtx ctx) {
        ctx.getCallback().onWake(ctx.getCallbackArg());
    }
}
