package dev.asyncjobs.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;

/**
 * Installs BlockHound once per JVM (it cannot be uninstalled: the BlockHound tests run in forks of
 * their own) with every integration found by {@code ServiceLoader} (Reactor's, Netty's, Spring's,
 * asyncjobs'), and records each blocking call it reports before failing it as usual.
 */
public final class BlockHoundSupport {
    private static final Queue<String> REPORTED = new ConcurrentLinkedQueue<>();
    private static boolean installed;

    private BlockHoundSupport() {
    }

    /** Installs BlockHound, once. */
    public static synchronized void install() {
        if (installed) {
            return;
        }
        BlockHound.builder()
                .loadIntegrations()
                // Netty 4.2's adaptive allocator takes a StampedLock when it grows its array of
                // magazines under contention; Netty 4.2.15's own integration allows the locks of the
                // older pooled allocator (PoolArena, PoolChunk) but not this one, so a busy server
                // reports it on whichever thread encodes a response: an event loop, or a job loop
                // when a job's result is written. A false positive of Netty's (other projects on
                // Netty 4.2 allow it the same way), not a wait of the service's.
                .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines")
                .blockingMethodCallback(m -> {
                    StringBuilder b = new StringBuilder(Thread.currentThread().toString()).append(": ").append(m);
                    for (StackTraceElement e : new Throwable().getStackTrace()) {
                        b.append("\n\tat ").append(e);
                    }
                    REPORTED.add(b.toString());
                    throw new BlockingOperationError(m);
                })
                .install();
        installed = true;
    }

    /**
     * The blocking calls reported since the last call, with the thread and stack of each.
     *
     * @return the reports
     */
    public static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String s; (s = REPORTED.poll()) != null; ) {
            out.add(s);
        }
        return out;
    }
}
