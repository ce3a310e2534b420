package dev.asyncjobs.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Teaches <a href="https://github.com/reactor/BlockHound">BlockHound</a> about asyncjobs' threads.
 * BlockHound finds it through {@link java.util.ServiceLoader} (registered in
 * {@code META-INF/services} and in {@code module-info}): {@code BlockHound.install()} is all a user
 * writes.
 *
 * <p><b>Marked non-blocking</b> (a blocking call there is reported):
 * <ul>
 *   <li>job-loop threads: every thread whose name starts with one of the prefixes, by default
 *       {@value #DEFAULT_PREFIXES}, i.e. the loops of {@code JobLoopGroup.shared()}
 *       ({@code asyncjobs-loop-N}), of any group built with the default name or a name that keeps
 *       the prefix ({@code JobLoopGroup.builder().name("asyncjobs-loop-web")}), and the shared
 *       {@code AsyncSelector} thread. A group named otherwise is marked by listing its name prefix
 *       in the system property {@value #PREFIXES_PROPERTY} (comma-separated; it adds to the
 *       defaults), set before {@code BlockHound.install()};</li>
 *   <li>the virtual threads that run job bodies on the virtual-thread backend (named
 *       {@code asyncjobs-job}): the loop that started the job waits for it to pause, so blocking
 *       there blocks the loop. On the continuation backend a job body runs on the loop thread
 *       itself and is covered by the first rule.</li>
 * </ul>
 *
 * <p><b>Allowed</b> (each was found by running the demo and the WebFlux example under BlockHound,
 * and is how the machinery hands work over, not a wait for I/O):
 * <ul>
 *   <li>{@code VirtualThreadFiber.resume}/{@code suspend}: the hand-off between a loop and a job's
 *       virtual thread spins briefly ({@code Thread.onSpinWait}) and then parks until the other
 *       side's segment ends. It returns when the job pauses or finishes, so the allowance never
 *       covers user code running on the loop thread.</li>
 * </ul>
 * A loop blocked in {@code Selector.select} while idle is not reported by BlockHound (the epoll
 * wait is not on its list, as for Netty's event loops), so it needs no allowance. The offload
 * engine's device threads block on their queue and run the offloaded work: they are not marked
 * non-blocking at all, which is the point of offloading.
 */
public final class AsyncJobsBlockHoundIntegration implements BlockHoundIntegration {
    /** The system property that adds thread-name prefixes to mark non-blocking. */
    public static final String PREFIXES_PROPERTY = "asyncjobs.blockhound.threadPrefixes";

    /** The thread-name prefixes marked non-blocking by default. */
    public static final String DEFAULT_PREFIXES = "asyncjobs-loop,asyncjobs-selector";

    /** The name core gives the virtual threads of the virtual-thread backend. */
    static final String JOB_THREAD_NAME = "asyncjobs-job";

    /** Called by {@link java.util.ServiceLoader}. */
    public AsyncJobsBlockHoundIntegration() {
    }

    @Override
    public void applyTo(BlockHound.Builder builder) {
        Predicate<Thread> ours = threadPredicate(prefixes(System.getProperty(PREFIXES_PROPERTY)));
        builder.nonBlockingThreadPredicate(current -> current.or(ours));
        // A virtual thread's blocking calls (sleep, locks, socket waits) park it in Java code that
        // BlockHound does not watch: it only sees the carrier's native calls, and the carrier is
        // free. A job's virtual thread is different: its loop waits for it, so watch its parks.
        builder.markAsBlocking("java.lang.VirtualThread", "park", "()V");
        builder.markAsBlocking("java.lang.VirtualThread", "parkNanos", "(J)V");
        String fiber = VirtualThreadFiber.class.getName();
        builder.allowBlockingCallsInside(fiber, "resume");
        builder.allowBlockingCallsInside(fiber, "suspend");
    }

    /** The defaults plus what {@code extra} (comma-separated, may be null) lists. */
    static List<String> prefixes(@Nullable String extra) {
        List<String> all = new ArrayList<>(List.of(DEFAULT_PREFIXES.split(",")));
        if (extra != null) {
            for (String p : extra.split(",")) {
                String t = p.strip();
                if (!t.isEmpty() && !all.contains(t)) {
                    all.add(t);
                }
            }
        }
        return List.copyOf(all);
    }

    /**
     * Job-loop threads by name prefix, and the backend's job threads. BlockHound evaluates it once
     * per thread, the first time that thread calls a method it watches, so it must be cheap and
     * must not itself block (no class loading on the way: plain string and thread calls).
     */
    static Predicate<Thread> threadPredicate(List<String> prefixes) {
        String[] p = prefixes.toArray(String[]::new);
        return t -> {
            String name = t.getName();
            if (t.isVirtual()) {
                return name.equals(JOB_THREAD_NAME);
            }
            for (String prefix : p) {
                if (name.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        };
    }
}
