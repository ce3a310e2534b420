package dev.asyncjobs.core;

import org.jspecify.annotations.Nullable;

/**
 * An engine's wait fd on one ctx (dasync's pipe, QAT's eventfd): a {@link WakeupFd} kept under the
 * engine's key for the life of the ctx, reused by every call, closed by the ctx's cleanup.
 *
 * <p>The holder exists for one failure: a device thread interrupted while it writes the pipe gets
 * a {@code ClosedByInterruptException}, which closes the write end for good. The read end then
 * reports EOF, so the job still wakes (no completion is lost), but every later pause would wake at
 * once. The device records the broken fd here and the job, on its thread, swaps in a fresh one
 * (the ctx is the job's to change). {@code fd} is volatile and the job re-reads its call's state
 * after a swap, so a completion either is seen by the job or signals the new fd (Dekker).
 */
final class EngineFd {
    /** The ctx cleanup: closes whatever fd is current. */
    static final WaitFdCleanup CLEANUP = (ctx, key, channel, data) -> ((EngineFd) data).close();

    private volatile WakeupFd fd;
    private volatile @Nullable WakeupFd broken;

    private EngineFd(WakeupFd fd) {
        this.fd = fd;
    }

    /** The engine's fd on {@code ctx}, made and registered under {@code key} on first use. */
    static EngineFd acquire(AsyncWaitCtx ctx, Object key) {
        WaitFd w = ctx.getFd(key);
        if (w != null && w.customData() instanceof EngineFd e) {
            e.repair(ctx, key);
            return e;
        }
        EngineFd e = new EngineFd(WakeupFd.open());
        ctx.setWaitFd(key, e.fd.channel(), e, CLEANUP);
        return e;
    }

    /** Device side (any thread): makes the fd readable. Never throws. */
    void signal() {
        WakeupFd f = fd;
        try {
            f.signal();
        } catch (Throwable t) {
            broken = f; // the read end is at EOF now: the job wakes anyway and swaps the fd
        }
    }

    /** Job side, after a resume: consumes the signal and replaces a broken fd. */
    void afterResume(AsyncWaitCtx ctx, Object key) {
        fd.drain();
        repair(ctx, key);
    }

    /** Job side: drops a stale signal (a late completion of the previous call). */
    void drain() {
        fd.drain();
    }

    private void repair(AsyncWaitCtx ctx, Object key) {
        WakeupFd f = fd;
        if (broken != f) {
            return;
        }
        WakeupFd fresh = WakeupFd.open();
        ctx.clearFd(key); // never runs the cleanup: the old fd is closed below
        ctx.setWaitFd(key, fresh.channel(), this, CLEANUP);
        fd = fresh;
        f.close();
    }

    /** The current pipe (tests). */
    WakeupFd wakeupFd() {
        return fd;
    }

    void close() {
        fd.close();
    }
}
