/**
 * asyncjobs for Micrometer: {@code MeterBinder}s over async-core's counters, for job loop groups
 * ({@link dev.asyncjobs.micrometer.JobLoopMetrics}), the jobs on host threads such as Netty event
 * loops ({@link dev.asyncjobs.micrometer.JobHostMetrics}) and offload engines
 * ({@link dev.asyncjobs.micrometer.OffloadEngineMetrics}). The meters are listed, with what each
 * means and how to alert on it, in docs/spring-boot.md.
 */
// micrometer-core is an automatic module (no module-info of its own): its types are in our API
// (MeterBinder), so it is required transitively; nothing to fix on our side
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.asyncjobs.micrometer {
    requires transitive dev.asyncjobs.core;
    requires transitive micrometer.core;
    requires static org.jspecify;

    exports dev.asyncjobs.micrometer;
}
