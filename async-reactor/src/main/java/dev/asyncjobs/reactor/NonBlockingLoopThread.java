package dev.asyncjobs.reactor;

import dev.asyncjobs.core.NonBlockingThread;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.scheduler.NonBlocking;

/**
 * A job-loop thread that Reactor knows as non-blocking: {@code block()} called on it fails fast
 * with Reactor's {@code IllegalStateException} instead of deadlocking the loop (the value it waits
 * for could only come from that very loop), and core's BlockHound integration finds it by its
 * {@link NonBlockingThread} type.
 */
final class NonBlockingLoopThread extends Thread implements NonBlocking, NonBlockingThread {
    NonBlockingLoopThread(Runnable body, String name) {
        super(body, name);
        setDaemon(true);
    }

    /** Makes daemon threads named {@code prefix-N}. */
    static ThreadFactory factory(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return body -> new NonBlockingLoopThread(body, prefix + "-" + n.getAndIncrement());
    }
}
