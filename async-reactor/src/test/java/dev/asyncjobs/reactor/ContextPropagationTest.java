package dev.asyncjobs.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asyncjobs.core.AsyncJob;
import dev.asyncjobs.core.AsyncWaitCtx;
import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobLoop;
import dev.asyncjobs.core.JobLoopGroup;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.core.WaitCallback;
import io.micrometer.context.ContextRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

/** ThreadLocals known to context-propagation follow the subscriber's Context into every segment. */
class ContextPropagationTest {
    private static final String KEY = "asyncjobs.test.tenant";
    private static final ThreadLocal<String> TENANT = new ThreadLocal<>();

    private JobLoopGroup loops;
    private JobOptions options;

    @BeforeEach
    void setUp() {
        ContextRegistry.getInstance().registerThreadLocalAccessor(KEY, TENANT);
        Hooks.enableAutomaticContextPropagation();
        loops = JobLoopGroup.builder().threads(1).name("ctx-test").build();
        options = JobOptions.builder().loops(loops).build();
    }

    @AfterEach
    void tearDown() {
        Hooks.disableAutomaticContextPropagation();
        ContextRegistry.getInstance().removeThreadLocalAccessor(KEY);
        loops.close();
    }

    /** A job that records the ThreadLocal at its start and after each of its {@code pauses} resumes. */
    static final class Recorder {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final AtomicInteger pausesReached = new AtomicInteger();
        final AtomicReference<WaitCallback> callback = new AtomicReference<>();
        volatile Object arg;

        JobFunction<List<String>> job(int pauses) {
            return () -> {
                AsyncWaitCtx ctx = AsyncJob.current().waitCtx();
                arg = ctx.getCallbackArg();
                callback.set(ctx.getCallback());
                for (int i = 0; i < pauses; i++) {
                    seen.add(String.valueOf(TENANT.get()));
                    pausesReached.incrementAndGet();
                    AsyncJob.pause();
                }
                seen.add(String.valueOf(TENANT.get()));
                return new ArrayList<>(seen);
            };
        }

        void awaitPause(int n) {
            TestSupport.await(() -> pausesReached.get() >= n, () -> "pause " + n + " reached");
        }

        void wake() {
            callback.get().onWake(arg);
        }
    }

    @Test
    void eachJobSeesItsSubscribersValuesAtEveryResumeAndTheLoopKeepsItsOwn() throws Exception {
        JobLoop loop = loops.loop(0);
        runOn(loop, () -> TENANT.set("loop-own"));
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Recorder none = new Recorder();
        List<List<String>> results = new CopyOnWriteArrayList<>();
        AsyncMono.fromJob(a.job(3), options).contextWrite(Context.of(KEY, "A")).subscribe(results::add);
        AsyncMono.fromJob(b.job(3), options).contextWrite(Context.of(KEY, "B")).subscribe(results::add);
        AsyncMono.fromJob(none.job(3), options).subscribe(results::add);
        List<String> loopSeen = new ArrayList<>();
        for (int step = 1; step <= 3; step++) {
            a.awaitPause(step);
            b.awaitPause(step);
            none.awaitPause(step);
            loopSeen.add(callOn(loop, TENANT::get)); // between the jobs' segments
            a.wake();
            b.wake();
            none.wake();
        }
        TestSupport.await(() -> results.size() == 3, () -> "three results");
        assertThat(a.seen).containsExactly("A", "A", "A", "A");
        assertThat(b.seen).containsExactly("B", "B", "B", "B");
        assertThat(none.seen).containsExactly("null", "null", "null", "null"); // the loop's value is not leaked in
        assertThat(loopSeen).containsExactly("loop-own", "loop-own", "loop-own");
        assertThat(callOn(loop, TENANT::get)).isEqualTo("loop-own");
    }

    @Test
    void itWorksOnAUserSchedulerToo() throws Exception {
        Scheduler single = Schedulers.newSingle("ctx-single");
        try {
            Recorder r = new Recorder();
            AtomicReference<List<String>> result = new AtomicReference<>();
            Disposable d = AsyncMono.fromJob(r.job(2), JobOptions.defaults(), single)
                    .contextWrite(Context.of(KEY, "S"))
                    .subscribe(result::set);
            r.awaitPause(1);
            r.wake();
            r.awaitPause(2);
            r.wake();
            TestSupport.await(() -> result.get() != null, () -> "result");
            assertThat(result.get()).containsExactly("S", "S", "S");
            d.dispose();
        } finally {
            single.dispose();
        }
    }

    @Test
    void withoutAutomaticPropagationNothingIsSet() {
        Hooks.disableAutomaticContextPropagation();
        Recorder r = new Recorder();
        List<String> seen = AsyncMono.fromJob(r.job(0), options).contextWrite(Context.of(KEY, "A")).block();
        assertThat(seen).containsExactly("null");
    }

    @Test
    void theContextualVariantReadsTheContextDirectly() {
        String seen = AsyncMono.fromJobContextual(ctx -> () -> ctx.get(KEY) + "/" + TENANT.get(), options)
                .contextWrite(Context.of(KEY, "T"))
                .block();
        assertThat(seen).isEqualTo("T/T");
    }

    private static void runOn(JobLoop loop, Runnable r) throws InterruptedException {
        callOn(loop, () -> {
            r.run();
            return null;
        });
    }

    private static <T> T callOn(JobLoop loop, java.util.function.Supplier<T> s) throws InterruptedException {
        AtomicReference<T> out = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            out.set(s.get());
            done.countDown();
        });
        assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        return out.get();
    }
}
