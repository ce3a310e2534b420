package dev.asyncjobs.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Pipe;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * A wait-ctx script for {@link OpenSslDifferentialTest}: the grammar of
 * {@code src/test/c/wait_ctx_script.c}, a random generator, and the Java interpreter that prints
 * the same normalized trace as the C driver does with OpenSSL.
 *
 * <p>Grammar (whitespace separated): {@code set K}, {@code clear K}, {@code getfd K}, {@code list},
 * {@code dup K}, {@code pause}, {@code newjob}, and the caller's {@code mset K}, {@code mclear K},
 * {@code mgetfd K}, {@code mlist}, {@code mdup K}, with K a key index 0..9. See the C file for what each op does and the trace format.
 */
final class DifferentialScript {

    static final int MAX_KEYS = 10;

    enum Kind {
        SET(true), CLEAR(true), GETFD(true), LIST(false), DUP(true), PAUSE(false), NEWJOB(false),
        MSET(true), MCLEAR(true), MGETFD(true), MLIST(false), MDUP(true);

        final boolean takesKey;

        Kind(boolean takesKey) {
            this.takesKey = takesKey;
        }

        /** Run by the caller before a start when met at the script position. */
        boolean isMain() {
            return ordinal() >= MSET.ordinal();
        }

        /** The ctx call the op makes: MSET -> SET etc. */
        Kind base() {
            return switch (this) {
                case MSET -> SET;
                case MCLEAR -> CLEAR;
                case MGETFD -> GETFD;
                case MLIST -> LIST;
                case MDUP -> DUP;
                default -> this;
            };
        }

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    record Op(Kind kind, int key) {
        @Override
        public String toString() {
            return kind.takesKey ? kind.word() + " " + key : kind.word();
        }
    }

    private DifferentialScript() {
    }

    static List<Op> parse(String script) {
        String[] tokens = script.trim().split("\\s+");
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].isEmpty()) {
                continue;
            }
            Kind kind = Kind.valueOf(tokens[i].toUpperCase(java.util.Locale.ROOT));
            int key = 0;
            if (kind.takesKey) {
                key = Integer.parseInt(tokens[++i]);
                if (key < 0 || key >= MAX_KEYS) {
                    throw new IllegalArgumentException("bad key " + key + " in " + script);
                }
            }
            ops.add(new Op(kind, key));
        }
        return ops;
    }

    static String format(List<Op> ops) {
        return ops.stream().map(Op::toString).collect(Collectors.joining(" "));
    }

    /**
     * A random script over few keys (so that keys are set several times, cleared twice, cleared
     * while unknown), with pauses and, now and then, a new job on the same ctx.
     */
    static List<Op> random(Random rnd) {
        int keys = 1 + rnd.nextInt(3);
        int length = 1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 40 : 16);
        List<Op> ops = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            int roll = rnd.nextInt(100);
            int key = rnd.nextInt(keys);
            Kind kind;
            if (roll < 28) {
                kind = Kind.SET;
            } else if (roll < 50) {
                kind = Kind.CLEAR;
            } else if (roll < 63) {
                kind = Kind.GETFD;
            } else if (roll < 68) {
                kind = Kind.DUP;
            } else if (roll < 75) {
                kind = Kind.LIST;
            } else if (roll < 88) {
                kind = Kind.PAUSE;
            } else if (roll < 92) {
                kind = Kind.NEWJOB;
            } else {
                kind = switch (rnd.nextInt(5)) {
                    case 0 -> Kind.MSET;
                    case 1 -> Kind.MCLEAR;
                    case 2 -> Kind.MGETFD;
                    case 3 -> Kind.MDUP;
                    default -> Kind.MLIST;
                };
            }
            ops.add(new Op(kind, kind.takesKey ? key : 0));
        }
        return ops;
    }

    @FunctionalInterface
    private interface CtxOps {
        void exec(AsyncWaitCtx ctx, Op op, String prefix);
    }

    /** What a {@code set} hands the ctx as custom data; the cleanup closes both ends. */
    private record PipeRec(String label, int key, Pipe pipe, int[] cleanups) {
    }

    /** Runs the script with the Java port and returns its trace (same format as the C driver). */
    static String runJava(List<Op> ops) {
        StringBuilder out = new StringBuilder();
        out.append("script");
        for (Op op : ops) {
            out.append(' ').append(op);
        }
        out.append('\n');
        Object[] keys = new Object[MAX_KEYS];
        for (int i = 0; i < MAX_KEYS; i++) {
            keys[i] = new Object();
        }
        Map<SelectableChannel, PipeRec> bySource = new IdentityHashMap<>();
        List<PipeRec> pipes = new ArrayList<>();
        int[] setCount = new int[MAX_KEYS];
        List<String> cleaned = new ArrayList<>();
        int[] pc = {0};
        boolean[] wantNewJob = {false};
        AsyncWaitCtx ctx = new AsyncWaitCtx();
        try {
            WaitFdCleanup cleanup = (c, key, fd, custom) -> {
                PipeRec rec = (PipeRec) custom;
                String label = rec == null ? "null" : rec.label();
                if (rec != null && key != keys[rec.key()]) {
                    label += "!key";
                }
                if (rec != null && fd != rec.pipe().source()) {
                    label += "!fd";
                }
                if (c != ctx) {
                    label += "!ctx";
                }
                cleaned.add(label);
                if (rec != null) {
                    rec.cleanups()[0]++;
                    closeQuietly(rec.pipe());
                }
            };
            CtxOps ctxOps = (c, op, prefix) -> {
                Object key = keys[op.key()];
                Kind base = op.kind().base();
                if (base == Kind.DUP && pipes.isEmpty()) {
                    base = Kind.SET; // no pipe yet: a plain set, as in the C driver
                }
                switch (base) {
                    case DUP -> {
                        PipeRec rec = pipes.get(pipes.size() - 1);
                        boolean rc = c.setWaitFd(key, rec.pipe().source(), null, null);
                        out.append(prefix).append("dup ").append(op.key()).append(" -> ").append(rc ? 1 : 0)
                                .append(' ').append(rec.label()).append('\n');
                    }
                    case SET -> {
                        Pipe pipe;
                        try {
                            pipe = Pipe.open();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        PipeRec rec = new PipeRec(op.key() + "." + ++setCount[op.key()], op.key(), pipe, new int[1]);
                        pipes.add(rec);
                        bySource.put(pipe.source(), rec);
                        boolean rc = c.setWaitFd(key, pipe.source(), rec, cleanup);
                        out.append(prefix).append("set ").append(op.key()).append(" -> ").append(rc ? 1 : 0)
                                .append(' ').append(rec.label()).append('\n');
                    }
                    case CLEAR -> out.append(prefix).append("clear ").append(op.key()).append(" -> ")
                            .append(c.clearFd(key) ? 1 : 0).append('\n');
                    case GETFD -> {
                        WaitFd wfd = c.getFd(key);
                        out.append(prefix).append("getfd ").append(op.key()).append(" -> ");
                        if (wfd == null) {
                            out.append("none");
                        } else {
                            out.append(label(bySource, wfd.fd())).append(wfd.key() == key ? "" : "!key")
                                    .append(" custom=").append(wfd.customData() instanceof PipeRec r
                                            ? r.label() : String.valueOf(wfd.customData()));
                        }
                        out.append('\n');
                    }
                    case LIST -> {
                        out.append(prefix).append("list");
                        appendState(out, c, bySource);
                        out.append('\n');
                    }
                    default -> throw new IllegalStateException("not a ctx op: " + op);
                }
            };
            JobFunction<Integer> func = () -> {
                AsyncJob job = AsyncJob.current();
                if (job == null) {
                    out.append("no current job\n");
                    return -1;
                }
                AsyncWaitCtx c = job.waitCtx();
                int executed = 0;
                while (pc[0] < ops.size()) {
                    Op op = ops.get(pc[0]++);
                    executed++;
                    switch (op.kind()) {
                        case PAUSE -> {
                            out.append("pause\n");
                            boolean resumed = AsyncJob.pause();
                            out.append("resumed ").append(resumed ? 1 : 0).append('\n');
                        }
                        case NEWJOB -> {
                            out.append("newjob\n");
                            wantNewJob[0] = true;
                            return executed;
                        }
                        default -> ctxOps.exec(c, op, "");
                    }
                }
                return executed;
            };

            JobHandle<Integer> handle = new JobHandle<>();
            int starts = 0;
            for (;;) {
                if (++starts > ops.size() + 2) {
                    out.append("too many starts\n");
                    break;
                }
                while (pc[0] < ops.size() && ops.get(pc[0]).kind().isMain()) {
                    ctxOps.exec(ctx, ops.get(pc[0]++), "main ");
                }
                wantNewJob[0] = false;
                StartStatus status = AsyncJob.start(handle, ctx, func);
                out.append("start -> ").append(status);
                if (status == StartStatus.FINISH) {
                    if (handle.failure() != null) {
                        out.append(" failure=").append(handle.failure());
                    } else {
                        out.append(" ret=").append(handle.result());
                    }
                }
                appendState(out, ctx, bySource);
                out.append('\n');
                if (status == StartStatus.PAUSE) {
                    continue;
                }
                if (status == StartStatus.FINISH && wantNewJob[0]) {
                    handle = new JobHandle<>();
                    continue;
                }
                break;
            }
        } catch (RuntimeException | Error e) {
            out.append("exception ").append(e).append('\n');
        } finally {
            ctx.close();
            out.append("free cleanups=[").append(String.join(",", cleaned)).append("]\n");
            for (PipeRec rec : pipes) {
                closeQuietly(rec.pipe());
            }
            out.append("end\n");
        }
        return out.toString();
    }

    private static void appendState(StringBuilder out, AsyncWaitCtx ctx, Map<SelectableChannel, PipeRec> bySource) {
        ChangedFds changed = ctx.getChangedFds();
        out.append(' ').append(labels("all", ctx.getAllFds(), bySource))
                .append(' ').append(labels("added", changed.added(), bySource))
                .append(' ').append(labels("deleted", changed.deleted(), bySource));
    }

    private static String labels(String name, List<SelectableChannel> fds, Map<SelectableChannel, PipeRec> bySource) {
        List<String> labels = new ArrayList<>();
        for (SelectableChannel fd : fds) {
            labels.add(label(bySource, fd));
        }
        return name + "=[" + String.join(",", labels) + "]";
    }

    private static String label(Map<SelectableChannel, PipeRec> bySource, SelectableChannel fd) {
        PipeRec rec = bySource.get(fd);
        return rec != null ? rec.label() : "?fd" + fd;
    }

    private static void closeQuietly(Pipe pipe) {
        try {
            pipe.source().close();
        } catch (IOException ignored) {
            // closing a pipe end cannot usefully fail here
        }
        try {
            pipe.sink().close();
        } catch (IOException ignored) {
            // as above
        }
    }
}
