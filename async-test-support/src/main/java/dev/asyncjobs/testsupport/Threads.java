package dev.asyncjobs.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Live platform threads, to check that a test leaves none behind. Virtual threads are not listed
 * by the JDK ({@link Thread#getAllStackTraces()}), so a module counts its own (the virtual-thread
 * backend does).
 */
public final class Threads {
    private static final Pattern JVM_OWN_NAMES = Pattern.compile("ForkJoinPool-\\d+-worker-\\d+"
            + "|ForkJoinPool\\.commonPool-worker-\\d+|Attach Listener|process reaper|VirtualThread-unparker"
            + "|ForkJoinPool-\\d+-delayScheduler|VirtualThread-unblocker|Common-Cleaner|Notification Thread"
            + "|Signal Dispatcher|Reference Handler|Finalizer|C[12] CompilerThread\\d+|Sweeper thread");

    /**
     * The JVM's own threads, started and stopped on its schedule (virtual threads' carriers, the
     * common pool, the JIT's compiler threads, ...): not a test's leak.
     */
    public static final Predicate<Thread> JVM_OWN = t -> JVM_OWN_NAMES.matcher(t.getName()).matches();

    /** No thread is excused: every thread started since is a leak. */
    public static final Predicate<Thread> NONE = t -> false;

    private Threads() {
    }

    /**
     * The live platform threads now, compared by identity.
     *
     * @return a new set
     */
    public static Set<Thread> live() {
        Set<Thread> live = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive()) {
                live.add(t);
            }
        }
        return live;
    }

    /**
     * Threads alive now that were not in {@code before}, except those {@code excused}.
     *
     * @param before  a set from {@link #live()}
     * @param excused threads not counted ({@link #JVM_OWN}, {@link #NONE})
     * @return the new threads
     */
    public static List<Thread> startedSince(Set<Thread> before, Predicate<? super Thread> excused) {
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(excused, "excused");
        List<Thread> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && !before.contains(t) && !excused.test(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Waits until every thread started since {@code before} (but the excused) has ended: pools and
     * loops stop their threads asynchronously.
     *
     * @param what    what is checked, for the failure message
     * @param before  a set from {@link #live()}
     * @param excused threads not counted ({@link #JVM_OWN}, {@link #NONE})
     * @param timeout how long to wait at most
     * @throws AssertionError naming the threads still alive
     */
    public static void awaitNoneStartedSince(String what, Set<Thread> before, Predicate<? super Thread> excused,
            Duration timeout) {
        Await.until(() -> what + ": no thread left behind; still alive: " + names(startedSince(before, excused)),
                timeout, () -> startedSince(before, excused).isEmpty());
    }

    /**
     * Live threads whose name starts with {@code prefix}.
     *
     * @param prefix the name prefix
     * @return the threads
     */
    public static List<Thread> named(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        List<Thread> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Waits until no live thread's name starts with {@code prefix}.
     *
     * @param prefix  the name prefix
     * @param timeout how long to wait at most
     * @throws AssertionError naming the threads still alive
     */
    public static void awaitNoneNamed(String prefix, Duration timeout) {
        Await.until(() -> "threads named " + prefix + "* to end; still alive: " + names(named(prefix)),
                timeout, () -> named(prefix).isEmpty());
    }

    private static List<String> names(List<Thread> threads) {
        List<String> out = new ArrayList<>();
        for (Thread t : threads) {
            out.add(t.getName() + " (" + t.getState() + ")");
        }
        return out;
    }
}
