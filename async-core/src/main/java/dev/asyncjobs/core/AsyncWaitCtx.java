package dev.asyncjobs.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A job's wait context ({@code ASYNC_WAIT_CTX}): the file descriptors that will wake the paused
 * job, an optional wake-up callback, and the engine's status. Behaves as OpenSSL 3's
 * {@code async_wait.c}:
 * <ul>
 *   <li>keys compare by identity; a key may be set twice, and {@link #getFd} finds the newest live
 *       entry; lists come newest first;</li>
 *   <li>{@link #clearFd} of an entry set in the current run removes it at once, an older one is
 *       marked deleted until the job is next resumed; it never runs the cleanup;</li>
 *   <li>{@link #getChangedFds} lists what was added and deleted since the job was last resumed;</li>
 *   <li>{@link #close()} runs the cleanup of every entry not cleared, exactly once; it is
 *       idempotent, and a cleanup that throws does not stop the others.</li>
 * </ul>
 *
 * <p>Threads: like the job, the fd list belongs to the job and the thread that runs it: only that
 * thread may call {@link #setWaitFd}, {@link #clearFd} and the getters. The callback, the status and
 * {@link #close()} are safe from any thread, and {@code close()} may race with the owner's edits:
 * every entry added and not cleared before the close has its cleanup run exactly once, by the
 * close; an edit that comes after it throws {@link IllegalStateException} and changes nothing (a
 * refused {@code setWaitFd} leaves its fd and custom data with the caller, who releases them). A
 * getter racing with a close from another thread may still answer from the fds as they were just
 * before. Using a closed ctx throws {@link IllegalStateException} (OpenSSL would use freed memory).
 *
 * <p>A wait fd must be selectable for reading: its {@link SelectableChannel#validOps()} must
 * include {@link SelectionKey#OP_READ}. A pipe's sink or a {@code ServerSocketChannel} (whose only
 * op is {@code OP_ACCEPT}) is refused by {@link #setWaitFd}; a job waiting for a connection runs
 * its own accept loop, or hands the job a {@link WakeupFd} that the acceptor signals.
 */
public final class AsyncWaitCtx implements AutoCloseable {
    /** One fd entry ({@code struct fd_lookup_st}). */
    private static final class Entry {
        final Object key;
        final SelectableChannel fd;
        final @Nullable Object customData;
        final @Nullable WaitFdCleanup cleanup;
        boolean add = true;
        boolean del;

        Entry(Object key, SelectableChannel fd, @Nullable Object customData, @Nullable WaitFdCleanup cleanup) {
            this.key = key;
            this.fd = fd;
            this.customData = customData;
            this.cleanup = cleanup;
        }
    }

    private record Callback(WaitCallback fn, @Nullable Object arg) {
    }

    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(AsyncWaitCtx.class, "closed", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /*
     * Locking: the fd list is edited only by the owner, and close() may come from any thread. The
     * edits (setWaitFd, clearFd, resetCounts) and close's taking of the list hold this ctx's
     * monitor; closed is set before close takes it, and every edit checks closed under it, so an
     * edit lands either before the close (the close sees it) or after (it throws and changes
     * nothing). The monitor is uncontended unless a close races an edit, so it costs the owner one
     * CAS per edit; the getters and the per-resume check (hasChanges, getChangedFds with nothing
     * changed) take no lock: they only read what the owner itself wrote, and close never mutates
     * the list, it only takes it away. Cleanups run outside the monitor (user code).
     */

    /** Oldest first; OpenSSL prepends, so every walk below goes from the end. */
    private @Nullable ArrayList<Entry> entries;
    private int numAdd;
    private int numDel;
    /**
     * How many times the job was resumed, i.e. how many times the changed-fds window was reset:
     * whoever keeps its own view of the fds can tell from it whether {@link #getChangedFds()} is
     * the delta since that view or whether it missed a window.
     */
    int resumes;
    /** Run once by {@link #close()} (whoever watches this ctx drops its view); set under the monitor. */
    private @Nullable Consumer<AsyncWaitCtx> closeHook;

    private volatile @Nullable Callback callback;
    private volatile WaitStatus status = WaitStatus.UNSUPPORTED;
    private volatile int closed;

    /** Makes an empty ctx ({@code ASYNC_WAIT_CTX_new}). */
    public AsyncWaitCtx() {
    }

    /**
     * {@code ASYNC_WAIT_CTX_set_wait_fd}: adds a wait fd under {@code key}.
     *
     * @param key the key, compared by identity
     * @param fd a channel that becomes readable when the job can be resumed; its
     *        {@link SelectableChannel#validOps()} must include {@link SelectionKey#OP_READ}
     * @param customData anything the engine wants back in {@link #getFd} and the cleanup
     * @param cleanup run by {@link #close()} if the entry was not cleared
     * @return {@code true}
     * @throws IllegalArgumentException if {@code fd} cannot be selected for reading (a pipe's sink,
     *         a {@code ServerSocketChannel}); the ctx is unchanged
     * @throws IllegalStateException if the ctx is closed, even by another thread a moment before;
     *         the ctx is unchanged and the cleanup will not run
     */
    public boolean setWaitFd(Object key, SelectableChannel fd, @Nullable Object customData,
            @Nullable WaitFdCleanup cleanup) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fd, "fd");
        if ((fd.validOps() & SelectionKey.OP_READ) == 0) {
            // refused here, where the engine's mistake is made: registered later it would throw
            // on the selector's thread, far from any caller
            throw new IllegalArgumentException("a wait fd must be selectable for reading (validOps has OP_READ): "
                    + fd.getClass().getName());
        }
        Entry e = new Entry(key, fd, customData, cleanup);
        synchronized (this) {
            checkOpen();
            ArrayList<Entry> list = entries;
            if (list == null) {
                list = entries = new ArrayList<>(2);
            }
            list.add(e);
            numAdd++;
        }
        return true;
    }

    /**
     * {@code ASYNC_WAIT_CTX_get_fd}: the newest live entry under {@code key}.
     *
     * @param key the key
     * @return the entry, or {@code null} if none is live
     */
    public @Nullable WaitFd getFd(Object key) {
        Objects.requireNonNull(key, "key");
        checkOpen();
        ArrayList<Entry> list = entries;
        if (list != null) {
            for (int i = list.size() - 1; i >= 0; i--) {
                Entry e = list.get(i);
                if (!e.del && e.key == key) {
                    return new WaitFd(e.key, e.fd, e.customData);
                }
            }
        }
        return null;
    }

    /**
     * {@code ASYNC_WAIT_CTX_get_all_fds}: every live wait fd, newest first.
     *
     * @return an unmodifiable list
     */
    public List<SelectableChannel> getAllFds() {
        checkOpen();
        ArrayList<Entry> list = entries;
        if (list == null || list.isEmpty()) {
            return List.of();
        }
        ArrayList<SelectableChannel> out = new ArrayList<>(list.size());
        for (int i = list.size() - 1; i >= 0; i--) {
            Entry e = list.get(i);
            if (!e.del) {
                out.add(e.fd);
            }
        }
        return List.copyOf(out);
    }

    /**
     * {@code ASYNC_WAIT_CTX_get_changed_fds}: fds added and deleted since the job was last
     * resumed. An fd set and cleared within one run appears in neither list.
     *
     * @return the changes, newest first
     */
    public ChangedFds getChangedFds() {
        checkOpen();
        ArrayList<Entry> list = entries;
        if (list == null || (numAdd == 0 && numDel == 0)) {
            return ChangedFds.NONE;
        }
        ArrayList<SelectableChannel> added = new ArrayList<>(numAdd);
        ArrayList<SelectableChannel> deleted = new ArrayList<>(numDel);
        for (int i = list.size() - 1; i >= 0; i--) {
            Entry e = list.get(i);
            if (e.del && !e.add) {
                deleted.add(e.fd);
            }
            if (e.add && !e.del) {
                added.add(e.fd);
            }
        }
        return new ChangedFds(added, deleted);
    }

    /**
     * {@code ASYNC_WAIT_CTX_clear_fd}: removes the newest live entry under {@code key}. It never
     * runs the cleanup: the caller releases the fd itself.
     *
     * @param key the key
     * @return {@code false} if no live entry has that key
     * @throws IllegalStateException if the ctx is closed (its cleanups have run or are running)
     */
    public boolean clearFd(Object key) {
        Objects.requireNonNull(key, "key");
        synchronized (this) {
            return clearLocked(key);
        }
    }

    private boolean clearLocked(Object key) {
        checkOpen();
        ArrayList<Entry> list = entries;
        if (list != null) {
            for (int i = list.size() - 1; i >= 0; i--) {
                Entry e = list.get(i);
                if (e.del || e.key != key) {
                    continue;
                }
                if (e.add) {
                    list.remove(i); // added in this run: nobody has seen it yet
                    numAdd--;
                } else {
                    e.del = true;
                    numDel++;
                }
                return true;
            }
        }
        return false;
    }

    /**
     * {@code ASYNC_WAIT_CTX_set_callback}: the engine calls {@code callback.onWake(arg)} instead of
     * making a wait fd readable. Safe from any thread.
     *
     * @param callback the callback
     * @param arg its argument
     * @return {@code true}
     * @throws IllegalStateException if the ctx is closed
     */
    public boolean setCallback(WaitCallback callback, @Nullable Object arg) {
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        this.callback = new Callback(callback, arg);
        return true;
    }

    /**
     * {@code ASYNC_WAIT_CTX_get_callback}.
     *
     * @return the callback, or {@code null} if none is set
     */
    public @Nullable WaitCallback getCallback() {
        Callback c = callback;
        return c == null ? null : c.fn();
    }

    /**
     * The argument set with the callback.
     *
     * @return the argument, or {@code null}
     */
    public @Nullable Object getCallbackArg() {
        Callback c = callback;
        return c == null ? null : c.arg();
    }

    /**
     * {@code ASYNC_WAIT_CTX_set_status}: the engine's word on whether it will call the callback.
     *
     * @param s the status
     */
    public void setStatus(WaitStatus s) {
        status = Objects.requireNonNull(s, "s");
    }

    /**
     * {@code ASYNC_WAIT_CTX_get_status}.
     *
     * @return the status; {@link WaitStatus#UNSUPPORTED} until an engine sets one
     */
    public WaitStatus getStatus() {
        return status;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
        return closed != 0;
    }

    /**
     * {@code ASYNC_WAIT_CTX_free}: runs the cleanup of every entry not cleared, newest first,
     * exactly once. Idempotent and safe from any thread, also while the owner is adding or clearing
     * fds: what it added before the close is cleaned up here, what it tries after is refused with
     * {@link IllegalStateException}. The cleanups run on the calling thread. If cleanups throw, all
     * of them still run and the first exception is rethrown with the others suppressed.
     */
    @Override
    public void close() {
        if (!CLOSED.compareAndSet(this, 0, 1)) {
            return;
        }
        Consumer<AsyncWaitCtx> hook;
        ArrayList<Entry> list;
        synchronized (this) {
            // closed is already set: no edit can start after this, and none is half done
            hook = closeHook;
            closeHook = null;
            list = entries;
            entries = null;
        }
        if (hook != null) {
            try {
                hook.accept(this);
            } catch (Throwable t) {
                AsyncHooks.onError(t); // the cleanups below must run whatever a watcher does
            }
        }
        if (list == null) {
            return;
        }
        Throwable first = null;
        for (int i = list.size() - 1; i >= 0; i--) {
            Entry e = list.get(i);
            if (e.del || e.cleanup == null) {
                continue;
            }
            try {
                e.cleanup.cleanup(this, e.key, e.fd, e.customData);
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else {
                    first.addSuppressed(t);
                }
            }
        }
        if (first instanceof Error err) {
            throw err;
        }
        if (first instanceof RuntimeException re) {
            throw re;
        }
        if (first != null) {
            // a cleanup threw a checked exception through a sneaky throw
            throw new java.lang.reflect.UndeclaredThrowableException(first, "a wait-fd cleanup threw");
        }
    }

    // ---------------------------------------------------------------- package-private

    /** {@code async_wait_ctx_reset_counts}: the paused job was resumed. */
    void resetCounts() {
        resumes++;
        if (numAdd == 0 && numDel == 0) {
            return;
        }
        synchronized (this) {
            numAdd = 0;
            numDel = 0;
            ArrayList<Entry> list = entries;
            if (list != null) {
                list.removeIf(e -> e.del);
                for (Entry e : list) {
                    e.add = false;
                }
            }
        }
    }

    /**
     * Sets what {@link #close()} runs once, first, before the cleanups (owner's thread): one hook
     * per ctx, so whoever keeps a view of its fds (a selector) hears of the close. Replaces the
     * hook set before, which the caller fetched with {@link #closeHook()} and releases itself.
     *
     * @return false if the ctx is closed: then the hook will never run
     */
    boolean setCloseHook(Consumer<AsyncWaitCtx> hook) {
        synchronized (this) {
            if (closed != 0) {
                return false;
            }
            closeHook = hook;
            return true;
        }
    }

    /** The hook {@link #close()} will run, or null (owner's thread). */
    @Nullable Consumer<AsyncWaitCtx> closeHook() {
        return closeHook;
    }

    /** Whether something was added or deleted since the last resume. */
    boolean hasChanges() {
        return numAdd != 0 || numDel != 0;
    }

    /** Live fds without the copy, oldest first (for the watcher's full resync). */
    List<SelectableChannel> liveFds() {
        ArrayList<Entry> list = entries;
        if (list == null || list.isEmpty()) {
            return List.of();
        }
        ArrayList<SelectableChannel> out = new ArrayList<>(list.size());
        for (Entry e : list) {
            if (!e.del) {
                out.add(e.fd);
            }
        }
        return out;
    }

    private void checkOpen() {
        if (closed != 0) {
            throw new IllegalStateException("this AsyncWaitCtx is closed");
        }
    }
}
