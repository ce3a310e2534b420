package dev.asyncjobs.core;

import org.jspecify.annotations.Nullable;

/**
 * What OpenSSL keeps per thread: the running job and the pool. On the virtual-thread backend a
 * job's own virtual thread has a state whose {@code current} is that job for good.
 */
final class ThreadState {
    static final ThreadLocal<ThreadState> STATE = ThreadLocal.withInitial(ThreadState::new);

    @Nullable AsyncJob current;
    @Nullable JobPool pool;

    static ThreadState get() {
        return STATE.get();
    }
}
