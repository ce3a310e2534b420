package dev.asyncjobs.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Linux thread facts a Java program cannot get from {@link Thread}: the native thread id (TID),
 * whether a thread is asleep in the kernel, and CPU pinning (through {@code taskset}).
 *
 * <p>{@code Thread#threadId()} is the JVM's own counter, not the TID. The calling thread's TID is the
 * last component of the {@code /proc/thread-self} link ({@code PID/task/TID}); another thread's TID
 * is found by having that thread read its own link (e.g. a task run on a job loop).
 */
final class Threads {
    private Threads() {
    }

    /**
     * The calling thread's native thread id.
     *
     * @return the TID
     */
    static int selfTid() {
        try {
            Path link = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            return Integer.parseInt(link.getFileName().toString());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read /proc/thread-self (Linux 3.17+ needed)", e);
        }
    }

    /** Reads a thread's scheduler state from {@code /proc/self/task/TID/stat} with one pread each. */
    static final class StateProbe implements AutoCloseable {
        private final FileChannel stat;
        private final ByteBuffer buf = ByteBuffer.allocate(512);

        StateProbe(int tid) throws IOException {
            stat = FileChannel.open(Path.of("/proc/self/task/" + tid + "/stat"), StandardOpenOption.READ);
        }

        /**
         * The state letter ({@code R}, {@code S}, {@code D}, ...), the field after the command name.
         *
         * @return the state, or {@code '?'} if the line could not be read
         */
        char state() throws IOException {
            buf.clear();
            int n = stat.read(buf, 0);
            for (int i = n - 1; i >= 2; i--) {
                if (buf.get(i - 2) == ')' && buf.get(i - 1) == ' ') {
                    return (char) buf.get(i);
                }
            }
            return '?';
        }

        /**
         * Whether the thread sleeps in the kernel (state {@code S}), e.g. in {@code epoll_wait}.
         *
         * @return {@code true} when asleep
         */
        boolean sleeping() throws IOException {
            return state() == 'S';
        }

        @Override
        public void close() throws IOException {
            stat.close();
        }
    }

    /**
     * The CPUs this process may run on ({@code Cpus_allowed_list} of {@code /proc/self/status}).
     *
     * @return the CPU numbers, in order
     */
    static List<Integer> allowedCpus() {
        List<Integer> cpus = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    for (String part : line.substring(line.indexOf(':') + 1).strip().split(",")) {
                        String[] r = part.strip().split("-");
                        int lo = Integer.parseInt(r[0]);
                        int hi = r.length > 1 ? Integer.parseInt(r[1]) : lo;
                        for (int c = lo; c <= hi; c++) {
                            cpus.add(c);
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // leave the list empty: no pinning
        }
        return cpus;
    }

    /**
     * Pins a thread to one CPU with {@code taskset -p -c CPU TID}.
     *
     * @return {@code true} if taskset succeeded
     */
    static boolean pin(int tid, int cpu) {
        try {
            Process p = new ProcessBuilder("taskset", "-p", "-c", Integer.toString(cpu), Integer.toString(tid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
