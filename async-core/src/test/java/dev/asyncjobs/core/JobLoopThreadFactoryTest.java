package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asyncjobs.core.internal.AsyncJobsBlockHoundIntegration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Loop threads made by a {@link ThreadFactory}; the {@link NonBlockingThread} marker by which the
 * BlockHound integration finds loop threads (by type, whatever their name).
 */
@Timeout(60)
class JobLoopThreadFactoryTest {
    /** A user's marked loop thread. */
    static final class MarkedThread extends Thread implements NonBlockingThread {
        MarkedThread(Runnable body, String name) {
            super(body, name);
            setDaemon(true);
        }
    }

    @Test
    void aFactoryMakesTheLoopThreadsAndJobsRunOnThem() {
        String prefix = CoreTestSupport.uniqueName("factory");
        AtomicInteger n = new AtomicInteger();
        List<Thread> made = new CopyOnWriteArrayList<>();
        ThreadFactory f = body -> {
            Thread t = new MarkedThread(body, prefix + "-x" + n.getAndIncrement());
            made.add(t);
            return t;
        };
        try (JobLoopGroup g = JobLoopGroup.builder().threads(2).threadFactory(f).build()) {
            assertThat(made).hasSize(2);
            assertThat(g.loop(0).name()).isEqualTo(prefix + "-x0");
            assertThat(CoreTestSupport.onLoop(g.loop(1), Thread::currentThread)).isSameAs(made.get(1));
            RecordingObserver<String> o = new RecordingObserver<>();
            AsyncJobs.launch(() -> "ok", JobOptions.builder().loops(g).build(), o);
            CoreTestSupport.await("the job ended", java.time.Duration.ofSeconds(20), () -> !o.calls.isEmpty());
            assertThat(o.calls).singleElement().satisfies(c -> assertThat(c.value()).isEqualTo("ok"));
            // the loops keep their timers on the factory's threads too
            AtomicInteger ran = new AtomicInteger();
            LoopTask t = g.loop(0).schedule(ran::incrementAndGet, 1, java.util.concurrent.TimeUnit.MILLISECONDS);
            CoreTestSupport.await("the timer ran", java.time.Duration.ofSeconds(20), t::isDone);
            assertThat(ran).hasValue(1);
        }
        CoreTestSupport.assertNoThreadsLeft(prefix);
    }

    @Test
    void aFactoryCannotBeCombinedWithNameOrDaemonAndMustMakeANewThread() {
        assertThatThrownBy(() -> JobLoopGroup.builder().name("x").threadFactory(Thread::new).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use one or the other");
        assertThatThrownBy(() -> JobLoopGroup.builder().daemon(false).threadFactory(Thread::new).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use one or the other");
        assertThatThrownBy(() -> JobLoopGroup.builder().threads(1).threadFactory(r -> null).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("new, unstarted thread");
        Thread started = new Thread(() -> { });
        started.start();
        AtomicInteger calls = new AtomicInteger();
        int fdBaseline = CoreTestSupport.fdBaseline();
        // the second loop's thread is refused: the first loop's selector is released, nothing leaks
        assertThatThrownBy(() -> JobLoopGroup.builder().threads(2)
                .threadFactory(r -> calls.incrementAndGet() == 1 ? new Thread(r) : started).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("new, unstarted thread");
        CoreTestSupport.assertFdsBackTo(fdBaseline);
        CoreTestSupport.assertNpeNaming("threadFactory", () -> JobLoopGroup.builder().threadFactory(null));
    }

    @Test
    void loopAndSelectorThreadsAreMarkedByTypeWhateverTheirName() {
        Predicate<Thread> marked = AsyncJobsBlockHoundIntegration.threadPredicate();
        try (JobLoopGroup anyName = JobLoopGroup.builder().threads(1).name(CoreTestSupport.uniqueName("whatever")).build();
                JobLoopGroup plain = JobLoopGroup.builder().threads(1).threadFactory(Thread::new).build();
                AsyncSelector sel = AsyncSelector.open(CoreTestSupport.uniqueName("sel"))) {
            assertThat(marked.test(CoreTestSupport.onLoop(anyName.loop(0), Thread::currentThread))).isTrue();
            assertThat(CoreTestSupport.onLoop(anyName.loop(0), Thread::currentThread)).isInstanceOf(NonBlockingThread.class);
            assertThat(marked.test(CoreTestSupport.onLoop(plain.loop(0), Thread::currentThread)))
                    .as("a factory's plain threads are not marked").isFalse();
            assertThat(marked.test(sel.thread())).isTrue();
            assertThat(marked.test(new Thread("asyncjobs-loop-7"))).as("a name alone marks nothing").isFalse();
            assertThat(marked.test(Thread.ofVirtual().name("asyncjobs-job").unstarted(() -> { }))).isTrue();
            assertThat(marked.test(Thread.ofVirtual().name("other").unstarted(() -> { }))).isFalse();
        }
    }
}
