/**
 * JMH benchmarks and plain measurement programs behind {@code async-benchmarks/run.sh}.
 *
 * <p>Conventions: every benchmark that needs a fibre backend checks it in its trial set-up
 * ({@link dev.asyncjobs.benchmarks.Backends#require}), so a silent fallback fails the run instead
 * of reporting the wrong backend's figure. Classes for the continuation backend fork with
 * {@value dev.asyncjobs.benchmarks.Backends#CONTINUATION_FLAG}; their virtual-thread twins fork
 * without it. Baselines run in the same invocation of JMH as the code they are compared with.
 * Measurements JMH cannot express (a timestamp per wake-up, heap after a full GC) are plain main
 * classes that write {@code target/NAME.metrics.jsonl} in the native baseline's line format.
 */
package dev.asyncjobs.benchmarks;
