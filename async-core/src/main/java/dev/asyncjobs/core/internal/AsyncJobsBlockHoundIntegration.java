package dev.asyncjobs.core.internal;

import dev.asyncjobs.core.NonBlockingThread;
import java.util.function.Predicate;
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
 *   <li>every thread that implements {@link dev.asyncjobs.core.NonBlockingThread}, found by type:
 *       the loops of any {@code JobLoopGroup} built with the default threads (whatever their name),
 *       the Reactor adapter's loops, a group whose {@code ThreadFactory} makes such threads, and
 *       {@code AsyncSelector} threads;</li>
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
    /** The name core gives the virtual threads of the virtual-thread backend. */
    static final String JOB_THREAD_NAME = "asyncjobs-job";

    /** Called by {@link java.util.ServiceLoader}. */
    public AsyncJobsBlockHoundIntegration() {
    }

    @Override
    public void applyTo(BlockHound.Builder builder) {
        Predicate<Thread> ours = threadPredicate();
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

    /**
     * Job-loop and selector threads by type, and the backend's job threads. BlockHound evaluates it
     * once per thread, the first time that thread calls a method it watches, so it must be cheap
     * and must not itself block (no class loading on the way: the marker is loaded here). Public
     * for the tests; the package is not exported.
     *
     * @return the predicate
     */
    public static Predicate<Thread> threadPredicate() {
        Class<NonBlockingThread> marker = NonBlockingThread.class;
        return t -> marker.isInstance(t) || (t.isVirtual() && t.getName().equals(JOB_THREAD_NAME));
    }
}
