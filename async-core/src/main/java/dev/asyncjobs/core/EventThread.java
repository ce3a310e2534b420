package dev.asyncjobs.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

/**
 * A thread that owns a {@link Selector} and a task queue: the one event loop under both
 * {@link AsyncSelector} and each {@link JobLoop}. Tasks and fd wake-ups run on this one thread.
 *
 * <p>Wake-ups follow netty's pattern: before blocking in {@code select} the thread sets
 * {@code needsWakeup} and re-checks the queue; a producer offers its task and then wakes the
 * selector only if {@code needsWakeup} was set (and it wins the CAS), so a busy loop takes tasks
 * with no system call and a sleeping one is woken exactly once. Producers that want fewer
 * wake-ups batch their own work into fewer tasks (an offload engine hands a loop one task per
 * batch of completions): this thread knows nothing of them.
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
    final TimerHeap timers;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile int needsWakeup;
    volatile boolean shuttingDown;
    private volatile boolean stopped;
    private volatile @Nullable Throwable stopCause;
    /** Tests only: runs at the start of every turn, to make a turn fail as a broken selector would. */
    volatile @Nullable Runnable turnFault;

    EventThread(String name, boolean daemon) {
        this(body -> new LoopThread(body, name, daemon));
    }

    /**
     * @param threads makes the (unstarted) thread that runs the loop
     * @throws IllegalStateException if it makes no thread, or one already started
     */
    EventThread(ThreadFactory threads) {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector", e);
        }
        watcher = new FdWatcher(selector, this::executeInternal);
        Thread t = threads.newThread(this::loop);
        if (t == null || t.getState() != Thread.State.NEW) {
            try {
                selector.close();
            } catch (IOException e) {
                // nothing to add to the failure below
            }
            throw new IllegalStateException("the ThreadFactory must return a new, unstarted thread; it returned " + t);
        }
        thread = t;
        timers = new TimerHeap(System::nanoTime, new TimerHeap.Host() {
            @Override
            public boolean inLoop() {
                return inThread();
            }

            @Override
            public void post(Runnable task) {
                enqueue(task);
            }

            @Override
            public boolean tryPost(Runnable task) {
                return offer(task);
            }

            @Override
            public void checkOpen() {
                if (stopped) {
                    enqueue(() -> { }); // throws the same RejectedExecutionException as a task would
                }
            }
        });
    }

    final void startThread() {
        thread.start();
    }

    /** Runs the task on this thread, after the tasks already queued (even when called from it). */
    @Override
    public void execute(Runnable task) {
        enqueue(task);
    }

    /** Inline when already on the thread (used for watcher bookkeeping), else queued. */
    private void executeInternal(Runnable task) {
        if (Thread.currentThread() == thread) {
            task.run();
        } else {
            offer(task); // refused once stopped: the watcher went with the thread, nothing to do
        }
    }

    /**
     * Queues {@code task} (accepted while the thread drains on shutdown).
     *
     * @throws RejectedExecutionException once the thread has stopped: nobody would run it
     */
    final void enqueue(Runnable task) {
        if (!offer(task)) {
            Throwable cause = stopCause;
            throw new RejectedExecutionException(thread.getName() + " is closed"
                    + (cause == null ? "" : " (it stopped: " + cause + ")"), cause);
        }
    }

    /** Queues {@code task}; false once the thread has stopped (then the task is not queued). */
    private boolean offer(Runnable task) {
        if (stopped) {
            return false;
        }
        tasks.offer(task);
        if (stopped && tasks.remove(task)) {
            // raced with the thread's exit after its last drain: nobody will run it
            return false;
        }
        if (needsWakeup != 0 && Thread.currentThread() != thread) {
            wakeup();
        }
        return true;
    }

    /**
     * Wakes the thread if it sleeps in {@code select} (or is about to), once: a producer that
     * loses the CAS knows another one's wake-up is already on its way.
     */
    private void wakeup() {
        if (needsWakeup != 0 && NEEDS_WAKEUP.compareAndSet(this, 1, 0)) {
            selector.wakeup();
        }
    }

    final boolean hasTasks() {
        return !tasks.isEmpty();
    }

    /** Tasks queued now (walks the queue: for stats, never on the loop's path). */
    final int pendingTasks() {
        return tasks.size();
    }

    /** Whether the caller runs on this thread. */
    final boolean inThread() {
        return Thread.currentThread() == thread;
    }

    /** True once the thread is dead: past its last step, and no longer alive (a thread count can rely on it). */
    final boolean awaitTermination(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        return terminated.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS)
                && thread.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }

    final boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /** Asks the thread to stop; {@link #readyToStop()} decides when. */
    final void shutdown() {
        shuttingDown = true;
        offer(() -> { });
    }

    /** Whether the thread has stopped for good (new tasks are refused). */
    final boolean isStopped() {
        return stopped;
    }

    /** Called once at thread start, on the thread. */
    void onStart() {
    }

    /** Called at every turn while shutting down; true when the thread may exit. */
    abstract boolean readyToStop();

    /**
     * Called once as the thread exits, on the thread, after its queue was drained; {@link
     * #stopCause()} says whether it was asked to.
     */
    void onStop() {
    }

    /** Why the thread stopped before it was asked to (a closed selector), or null. */
    final @Nullable Throwable stopCause() {
        return stopCause;
    }

    /**
     * The loop. As in netty's event loops, each turn is guarded: what a turn throws (a selector
     * error, user code reached outside a task, e.g. through shutdown) goes to {@link AsyncHooks}
     * and the loop goes on, after a short back-off when turns keep failing (no hot spin). Only a
     * closed selector ends it before it is asked to stop: it can never watch an fd again, so the
     * loop stops for good and fails every job it still owns ({@link #onStop}) rather than strand it.
     */
    private void loop() {
        Throwable cause = null;
        try {
            onStart();
            int failures = 0;
            for (;;) {
                try {
                    if (turn()) {
                        break;
                    }
                    failures = 0;
                } catch (ClosedSelectorException e) {
                    cause = e;
                    AsyncHooks.onError(new IllegalStateException(thread.getName()
                            + ": its selector was closed; the loop stops and fails its jobs", e));
                    break;
                } catch (Throwable t) {
                    AsyncHooks.onError(t);
                    backOff(++failures);
                }
            }
        } catch (Throwable t) {
            cause = t; // onStart failed
            AsyncHooks.onError(t);
        } finally {
            stopCause = cause;
            shuttingDown = true; // queued starts are refused from here on
            stopped = true;
            drainAll();
            try {
                onStop();
            } catch (Throwable t) {
                AsyncHooks.onError(t);
            }
            drainAll(); // what failing the jobs queued before it found the thread stopped
            timers.cancelAll(); // pending timers never run: they end cancelled
            try {
                selector.close();
            } catch (Throwable e) {
                AsyncHooks.onError(e);
            }
            terminated.countDown();
        }
    }

    /** One turn: tasks, then select and fire ready fds. True when the thread may exit. */
    private boolean turn() {
        Runnable fault = turnFault;
        if (fault != null) {
            fault.run();
        }
        if (timers.size() > 0) { // no clock read on a loop without timers
            timers.runDue(timers.now());
        }
        runTasks();
        if (shuttingDown && readyToStop()) {
            return true;
        }
        // A stray interrupt would make every select return at once (a 100% CPU spin);
        // the loop has no use for interrupts, so clear it.
        Thread.interrupted();
        try {
            long timeout = selectTimeoutMillis();
            if (timeout < 0 || !tasks.isEmpty() || watcher.hasPending()) {
                selector.selectNow();
            } else {
                needsWakeup = 1;
                if (tasks.isEmpty()) {
                    selector.select(timeout);
                } else {
                    selector.selectNow();
                }
            }
        } catch (IOException e) {
            AsyncHooks.onError(e);
        } finally {
            needsWakeup = 0;
        }
        watcher.processSelected();
        watcher.checkClosed();
        return false;
    }

    /**
     * The {@code select} timeout: the watcher's poll for closed fds or the next timer, whichever
     * is sooner; 0 waits with no limit, -1 means a timer is due (do not wait). A timer's wait is
     * rounded up to whole milliseconds so the loop never wakes early and spins.
     */
    private long selectTimeoutMillis() {
        long watch = watcher.selectTimeoutMillis();
        if (timers.size() == 0) {
            return watch;
        }
        long nanos = timers.nanosToNext(timers.now());
        if (nanos == 0) {
            return -1;
        }
        long timer = Math.max(1L, (nanos + 999_999L) / 1_000_000L);
        return watch == 0 ? timer : Math.min(watch, timer);
    }

    /**
     * After a failed turn: a failure that repeats at once (a broken selector returns at once) would
     * otherwise spin a core; wait 1, 2, 4 ... up to 64 ms. Netty sleeps a whole second here.
     */
    private static void backOff(int failures) {
        if (failures < 2) {
            return; // one failure is no pattern: go on at once
        }
        long millis = 1L << Math.min(failures - 2, 6);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            // cleared: the loop has no use for interrupts (see turn())
        }
    }

    /** Runs every queued task, as many batches as it takes; the thread has stopped. */
    private void drainAll() {
        do {
            try {
                runTasks();
            } catch (Throwable t) {
                AsyncHooks.onError(t);
            }
        } while (!tasks.isEmpty());
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
