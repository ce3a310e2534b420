package dev.asyncjobs.reactor;

import java.util.concurrent.Executor;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Hands what a {@link JobLoopScheduler} task threw to Reactor's own {@code Schedulers.handleError},
 * on the thread that ran the task: the thread's uncaught exception handler (Reactor logs the error
 * when there is none), then the {@link Schedulers#onHandleError} hook if one is set. That is what
 * every Reactor scheduler does with a task that throws ({@code SchedulerTask}, {@code WorkerTask},
 * {@code ExecutorScheduler}).
 *
 * <p>{@code handleError} and its hook are package-private in Reactor. Rather than copy them (and
 * read the hook by reflection), this goes through the one public door to them: a worker of
 * {@link Schedulers#fromExecutor}, whose runnable catches what its task throws and passes it to
 * {@code handleError}. Its executor runs the runnable inline, so the handler and the hook see the
 * loop thread. The executor is also a {@link Scheduler} only because such a worker then does not
 * apply {@code Schedulers.onSchedule} to the rethrowing task: the user's task was decorated once,
 * when it was scheduled, and a hook must not see a second, synthetic task per error.
 */
final class SchedulerErrors {
    private static final Scheduler.Worker HANDLER = Schedulers.fromExecutor(new InlineExecutor()).createWorker();

    private SchedulerErrors() {
    }

    /** On the thread that ran the failed task: Reactor's {@code Schedulers.handleError(error)}. */
    static void handle(Throwable error) {
        HANDLER.schedule(() -> {
            throw SchedulerErrors.<RuntimeException>sneaky(error);
        });
    }

    /** Rethrows {@code error} as it is (a checked one too), so the hook sees the very instance. */
    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable error) throws E {
        throw (E) error;
    }

    /** Runs on the caller; never used as a scheduler (see the class comment). */
    private static final class InlineExecutor implements Executor, Scheduler {
        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public Disposable schedule(Runnable task) {
            throw new UnsupportedOperationException("only an Executor");
        }

        @Override
        public Worker createWorker() {
            throw new UnsupportedOperationException("only an Executor");
        }
    }
}
