package dev.asyncjobs.core.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.jspecify.annotations.Nullable;

/**
 * Fibre on {@code jdk.internal.vm.Continuation}, reached through method handles from this class's
 * own lookup: that works whenever {@code jdk.internal.vm} is exported to this module, and needs
 * no special compiler flags ({@code javac} refuses {@code --add-exports} with {@code --release}).
 * The handles are constants, so the JIT inlines them like direct calls.
 */
final class ContinuationFiber extends Fiber {
    static final @Nullable Throwable UNAVAILABILITY_CAUSE;
    private static final @Nullable Object SCOPE;
    private static final @Nullable MethodHandle NEW;
    private static final @Nullable MethodHandle RUN;
    private static final @Nullable MethodHandle YIELD;
    private static final @Nullable MethodHandle IS_DONE;

    static {
        Throwable cause = null;
        Object scope = null;
        MethodHandle make = null;
        MethodHandle run = null;
        MethodHandle yield = null;
        MethodHandle isDone = null;
        try {
            // Presence is not enough (the class loads without the flag); probe access.
            Class<?> contClass = Class.forName("jdk.internal.vm.Continuation");
            Class<?> scopeClass = Class.forName("jdk.internal.vm.ContinuationScope");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            scope = lookup.findConstructor(scopeClass, MethodType.methodType(void.class, String.class))
                    .invoke("asyncjobs");
            make = lookup.findConstructor(contClass,
                            MethodType.methodType(void.class, scopeClass, Runnable.class))
                    .asType(MethodType.methodType(Object.class, Object.class, Runnable.class));
            run = lookup.findVirtual(contClass, "run", MethodType.methodType(void.class))
                    .asType(MethodType.methodType(void.class, Object.class));
            yield = lookup.findStatic(contClass, "yield", MethodType.methodType(boolean.class, scopeClass))
                    .asType(MethodType.methodType(boolean.class, Object.class));
            isDone = lookup.findVirtual(contClass, "isDone", MethodType.methodType(boolean.class))
                    .asType(MethodType.methodType(boolean.class, Object.class));
            // A real round trip, so a JVM that exposes the class but cannot switch is not chosen.
            boolean[] resumed = new boolean[1];
            Object probeScope = scope;
            MethodHandle probeYield = yield;
            Object probe = make.invoke(scope, (Runnable) () -> {
                try {
                    boolean ignored = (boolean) probeYield.invoke(probeScope);
                    resumed[0] = true;
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
            });
            run.invoke(probe);
            run.invoke(probe);
            if (!resumed[0] || !(boolean) isDone.invoke(probe)) {
                throw new IllegalStateException("continuation probe did not complete a round trip");
            }
        } catch (Throwable t) {
            cause = t;
            scope = null;
            make = run = yield = isDone = null;
        }
        UNAVAILABILITY_CAUSE = cause;
        SCOPE = scope;
        NEW = make;
        RUN = run;
        YIELD = yield;
        IS_DONE = isDone;
    }

    private final Runnable body;
    /** The running or suspended continuation; null between jobs. */
    private @Nullable Object continuation;

    ContinuationFiber(Runnable body) {
        this.body = body;
    }

    @Override
    public void resume() {
        Object c = continuation;
        try {
            if (c == null) {
                // One continuation per job: a fresh one run to its end needs no freeze/thaw, so it
                // costs a fraction of a run+yield of a reused looping one (async-benchmarks/RESULTS.md).
                c = continuation = (Object) NEW.invokeExact(SCOPE, body);
            }
            RUN.invokeExact(c);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public boolean suspend() {
        try {
            return (boolean) YIELD.invokeExact(SCOPE);
        } catch (IllegalStateException pinned) {
            // "Pinned: NATIVE" / "Pinned: CRITICAL_SECTION": the JVM cannot unmount this stack.
            // The job simply goes on; pause() reports false.
            return false;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void finished() {
        continuation = null; // the body returned: the next resume starts a new continuation
    }

    @Override
    public void dispose() {
        continuation = null; // an unreferenced continuation is garbage like any object
    }

    @Override
    public boolean loops() {
        return false;
    }

}
