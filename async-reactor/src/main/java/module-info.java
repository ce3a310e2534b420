/**
 * asyncjobs for Project Reactor: a pausable job becomes a {@code Mono}
 * ({@link dev.asyncjobs.reactor.AsyncMono}) or a stage of a {@code Flux}
 * ({@link dev.asyncjobs.reactor.AsyncFlux}), and the job loops become a Reactor {@code Scheduler}
 * ({@link dev.asyncjobs.reactor.JobLoopScheduler}).
 *
 * <p>{@code io.micrometer:context-propagation} is optional: when it is present and Reactor's
 * automatic context propagation is on, ThreadLocals it knows follow the subscriber's
 * {@code Context} into every segment of the job.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // reactor-core, reactive-streams,
// context-propagation: automatic modules (no module-info of their own), nothing else to require
module dev.asyncjobs.reactor {
    requires transitive dev.asyncjobs.core;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    requires static transitive org.jspecify; // @Nullable is part of the exported signatures
    requires static context.propagation;

    exports dev.asyncjobs.reactor;
}
