package dev.asyncjobs.core;

/** The default thread of a job loop or a selector: marked {@link NonBlockingThread}. */
final class LoopThread extends Thread implements NonBlockingThread {
    LoopThread(Runnable body, String name, boolean daemon) {
        super(body, name);
        setDaemon(daemon);
    }
}
