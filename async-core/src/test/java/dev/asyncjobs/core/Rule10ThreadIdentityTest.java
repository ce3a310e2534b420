package dev.asyncjobs.core;

import static dev.asyncjobs.core.CoreTestSupport.continuationBackend;
import static dev.asyncjobs.core.CoreTestSupport.onNewThread;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * API.md rule 10: inside a job, {@code Thread.currentThread()} and plain {@code ThreadLocal}s are
 * not part of the contract: with the continuation backend they are the starting thread's, with
 * the virtual-thread backend the job's own thread's. The test pins down what each backend does,
 * so a change is noticed (and documented) rather than discovered by users.
 */
@Timeout(60)
class Rule10ThreadIdentityTest {
    private static final ThreadLocal<String> LOCAL = new ThreadLocal<>();

    @Test
    void currentThreadInsideAJob() {
        onNewThread(() -> {
            Thread starter = Thread.currentThread();
            List<Thread> seen = new ArrayList<>();
            JobHandle<Void> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                AsyncJob.start(h, ctx, () -> {
                    seen.add(Thread.currentThread());
                    AsyncJob.pause();
                    seen.add(Thread.currentThread());
                    return null;
                });
                AsyncJob.start(h, ctx, null);
            }
            if (continuationBackend()) {
                assertThat(seen).containsExactly(starter, starter);
            } else {
                assertThat(seen.get(0)).isNotSameAs(starter);
                assertThat(seen.get(0).isVirtual()).isTrue();
                assertThat(seen.get(1)).as("the job keeps its own thread across pauses").isSameAs(seen.get(0));
            }
        });
    }

    @Test
    void threadLocalsInsideAJob() {
        onNewThread(() -> {
            LOCAL.set("caller");
            List<String> seen = new ArrayList<>();
            JobHandle<Void> h = new JobHandle<>();
            try (AsyncWaitCtx ctx = new AsyncWaitCtx()) {
                AsyncJob.start(h, ctx, () -> {
                    seen.add(LOCAL.get());
                    LOCAL.set("job");
                    AsyncJob.pause();
                    seen.add(LOCAL.get());
                    return null;
                });
                seen.add("caller sees " + LOCAL.get());
                LOCAL.set("caller again");
                AsyncJob.start(h, ctx, null);
                seen.add("caller sees " + LOCAL.get());
            }
            if (continuationBackend()) {
                // one thread, one value: the job and the caller overwrite each other
                assertThat(seen).containsExactly("caller", "caller sees job", "caller again", "caller sees caller again");
            } else {
                // two threads: each keeps its own
                assertThat(seen).containsExactly(null, "caller sees caller", "job", "caller sees caller again");
            }
        });
    }
}
