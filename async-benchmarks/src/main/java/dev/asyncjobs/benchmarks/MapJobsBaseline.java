package dev.asyncjobs.benchmarks;

import dev.asyncjobs.core.JobFunction;
import dev.asyncjobs.core.JobOptions;
import dev.asyncjobs.reactor.AsyncMono;
import dev.asyncjobs.rxjava.AsyncMaybe;
import io.reactivex.rxjava3.core.Flowable;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Flux;

/**
 * The {@code mapJobs} of both adapters as they were before each got its own operator (commit
 * bfcfb88), rebuilt on the public API so {@link MapJobsOverhead} can run old and new in one JVM:
 * one inner {@code Mono} / {@code Maybe} (publisher, subscriber, subscription) per element, under
 * reactor-core's {@code flatMapSequential} / RxJava's {@code concatMapEager}. The old Reactor code
 * built its {@code MonoJob} directly; {@link AsyncMono#fromJob(JobFunction, JobOptions)} builds the
 * same one (plus the assembly-hook check every Reactor operator pays).
 */
final class MapJobsBaseline {
    private MapJobsBaseline() {
    }

    /** The old {@code AsyncFlux.mapJobs(source, job, maxInFlight, options)}. */
    static <T, R> Flux<R> flux(Flux<T> source, Function<T, JobFunction<R>> job, int maxInFlight, JobOptions options) {
        return new BaselineStrictRequests<>(source.flatMapSequential(
                t -> AsyncMono.fromJob(Objects.requireNonNull(job.apply(t), "the job function returned a null JobFunction"),
                        options),
                maxInFlight, 1));
    }

    /** The old {@code AsyncFlowable.mapJobs(source, fn, maxInFlight, options)}. */
    static <T, R> Flowable<R> flowable(Flowable<T> source,
            io.reactivex.rxjava3.functions.Function<? super T, ? extends JobFunction<? extends R>> fn, int maxInFlight,
            JobOptions options) {
        return source.concatMapEager(item -> {
            JobFunction<? extends R> job = Objects.requireNonNull(fn.apply(item), "The mapper returned a null JobFunction");
            return AsyncMaybe.<R>fromJob(job, options).toFlowable();
        }, maxInFlight, 1);
    }
}
