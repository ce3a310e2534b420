package dev.asyncjobs.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A thread that owns a {@link Selector} and a task queue: the one event loop under both
 * {@link AsyncSelector} and each {@link JobLoop}. Tasks and fd wake-ups run on this one thread.
 *
 * <p>Wake-ups follow netty's pattern: before blocking in {@code select} the thread sets
 * {@code needsWakeup} and re-checks the queue; a producer offers its task and then wakes the
 * selector only if {@code needsWakeup} was set (and it wins the CAS), so a busy loop takes tasks
 * with no system call and a sleeping one is woken exactly once. A device thread of a saturated
 * {@link OffloadEngine} may hold that wake-up back for a moment and send one for many tasks
 * ({@link DeferredWakeups}); the task itself is queued at once, so an awake thread runs it anyway.
 */
abstract class EventThread implements Executor {
    private static final VarHandle NEEDS_WAKEUP;
    private static final int TASK_BATCH = 1024;

    static {
        try {
            NEEDS_WAKEUP = MethodHandles.lookup().findVarHandle(EventThread.class, "needsWakeup", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Selector selector;
    final FdWatcher watcher;
    final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile int needsWakeup;
    volatile boolean shuttingDown;
    private volatile boolean stopped;

    EventThread(String name, boolean daemon) {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector", e);
        }
        watcher = new FdWatcher(selector, this::executeInternal);
        thread = new Thread(this::loop, name);
        thread.setDaemon(daemon);
    }

    final void startThread() {
        thread.start();
    }

    /** Runs the task on this thread, after the tasks already queued (even when called from it). */
    @Override
    public void execute(Runnable task) {
        if (stopped) {
            throw new RejectedExecutionException(thread.getName() + " is closed");
        }
        enqueue(task);
        if (stopped && tasks.remove(task)) {
            // raced with the thread's exit after its last runTasks(): nobody will run it
            throw new RejectedExecutionException(thread.getName() + " is closed");
        }
    }

    /** Inline when already on the thread (used for watcher bookkeeping), else queued. */
    private void executeInternal(Runnable task) {
        if (Thread.currentThread() == thread) {
            task.run();
        } else {
            enqueue(task);
        }
    }

    final void enqueue(Runnable task) {
        tasks.offer(task);
        if (needsWakeup != 0) {
            Thread t = Thread.currentThread();
            if (t != thread && !(t instanceof DeferredWakeups.Holder h && h.deferredWakeups().defer(this))) {
                wakeup();
            }
        }
    }

    /**
     * Wakes the thread if it sleeps in {@code select} (or is about to), once: a producer that
     * loses the CAS knows another one's wake-up is already on its way.
     */
    final void wakeup() {
        if (needsWakeup != 0 && NEEDS_WAKEUP.compareAndSet(this, 1, 0)) {
            selector.wakeup();
        }
    }

    final boolean hasTasks() {
        return !tasks.isEmpty();
    }

    /** Whether the caller runs on this thread. */
    final boolean inThread() {
        return Thread.currentThread() == thread;
    }

    final boolean awaitTermination(long millis) throws InterruptedException {
        return terminated.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    final boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /** Asks the thread to stop; {@link #readyToStop()} decides when. */
    final void shutdown() {
        shuttingDown = true;
        enqueue(() -> { });
    }

    /** Called once at thread start, on the thread. */
    void onStart() {
    }

    /** Called at every turn while shutting down; true when the thread may exit. */
    abstract boolean readyToStop();

    /** Called once as the thread exits, on the thread. */
    void onStop() {
    }

    private void loop() {
        try {
            onStart();
            for (;;) {
                runTasks();
                if (shuttingDown && readyToStop()) {
                    break;
                }
                // A stray interrupt would make every select return at once (a 100% CPU spin);
                // the loop has no use for interrupts, so clear it.
                Thread.interrupted();
                try {
                    if (!tasks.isEmpty() || watcher.hasPending()) {
                        selector.selectNow();
                    } else {
                        needsWakeup = 1;
                        if (tasks.isEmpty()) {
                            selector.select(watcher.selectTimeoutMillis());
                        } else {
                            selector.selectNow();
                        }
                        needsWakeup = 0;
                    }
                } catch (IOException e) {
                    AsyncHooks.onError(e);
                }
                watcher.processSelected();
                watcher.checkClosed();
            }
        } catch (Throwable t) {
            AsyncHooks.onError(t);
        } finally {
            stopped = true;
            try {
                runTasks();
                onStop();
            } catch (Throwable t) {
                AsyncHooks.onError(t);
            }
            try {
                selector.close();
            } catch (IOException e) {
                AsyncHooks.onError(e);
            }
            terminated.countDown();
        }
    }

    private void runTasks() {
        for (int i = 0; i < TASK_BATCH; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                return;
            }
            try {
                task.run();
            } catch (Throwable t) {
                AsyncHooks.onError(t); // user code never kills the loop
            }
        }
    }
}
