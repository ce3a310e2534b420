package dev.asyncjobs.core;

import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Watches the wait fds of many ctxs with one {@link Selector}: the machinery shared by
 * {@link AsyncSelector} (its own thread) and the job loops (each loop its own selector).
 *
 * <p>Invariants: {@link #plan} runs on the ctx owner's thread (it reads the ctx), everything else on
 * the selector's thread (it touches keys). Each ctx keeps its keys registered across pauses
 * ({@link CtxWatch}), and only what {@link AsyncWaitCtx#getChangedFds()} reports is registered or
 * cancelled at the next pause, so an fd kept across pauses costs no system call. Interest in a key
 * is dropped lazily, only when it turns up ready with nobody armed on it. A channel that is closed
 * under a watch has its key cancelled by the JDK without any event, so while anything is armed the
 * select times out every {@value #CLOSED_POLL_MILLIS} ms and a shrunken key set is scanned for
 * invalid keys: a closed fd wakes its job instead of hanging it. An fd that cannot be registered
 * at all (a channel of another selector provider, whatever {@code register} throws) is marked broken
 * the same way, so it too wakes its job; it stays broken until the job clears it.
 *
 * <p>Targets: a ctx is armed for the loop's runner alone, or (through {@link AsyncSelector}) for any
 * number of live watches. They sit in a flat list on the {@link CtxWatch}, cleared when they fire and
 * pruned when a watch is cancelled ({@link #disarm(CtxWatch, Target)}), so what a ctx holds is
 * bounded by its live watches, however many times it was armed.
 */
final class FdWatcher {
    static final long CLOSED_POLL_MILLIS = 100;

    /** Told when an armed ctx has a readable (or closed, or unusable) fd. */
    interface Target {
        void onFdReady(int token);
    }

    /** What changed in a ctx since its last arm, computed on the ctx owner's thread. */
    record Plan(CtxWatch watch, @Nullable List<SelectableChannel> full,
            List<SelectableChannel> added, List<SelectableChannel> deleted) {
    }

    /** A further target armed on a ctx that already has one (two live AsyncSelector watches). */
    private record Armed(Target target, int token) {
    }

    /**
     * One ctx as this watcher sees it: kept here, in the watcher's own map, not in the ctx; the
     * ctx only holds it as its close hook ({@link #accept}), so a close drops it.
     */
    static final class CtxWatch implements Consumer<AsyncWaitCtx> {
        final FdWatcher watcher;
        int syncedAt = -1;              // ctx.resumes at the last plan (owner's thread)
        final ArrayList<SelectionKey> keys = new ArrayList<>(1);  // selector's thread from here on
        @Nullable Target target;        // the first armed target (the only one on a job loop)
        int token;
        @Nullable ArrayList<Armed> more; // further armed targets; null until a second one is armed
        /** Fds that could not be registered or were closed under a watch; null: none. */
        @Nullable ArrayList<SelectableChannel> broken;
        boolean released;

        CtxWatch(FdWatcher watcher) {
            this.watcher = watcher;
        }

        /** The ctx was closed or moved to another watcher: drop its keys (any thread; idempotent). */
        void release(AsyncWaitCtx ctx) {
            watcher.onThread.execute(() -> watcher.forget(this, ctx));
        }

        /** The ctx's close hook. */
        @Override
        public void accept(AsyncWaitCtx ctx) {
            release(ctx);
        }

        boolean isBroken() {
            return broken != null;
        }

        /** How many targets are armed (selector's thread). */
        int targetCount() {
            return (target == null ? 0 : 1) + (more == null ? 0 : more.size());
        }
    }

    final Selector selector;
    private final Executor onThread;
    /**
     * This watcher's view of each ctx it watches. Weak keys: a ctx dropped without close (a
     * caller's mistake) is not kept alive by the selector. Synchronized: {@link #plan} runs on the
     * ctx owners' threads (many, for an {@link AsyncSelector}), {@link #forget} on the selector's.
     */
    private final Map<AsyncWaitCtx, CtxWatch> records = Collections.synchronizedMap(new WeakHashMap<>());
    private final HashSet<CtxWatch> watched = new HashSet<>();
    private final ArrayList<Object[]> pending = new ArrayList<>(); // {CtxWatch, channel} to retry
    private int registeredKeys;
    private int armed;

    /**
     * @param selector the selector, used only on its thread
     * @param onThread runs a task on the selector's thread (inline when already there)
     */
    FdWatcher(Selector selector, Executor onThread) {
        this.selector = selector;
        this.onThread = onThread;
    }

    // ---------------------------------------------------------------- ctx owner's thread

    /** What to (de)register for {@code ctx}; null when nothing changed since the last arm. */
    @Nullable Plan plan(AsyncWaitCtx ctx) {
        CtxWatch cw = recordOf(ctx);
        Plan plan;
        if (cw == null) {
            Consumer<AsyncWaitCtx> before = ctx.closeHook();
            cw = new CtxWatch(this);
            CtxWatch old = records.put(ctx, cw);
            if (old != null) {
                old.release(ctx); // a stale view of ours (the ctx went elsewhere and came back)
            }
            if (before instanceof CtxWatch other && other != old) {
                other.release(ctx); // the ctx moved to this watcher: the other one drops its view
            }
            if (!ctx.setCloseHook(cw)) {
                // closed by another thread meanwhile: arm will find the watch released and wake
                cw.release(ctx);
            }
            plan = new Plan(cw, ctx.liveFds(), List.of(), List.of());
        } else if (ctx.resumes == cw.syncedAt + 1) {
            // the usual case: one resume since the last arm, so the changed fds are the delta
            if (!ctx.hasChanges()) {
                plan = new Plan(cw, null, List.of(), List.of());
            } else {
                ChangedFds ch = ctx.getChangedFds();
                plan = new Plan(cw, null, ch.added(), ch.deleted());
            }
        } else {
            plan = new Plan(cw, ctx.liveFds(), List.of(), List.of());
        }
        cw.syncedAt = ctx.resumes;
        return plan;
    }

    // ---------------------------------------------------------------- selector's thread

    /** Registers the plan's changes and arms the ctx for one wake-up. */
    void arm(Plan plan, Target target, int token) {
        CtxWatch cw = plan.watch();
        if (cw.released) {
            safeFire(target, token); // the ctx was closed meanwhile: wake rather than hang
            return;
        }
        List<SelectableChannel> full = plan.full();
        if (full != null) {
            for (int i = cw.keys.size() - 1; i >= 0; i--) {
                SelectionKey k = cw.keys.get(i);
                if (!full.contains(k.channel())) {
                    removeKey(cw, i);
                }
            }
            ArrayList<SelectableChannel> broken = cw.broken;
            if (broken != null && broken.removeIf(ch -> !full.contains(ch)) && broken.isEmpty()) {
                cw.broken = null;
            }
            for (SelectableChannel ch : full) {
                if (indexOf(cw, ch) < 0) {
                    addKey(cw, ch);
                }
            }
        } else {
            for (SelectableChannel ch : plan.deleted()) {
                int i = indexOf(cw, ch);
                if (i >= 0) {
                    removeKey(cw, i);
                }
                unbreak(cw, ch); // the job let go of a broken fd: it no longer wakes the job
            }
            for (SelectableChannel ch : plan.added()) {
                if (indexOf(cw, ch) < 0) {
                    addKey(cw, ch);
                }
            }
        }
        addTarget(cw, target, token);
        boolean fireNow = cw.isBroken();
        for (int i = 0; i < cw.keys.size(); i++) {
            SelectionKey k = cw.keys.get(i);
            try {
                if (!k.isValid()) {
                    fireNow = true;
                } else if (k.interestOps() == 0) {
                    k.interestOps(SelectionKey.OP_READ);
                }
            } catch (RuntimeException e) {
                fireNow = true; // cancelled meanwhile, or refused: wake the job, never throw into the loop
            }
        }
        if (cw.keys.isEmpty() && !cw.isBroken()) {
            watched.remove(cw);
        } else {
            watched.add(cw);
        }
        if (fireNow) {
            fire(cw);
        }
    }

    /**
     * This watcher's current view of {@code ctx}, or null: none, or no longer current (the ctx
     * moved to another watcher since, which replaced the close hook).
     */
    @Nullable CtxWatch recordOf(AsyncWaitCtx ctx) {
        CtxWatch cw = records.get(ctx);
        return cw != null && ctx.closeHook() == cw ? cw : null;
    }

    /** Disarms every target of the ctx without firing (the job was resumed some other way). */
    void disarm(AsyncWaitCtx ctx) {
        CtxWatch cw = recordOf(ctx);
        if (cw != null && cw.target != null) {
            cw.target = null;
            cw.more = null;
            armed--;
        }
    }

    /** Disarms one target without firing (a cancelled {@link AsyncSelector} watch). */
    void disarm(CtxWatch cw, Target t) {
        if (cw.watcher != this) {
            return;
        }
        ArrayList<Armed> more = cw.more;
        if (cw.target == t) {
            if (more == null || more.isEmpty()) {
                cw.target = null;
                cw.more = null;
                armed--;
            } else {
                Armed next = more.remove(more.size() - 1);
                cw.target = next.target();
                cw.token = next.token();
            }
        } else if (more != null) {
            for (int i = 0; i < more.size(); i++) {
                if (more.get(i).target() == t) {
                    more.remove(i);
                    break;
                }
            }
        }
        if (cw.more != null && cw.more.isEmpty()) {
            cw.more = null;
        }
    }

    /** Fires every armed ctx whose keys turned up in the last select. */
    void processSelected() {
        var selected = selector.selectedKeys();
        if (selected.isEmpty()) {
            return;
        }
        Iterator<SelectionKey> it = selected.iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            Object att = k.attachment();
            boolean any = false;
            if (att instanceof CtxWatch cw) {
                any = fire(cw);
            } else if (att instanceof ArrayList<?> list) {
                for (Object o : list.toArray()) {
                    any |= fire((CtxWatch) o);
                }
            }
            if (!any && k.isValid()) {
                try {
                    k.interestOps(0); // ready but nobody waits: stop level-triggered repeats
                } catch (RuntimeException ignored) {
                    // closed meanwhile
                }
            }
        }
    }

    /** After a select: finds keys the JDK cancelled because their channel was closed. */
    void checkClosed() {
        if (!pending.isEmpty()) {
            retryPending();
        }
        if (selector.keys().size() >= registeredKeys) {
            return;
        }
        for (CtxWatch cw : watched.toArray(new CtxWatch[0])) {
            boolean lost = false;
            for (int i = cw.keys.size() - 1; i >= 0; i--) {
                SelectionKey k = cw.keys.get(i);
                if (!k.isValid()) {
                    detach(cw, cw.keys.remove(i));
                    registeredKeys--;
                    markBroken(cw, k.channel());
                    lost = true;
                }
            }
            if (lost) {
                fire(cw);
            }
        }
        registeredKeys = Math.min(registeredKeys, selector.keys().size());
    }

    /**
     * Select timeout: short enough to notice closed fds while an armed ctx may have one; forever
     * otherwise, e.g. when every paused job waits on a callback only (an engine's jobs): polling
     * then finds nothing and would wake the thread ten times a second for nothing.
     */
    long selectTimeoutMillis() {
        return armed > 0 && registeredKeys > 0 ? CLOSED_POLL_MILLIS : 0;
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Fires everything armed (the selector is closing: wake rather than hang). */
    void fireAll() {
        for (CtxWatch cw : watched.toArray(new CtxWatch[0])) {
            fire(cw);
        }
    }

    void forget(CtxWatch cw, AsyncWaitCtx ctx) {
        records.remove(ctx, cw); // (not if a newer view of ours replaced it)
        if (cw.released) {
            return;
        }
        cw.released = true;
        fire(cw); // the ctx was closed under an armed watch: wake the job rather than strand it
        for (int i = cw.keys.size() - 1; i >= 0; i--) {
            removeKey(cw, i);
        }
        pending.removeIf(p -> p[0] == cw);
        watched.remove(cw);
    }

    // ---------------------------------------------------------------- internals

    /**
     * Fires every target of the ctx, flat and in arming order. The state is cleared first: a target
     * may arm the same ctx again from inside its wake-up (a loop resuming its job inline).
     */
    private boolean fire(CtxWatch cw) {
        Target t = cw.target;
        if (t == null) {
            return false;
        }
        int token = cw.token;
        ArrayList<Armed> more = cw.more;
        cw.target = null;
        cw.more = null;
        armed--;
        safeFire(t, token);
        if (more != null) {
            for (Armed a : more) {
                safeFire(a.target(), a.token());
            }
        }
        return true;
    }

    private void addTarget(CtxWatch cw, Target target, int token) {
        if (cw.target == null) {
            cw.target = target;
            cw.token = token;
            armed++;
        } else if (cw.target == target) {
            cw.token = token; // armed again for a later pause: only the newest token counts
        } else {
            // two live watches on one ctx (AsyncSelector users may do that): each fires once
            ArrayList<Armed> more = cw.more;
            if (more == null) {
                more = cw.more = new ArrayList<>(2);
            }
            for (int i = 0; i < more.size(); i++) {
                if (more.get(i).target() == target) {
                    more.set(i, new Armed(target, token));
                    return;
                }
            }
            more.add(new Armed(target, token));
        }
    }

    private static void markBroken(CtxWatch cw, SelectableChannel ch) {
        ArrayList<SelectableChannel> broken = cw.broken;
        if (broken == null) {
            broken = cw.broken = new ArrayList<>(1);
        }
        if (!broken.contains(ch)) {
            broken.add(ch);
        }
    }

    private static void unbreak(CtxWatch cw, SelectableChannel ch) {
        ArrayList<SelectableChannel> broken = cw.broken;
        if (broken != null && broken.remove(ch) && broken.isEmpty()) {
            cw.broken = null;
        }
    }

    private static void safeFire(Target t, int token) {
        try {
            t.onFdReady(token);
        } catch (Throwable e) {
            AsyncHooks.onError(e); // never kill the selector or the loop
        }
    }

    private static int indexOf(CtxWatch cw, SelectableChannel ch) {
        for (int i = 0; i < cw.keys.size(); i++) {
            if (cw.keys.get(i).channel() == ch) {
                return i;
            }
        }
        return -1;
    }

    private void addKey(CtxWatch cw, SelectableChannel ch) {
        try {
            SelectionKey k = ch.keyFor(selector);
            if (k == null) {
                k = ch.register(selector, SelectionKey.OP_READ, cw);
                registeredKeys++;
            } else if (!k.isValid()) {
                // cancelled here earlier and not yet deregistered: retry after the next select
                pending.add(new Object[] {cw, ch});
                return;
            } else {
                attach(k, cw);
            }
            cw.keys.add(k);
        } catch (ClosedChannelException | RuntimeException e) {
            // closed, blocking, of another provider (IllegalSelectorException), refused for any
            // other reason: the fd cannot wake the job, so it wakes it now instead of stranding it
            markBroken(cw, ch);
        }
    }

    private void retryPending() {
        Object[][] retry = pending.toArray(new Object[0][]);
        pending.clear();
        for (Object[] p : retry) {
            CtxWatch cw = (CtxWatch) p[0];
            if (!cw.released) {
                addKey(cw, (SelectableChannel) p[1]);
                if (cw.target != null && cw.isBroken()) {
                    fire(cw);
                }
            }
        }
    }

    private void removeKey(CtxWatch cw, int index) {
        SelectionKey k = cw.keys.remove(index);
        if (detach(cw, k) && k.isValid()) {
            k.cancel();
            registeredKeys--;
        }
    }

    private static void attach(SelectionKey k, CtxWatch cw) {
        Object att = k.attachment();
        if (att == null) {
            k.attach(cw);
        } else if (att instanceof CtxWatch other) {
            if (other != cw) {
                ArrayList<CtxWatch> list = new ArrayList<>(2);
                list.add(other);
                list.add(cw);
                k.attach(list);
            }
        } else {
            @SuppressWarnings("unchecked")
            ArrayList<CtxWatch> list = (ArrayList<CtxWatch>) att;
            if (!list.contains(cw)) {
                list.add(cw);
            }
        }
    }

    /** Removes cw from the key's watchers; true when nobody is left on it. */
    private static boolean detach(CtxWatch cw, SelectionKey k) {
        Object att = k.attachment();
        if (att == cw) {
            k.attach(null);
            return true;
        }
        if (att instanceof ArrayList<?> list) {
            list.remove(cw);
            if (list.size() == 1) {
                k.attach(list.get(0));
            }
            return list.isEmpty();
        }
        return att == null;
    }
}
