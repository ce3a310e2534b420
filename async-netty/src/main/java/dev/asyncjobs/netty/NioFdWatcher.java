package dev.asyncjobs.netty;

import dev.asyncjobs.core.AsyncHooks;
import dev.asyncjobs.core.AsyncSelector;
import dev.asyncjobs.core.AsyncWaitCtx;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.nio.NioIoOps;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Watches paused jobs' wait fds with the selector of one Netty NIO event loop, through Netty 4.2's
 * I/O handle API ({@link IoEventLoop#register}): a readable fd wakes its job on that loop with no
 * other thread involved.
 *
 * <p>Invariants: one watcher per event loop; everything but {@link Watch#cancel()} runs on the
 * loop's thread (it owns the maps). A channel is registered once per loop ({@link ChannelHandle})
 * however many jobs wait on it, and stays registered across pauses (interest {@code READ} while a
 * watch is armed on it, none otherwise), so an fd a job keeps costs no system call at its next
 * pause; a handle nobody armed for a whole {@value #SWEEP_MILLIS} ms sweep is deregistered. A
 * channel closed under a watch has its key cancelled by the JDK without any event, so while a
 * watch is armed the sweep also looks for closed channels and invalid registrations and wakes
 * their jobs (as the job loops' selector does); an fd that cannot be registered at all (blocking,
 * closed, another selector provider) wakes its job at once. The loop shutting down closes every
 * handle, which wakes the jobs rather than stranding them (and what is armed when the loop has ended
 * is woken then); the job's pause after that goes to the fallback selector. Netty never closes the job's channel
 * through us: {@link ChannelHandle#close()} only wakes.
 */
final class NioFdWatcher {
    static final long SWEEP_MILLIS = 100;

    private final IoEventLoop loop;
    private final IdentityHashMap<SelectableChannel, ChannelHandle> handles = new IdentityHashMap<>();
    private final Set<Watch> armed = Collections.newSetFromMap(new IdentityHashMap<>());
    private @Nullable ScheduledFuture<?> sweep;
    /** Wake-ups of jobs handed to the fallback selector while the loop shut down (see {@link #atEnd}). */
    private final ArrayList<Runnable> endWakeups = new ArrayList<>();
    private long registrations; // tests: handles ever registered

    NioFdWatcher(IoEventLoop loop) {
        this.loop = loop;
        // Netty closes our handles at shutdown only if its loop turns once more while shutting
        // down (not with a zero quiet period and tasks pending): wake what is still armed when the
        // loop has ended, from the thread that completes its termination. The loop thread is gone,
        // so this thread is the watcher's only user from then on.
        loop.terminationFuture().addListener(f -> {
            fireAll();
            for (Runnable r : endWakeups.toArray(new Runnable[0])) {
                try {
                    r.run();
                } catch (Throwable t) {
                    AsyncHooks.onError(t);
                }
            }
            endWakeups.clear();
        });
    }

    IoEventLoop loop() {
        return loop;
    }

    /** Whether {@code loop}'s I/O handler takes our handles (Netty's NIO transport). */
    static boolean supports(IoEventLoop loop) {
        return loop.isCompatible(ChannelHandle.class);
    }

    /** Loop thread, at a pause: arms once on the ctx's current fds. */
    AsyncSelector.Registration watch(AsyncWaitCtx ctx, Runnable onReady) {
        List<SelectableChannel> fds = ctx.getAllFds();
        Watch w = new Watch(this, onReady, fds.size());
        if (fds.isEmpty()) {
            return w; // the job let go of its fds: the ctx callback wakes it
        }
        armed.add(w);
        boolean broken = false;
        for (SelectableChannel ch : fds) {
            ChannelHandle h = handles.get(ch);
            if (h == null || !h.usable()) {
                if (h != null) {
                    drop(h);
                }
                h = register(ch);
                if (h == null) {
                    broken = true;
                    continue;
                }
            }
            h.arm(w);
            w.on.add(h);
        }
        scheduleSweep();
        if (broken) {
            w.fire(); // an fd that can never be readable to us: wake rather than hang
        }
        return w;
    }

    /**
     * Loop thread, while shutting down: {@code onReady} is also run when the loop has ended. A job
     * paused then is watched by the fallback selector; if its fd never turns readable to that
     * selector (on the virtual-thread backend a job whose owner thread ended runs out on its own
     * and may drain it), only this wake-up finishes it. A wake-up for a pause that is over is
     * ignored by the job's runner.
     */
    void atEnd(Runnable onReady) {
        endWakeups.add(onReady);
    }

    /** Wakes every armed watch (the loop has ended): each job is then finished where it is woken. */
    private void fireAll() {
        for (Watch w : armed.toArray(new Watch[0])) {
            w.fire();
        }
    }

    /** Handles registered so far (tests). */
    long registrations() {
        return registrations;
    }

    /** Channels currently registered (tests: what the sweep leaves behind). */
    int registered() {
        return handles.size();
    }

    private @Nullable ChannelHandle register(SelectableChannel ch) {
        ChannelHandle h = new ChannelHandle(this, ch);
        Future<IoRegistration> f = loop.register(h); // on the loop: completes before it returns
        if (!f.isSuccess()) {
            return null; // blocking, closed, another provider: Netty failed the promise
        }
        h.registration = f.getNow();
        handles.put(ch, h);
        registrations++;
        return h;
    }

    private void drop(ChannelHandle h) {
        handles.remove(h.channel);
        IoRegistration r = h.registration;
        if (r != null) {
            r.cancel();
        }
    }

    private void scheduleSweep() {
        if (sweep == null) {
            try {
                sweep = loop.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the loop is shutting down: its handler closes our handles, which wakes the jobs
            }
        }
    }

    /** Loop thread, every {@value #SWEEP_MILLIS} ms while anything is registered. */
    private void sweep() {
        if (!armed.isEmpty()) {
            for (Watch w : armed.toArray(new Watch[0])) {
                for (ChannelHandle h : w.on) {
                    if (!h.usable()) {
                        w.fire(); // closed under the watch: the JDK cancelled its key silently
                        break;
                    }
                }
            }
        }
        for (ChannelHandle h : handles.values().toArray(new ChannelHandle[0])) {
            if (h.waiting.isEmpty() && (!h.usable() || !h.touched)) {
                drop(h);
            }
            h.touched = false;
        }
        if (handles.isEmpty() && armed.isEmpty() && sweep != null) {
            sweep.cancel(false);
            sweep = null;
        }
    }

    /**
     * One registered channel. Netty calls {@link #handle} on the loop when it is readable and
     * {@link #close()} when the loop shuts down or finds the registration invalid.
     */
    static final class ChannelHandle implements NioIoHandle {
        final NioFdWatcher watcher;
        final SelectableChannel channel;
        final ArrayList<Watch> waiting = new ArrayList<>(1);
        @Nullable IoRegistration registration;
        boolean touched;
        private boolean interested;

        ChannelHandle(NioFdWatcher watcher, SelectableChannel channel) {
            this.watcher = watcher;
            this.channel = channel;
        }

        @Override
        public SelectableChannel selectableChannel() {
            return channel;
        }

        boolean usable() {
            IoRegistration r = registration;
            return r != null && r.isValid() && channel.isOpen();
        }

        void arm(Watch w) {
            waiting.add(w);
            touched = true;
            if (!interested) {
                interest(true);
            }
        }

        void disarm(Watch w) {
            waiting.remove(w);
            if (waiting.isEmpty() && interested) {
                interest(false); // level-triggered: a readable fd nobody waits on would spin the loop
            }
        }

        private void interest(boolean read) {
            IoRegistration r = registration;
            interested = read;
            if (r != null && r.isValid()) {
                try {
                    r.submit(read ? NioIoOps.READ : NioIoOps.NONE);
                } catch (RuntimeException e) {
                    // cancelled under us (closed channel): the sweep wakes whoever waits
                }
            }
        }

        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
            if (waiting.isEmpty()) {
                interest(false);
                return;
            }
            for (Watch w : waiting.toArray(new Watch[0])) {
                w.fire();
            }
        }

        /** Never closes the job's channel (it is the engine's): wakes whoever waits on it. */
        @Override
        public void close() {
            watcher.handles.remove(channel, this);
            for (Watch w : waiting.toArray(new Watch[0])) {
                w.fire();
            }
        }
    }

    /** One armed pause: ARMED -> FIRED (loop) or ARMED -> CANCELLED (any thread), exactly once. */
    static final class Watch implements AsyncSelector.Registration {
        private static final VarHandle STATE;
        private static final int ARMED = 0;
        private static final int DONE = 1;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Watch.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final NioFdWatcher watcher;
        private final Runnable onReady;
        final ArrayList<ChannelHandle> on;
        private volatile int state;

        Watch(NioFdWatcher watcher, Runnable onReady, int fds) {
            this.watcher = watcher;
            this.onReady = onReady;
            this.on = new ArrayList<>(fds);
        }

        /** Loop thread. */
        void fire() {
            if (STATE.compareAndSet(this, ARMED, DONE)) {
                detach();
                try {
                    onReady.run();
                } catch (Throwable t) {
                    AsyncHooks.onError(t); // never into Netty's loop
                }
            }
        }

        @Override
        public void cancel() {
            if (STATE.compareAndSet(this, ARMED, DONE)) {
                if (watcher.loop.inEventLoop()) {
                    detach();
                } else {
                    try {
                        watcher.loop.execute(this::detach);
                    } catch (RejectedExecutionException e) {
                        // the loop is gone, and its handles with it
                    }
                }
            }
        }

        private void detach() {
            watcher.armed.remove(this);
            for (ChannelHandle h : on) {
                h.disarm(this);
            }
        }
    }
}
