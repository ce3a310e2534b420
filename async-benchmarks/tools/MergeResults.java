/*
 * Merges the native OpenSSL baseline, the Java measurement programs and the JMH results into
 * results/latest.json and renders RESULTS.md. Single-file program, JDK only, no dependencies:
 *
 *   java tools/MergeResults.java [--metrics FILE]... [--jmh target/jmh.json]
 *        [--out results/latest.json] [--md RESULTS.md] [--mode quick|full|smoke]
 *        [--analysis analysis.md]
 *
 * (run from async-benchmarks/; run.sh does this). Every input may be missing: a row whose figure
 * is missing gets "ours": null / "baseline": null and "pass": null, and RESULTS.md lists it as
 * "not measured".
 *
 * Inputs
 *   --metrics FILE  (repeatable) one JSON object per line; lines with "type":"metric" carry
 *                   "metric", "unit", "median", "p99", "p25", "p75", "min", "max", "samples";
 *                   lines with "type":"env" carry facts about the run (openssl_version, loadavg..).
 *                   target/baseline.jsonl (src/main/c/baseline.c) is one such file; the Java
 *                   programs (FdWakeLatency, PausedJobMemory, ...) write target/NAME.metrics.jsonl.
 *   --jmh FILE      JMH's -rf json output (a JSON array, one object per benchmark+params).
 *   --analysis FILE hand-written analysis (profiles of missed targets), copied into RESULTS.md.
 *
 * Output: a JSON array, one object per ROWS entry, with at least
 *   {"metric","unit","ours","baseline","baseline_name","ratio","target","pass"}
 * plus description, group, the spread (p25/p75) of both figures, the OpenSSL figure where one
 * exists, and where each figure came from.
 *
 * Figures: a JMH score is the median over all measurement iterations of all forks (rawData),
 * with p25..p75 as its spread (JMH's own mean is in the JMH table); a SampleTime percentile is
 * JMH's; a metrics line gives its median (or p99) and p25..p75.
 *
 * Adding or changing a row: edit ROWS below. A row = group, metric id, description, unit, where
 * "ours" comes from, where the baseline comes from, and the target. Sources:
 *   jmh("Class.method")                         the median iteration score (benchmark-name suffix)
 *   jmh("Class.method", "param=value,...")      ... only the run with those @Param values
 *   jmh(...).p50() / .p99()                     a percentile (SampleTime mode) instead
 *   jmh(...).secondary("name")                  a secondary metric (@AuxCounters, profilers)
 *   metric("native.start_finish")               median of a metrics-file line; .p99() for its p99
 * Scores are converted to the row's unit (ns/us/ms/s per op, ops per time, B/KB/MB).
 */

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public class MergeResults {

    // ------------------------------------------------------------------ the table (edit here)

    static final String DESIGN = "DESIGN.md performance table";
    static final String REACTOR = "issue 3: job loops + async-reactor";
    static final String CRYPTO = "issue 5: offload engine + crypto";
    static final String RXJAVA = "async-rxjava (for information)";

    /**
     * One row per line of DESIGN.md's performance table and of issues 3 and 5's performance sections
     * (plus the RxJava twin of the Mono overhead, for information).
     */
    static final List<Row> ROWS = List.of(
        new Row(DESIGN, "pause_resume_cycle.continuation",
            "pause+resume cycle, continuation backend", "ns/cycle",
            jmh("PauseResumeContinuation.cycle"),
            metric("native.pause_resume_cycle"), "OpenSSL ASYNC_pause_job + resume",
            Target.ratioAtMost(1.2)),
        new Row(DESIGN, "start_finish.no_pause",
            "job start+finish, no pause (continuation backend)", "ns/job",
            jmh("StartFinishContinuation.startFinish"),
            metric("native.start_finish"), "OpenSSL ASYNC_start_job, no pause",
            Target.ratioAtMost(1.0)),
        new Row(DESIGN, "pause_resume_cycle.virtual_thread",
            "pause+resume cycle, virtual-thread backend", "ns/cycle",
            jmh("PauseResumeVirtualThread.cycle"),
            jmh("NaiveHandoff.parkUnpark"), "naive park/unpark hand-off, platform-thread caller",
            Target.atMost(2000, "ns")),
        new Row(DESIGN, "fd_wake.median",
            "fd readable -> job resumed, job loop (median)", "ns",
            metric("java.fd_wake.job_loop"),
            metric("java.fd_wake.raw_selector"), "raw java.nio Selector wake, same JVM",
            Target.ratioAtMost(1.1), metric("native.epoll_wake")),
        new Row(DESIGN, "fd_wake.p99",
            "fd readable -> job resumed, job loop (p99)", "ns",
            metric("java.fd_wake.job_loop").p99(),
            metric("java.fd_wake.raw_selector").p99(), "raw java.nio Selector wake, same JVM",
            Target.ratioAtMost(1.1), metric("native.epoll_wake").p99()),
        new Row(DESIGN, "memory_per_paused_job.100k",
            "memory per paused job, 100k paused (continuation; Java heap vs OpenSSL RSS)", "B/job",
            metric("java.paused_job_heap.continuation.job.100000"),
            metric("native.rss_per_paused_job_100k"), "OpenSSL RSS per paused ASYNC_JOB",
            Target.atMost(600, "B")),
        new Row(DESIGN, "memory_per_paused_job.1m",
            "memory per paused job, 1M paused (continuation; Java heap vs OpenSSL RSS)", "B/job",
            metric("java.paused_job_heap.continuation.job.1000000"),
            metric("native.rss_per_paused_job_1m"), "OpenSSL RSS per paused ASYNC_JOB",
            Target.atMost(600, "B")),
        new Row(DESIGN, "memory_per_paused_job.100k.virtual_thread",
            "memory per paused job, 100k paused (virtual-thread backend)", "B/job",
            metric("java.paused_job_heap.virtual-thread.job.100000"),
            metric("native.rss_per_paused_job_100k"), "OpenSSL RSS per paused ASYNC_JOB",
            Target.atMost(600, "B")),
        new Row(DESIGN, "mono_overhead.latency",
            "Mono overhead, never-pausing job: one subscription at a time (subscribe -> value)", "ns/op",
            jmh("MonoOverhead.asyncMono"),
            jmh("MonoOverhead.fromCallableSubscribeOn"), "Mono.fromCallable(f).subscribeOn(parallel())",
            Target.ratioAtMost(1.5)),
        new Row(DESIGN, "mono_overhead.throughput",
            "Mono overhead, never-pausing job: 1,000 in flight (time per job)", "ns/op",
            jmh("MonoOverhead.asyncMonoMany"),
            jmh("MonoOverhead.fromCallableSubscribeOnMany"), "Mono.fromCallable(f).subscribeOn(parallel()), 1,000 in flight",
            Target.ratioAtMost(1.5)),
        new Row(DESIGN, "paused_monos.10k.heap",
            "10,000 concurrent paused Monos: all complete; heap held while paused", "MB",
            metric("java.paused_monos_heap.10000"),
            null, null,
            Target.lessThan(64, "MB")),
        new Row(REACTOR, "mono_loop_subscribed.hops",
            "Mono subscribed on a job loop thread: subscriptions whose job did not start inline", "hops",
            jmh("MonoLoopSubscribed.asyncMono").secondary("hops"),
            null, null,
            Target.atMost(0, "hops")),
        new Row(REACTOR, "mono_loop_subscribed.latency",
            "Mono subscribed on a job loop thread: subscribe -> value, inline", "ns/op",
            jmh("MonoLoopSubscribed.asyncMono"),
            jmh("MonoLoopSubscribed.fromCallable"), "Mono.fromCallable(f) subscribed on the same thread",
            Target.none()),
        new Row(CRYPTO, "crypto.ecdsa_p256_sign.vs_jca",
            "ECDSA P-256 sign, engine + AsyncFlux.mapJobs vs plain JCA, same device threads", "ops/s",
            jmh("CryptoThroughput.engineMapJobs", "op=ecdsa-p256-sign"),
            jmh("CryptoThroughput.plainJca", "op=ecdsa-p256-sign"), "plain JCA on the same number of threads",
            Target.ratioAtLeast(0.9)),
        new Row(CRYPTO, "crypto.aes_gcm_16k.vs_jca",
            "AES-256-GCM encrypt 16 KiB, engine + AsyncFlux.mapJobs vs plain JCA, same device threads", "ops/s",
            jmh("CryptoThroughput.engineMapJobs", "op=aes-gcm-16k"),
            jmh("CryptoThroughput.plainJca", "op=aes-gcm-16k"), "plain JCA on the same number of threads",
            Target.ratioAtLeast(0.9)),
        new Row(CRYPTO, "crypto.ecdsa_p256_sign.vs_reactor_jca",
            "ECDSA P-256 sign, engine + AsyncFlux.mapJobs vs the same pipeline with no job or engine (diagnostic)", "ops/s",
            jmh("CryptoThroughput.engineMapJobs", "op=ecdsa-p256-sign"),
            jmh("CryptoThroughput.reactorPlainJca", "op=ecdsa-p256-sign"),
            "flatMapSequential(Mono.fromCallable(plain JCA).subscribeOn(parallel of the same thread count))",
            Target.none()),
        new Row(CRYPTO, "crypto.aes_gcm_16k.vs_reactor_jca",
            "AES-256-GCM encrypt 16 KiB, engine + AsyncFlux.mapJobs vs the same pipeline with no job or engine (diagnostic)", "ops/s",
            jmh("CryptoThroughput.engineMapJobs", "op=aes-gcm-16k"),
            jmh("CryptoThroughput.reactorPlainJca", "op=aes-gcm-16k"),
            "flatMapSequential(Mono.fromCallable(plain JCA).subscribeOn(parallel of the same thread count))",
            Target.none()),
        new Row(CRYPTO, "crypto.ecdsa_p256_sign.10k.throughput",
            "ECDSA P-256 sign, 10,000 concurrent requests: throughput", "ops/s",
            metric("java.crypto10k.ecdsa-p256-sign.engine.throughput"),
            metric("java.crypto10k.ecdsa-p256-sign.bounded_elastic.throughput"), "Mono.fromCallable(sign).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(CRYPTO, "crypto.ecdsa_p256_sign.10k.p99",
            "ECDSA P-256 sign, 10,000 concurrent requests: p99 latency", "ms",
            metric("java.crypto10k.ecdsa-p256-sign.engine.latency").p99(),
            metric("java.crypto10k.ecdsa-p256-sign.bounded_elastic.latency").p99(), "Mono.fromCallable(sign).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(CRYPTO, "crypto.ecdsa_p256_sign.10k.threads",
            "ECDSA P-256 sign, 10,000 concurrent requests: peak live threads", "threads",
            metric("java.crypto10k.ecdsa-p256-sign.engine.threads"),
            metric("java.crypto10k.ecdsa-p256-sign.bounded_elastic.threads"), "Mono.fromCallable(sign).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(CRYPTO, "crypto.ecdsa_p256_sign.10k.heap",
            "ECDSA P-256 sign, 10,000 concurrent requests: peak heap in use", "MB",
            metric("java.crypto10k.ecdsa-p256-sign.engine.heap"),
            metric("java.crypto10k.ecdsa-p256-sign.bounded_elastic.heap"), "Mono.fromCallable(sign).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(CRYPTO, "crypto.aes_gcm_16k.10k.throughput",
            "AES-256-GCM 16 KiB, 10,000 concurrent requests: throughput", "ops/s",
            metric("java.crypto10k.aes-gcm-16k.engine.throughput"),
            metric("java.crypto10k.aes-gcm-16k.bounded_elastic.throughput"), "Mono.fromCallable(encrypt).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(CRYPTO, "crypto.aes_gcm_16k.10k.p99",
            "AES-256-GCM 16 KiB, 10,000 concurrent requests: p99 latency", "ms",
            metric("java.crypto10k.aes-gcm-16k.engine.latency").p99(),
            metric("java.crypto10k.aes-gcm-16k.bounded_elastic.latency").p99(), "Mono.fromCallable(encrypt).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(CRYPTO, "crypto.aes_gcm_16k.10k.threads",
            "AES-256-GCM 16 KiB, 10,000 concurrent requests: peak live threads", "threads",
            metric("java.crypto10k.aes-gcm-16k.engine.threads"),
            metric("java.crypto10k.aes-gcm-16k.bounded_elastic.threads"), "Mono.fromCallable(encrypt).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(CRYPTO, "crypto.aes_gcm_16k.10k.heap",
            "AES-256-GCM 16 KiB, 10,000 concurrent requests: peak heap in use", "MB",
            metric("java.crypto10k.aes-gcm-16k.engine.heap"),
            metric("java.crypto10k.aes-gcm-16k.bounded_elastic.heap"), "Mono.fromCallable(encrypt).subscribeOn(boundedElastic())",
            Target.none()),
        new Row(RXJAVA, "single_overhead.latency",
            "AsyncSingle overhead, never-pausing job: one subscription at a time", "ns/op",
            jmh("SingleOverhead.asyncSingle"),
            jmh("SingleOverhead.fromCallableSubscribeOn"), "Single.fromCallable(f).subscribeOn(computation())",
            Target.none()));

    /** The growth table: how cost grows with the number of jobs paused at once. */
    static final long[] GROWTH = {1_000, 10_000, 100_000, 1_000_000};

    static String shortCount(long n) {
        return n >= 1_000_000 ? n / 1_000_000 + "m" : n / 1000 + "k";
    }

    // ------------------------------------------------------------------ model

    record Row(String group, String metric, String description, String unit, Source ours, Source baseline,
               String baselineName, Target target, Source nativeOpenssl) {
        Row(String group, String metric, String description, String unit, Source ours, Source baseline,
            String baselineName, Target target) {
            this(group, metric, description, unit, ours, baseline, baselineName, target, null);
        }
    }

    /** Where a figure comes from. kind: "jmh" or "metric"; stat: "score", "p50", "p99" ("median" for metric). */
    record Source(String kind, String name, String params, String stat, String secondary) {
        Source p50() { return new Source(kind, name, params, kind.equals("jmh") ? "p50" : "median", secondary); }
        Source p99() { return new Source(kind, name, params, "p99", secondary); }
        Source secondary(String s) { return new Source(kind, name, params, stat, s); }
        String describe() {
            String s = name + (params == null ? "" : "[" + params + "]");
            if (secondary != null) s += " :" + secondary;
            if (!stat.equals("score") && !stat.equals("median")) s += " " + stat;
            return s;
        }
    }

    static Source jmh(String benchmark) { return new Source("jmh", benchmark, null, "score", null); }
    static Source jmh(String benchmark, String params) { return new Source("jmh", benchmark, params, "score", null); }
    static Source metric(String name) { return new Source("metric", name, null, "median", null); }

    /** A figure with its spread (p25..p75; null when there is none). */
    record Fig(Double value, Double lo, Double hi) { }

    /**
     * kind "ratio": ours/baseline <= limit; "ratio_min": ours/baseline >= limit; "max": ours <= limit;
     * "lt": ours < limit; "none": shown for comparison only (pass is null).
     */
    record Target(String kind, double limit, String unit) {
        static Target ratioAtMost(double x) { return new Target("ratio", x, null); }
        static Target ratioAtLeast(double x) { return new Target("ratio_min", x, null); }
        static Target atMost(double x, String unit) { return new Target("max", x, unit); }
        static Target lessThan(double x, String unit) { return new Target("lt", x, unit); }
        static Target none() { return new Target("none", 0, null); }
        String text() {
            return switch (kind) {
                case "ratio" -> String.format(Locale.ROOT, "<= %.1fx baseline", limit);
                case "ratio_min" -> String.format(Locale.ROOT, ">= %.1fx baseline", limit);
                case "max" -> "<= " + fmt(limit) + " " + unit;
                case "lt" -> "< " + fmt(limit) + " " + unit;
                default -> "none (comparison)";
            };
        }
        Boolean pass(Double ours, Double baseline) {
            if (ours == null) return null;
            return switch (kind) {
                case "ratio" -> baseline == null || baseline == 0 ? null : ours / baseline <= limit;
                case "ratio_min" -> baseline == null || baseline == 0 ? null : ours / baseline >= limit;
                case "max" -> ours <= limit;
                case "lt" -> ours < limit;
                default -> null;
            };
        }
    }

    // ------------------------------------------------------------------ main

    /** Everything from this line on in RESULTS.md is written by hand and kept across re-renders. */
    static final String KEPT_MARKER = "<!-- kept by MergeResults: the sections below come from other programs -->";

    public static void main(String[] args) throws IOException {
        List<Path> metricFiles = new ArrayList<>();
        Path jmhFile = Path.of("target/jmh.json");
        Path out = Path.of("results/latest.json");
        Path md = Path.of("RESULTS.md");
        Path analysis = null;
        String mode = "full";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--metrics" -> metricFiles.add(Path.of(args[++i]));
                case "--jmh" -> jmhFile = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--md" -> md = Path.of(args[++i]);
                case "--mode" -> mode = args[++i];
                case "--analysis" -> analysis = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (metricFiles.isEmpty()) metricFiles.add(Path.of("target/baseline.jsonl"));

        // metrics files: metric name -> object; env merged
        Map<String, Map<String, Object>> metrics = new LinkedHashMap<>();
        Map<String, Object> env = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        for (Path f : metricFiles) {
            if (!Files.isRegularFile(f)) { warnings.add("missing metrics file " + f); continue; }
            for (String line : Files.readAllLines(f)) {
                line = line.strip();
                if (!line.startsWith("{")) continue;
                Map<String, Object> o = asMap(Json.parse(line));
                if ("env".equals(o.get("type"))) env.putAll(o);
                else if (o.get("metric") instanceof String name) metrics.put(name, o);
            }
        }
        List<Map<String, Object>> jmh = new ArrayList<>();
        if (Files.isRegularFile(jmhFile)) {
            String text = Files.readString(jmhFile).strip();
            if (!text.isEmpty()) {
                for (Object o : (List<?>) Json.parse(text)) jmh.add(asMap(o));
            }
        } else {
            warnings.add("no JMH results (" + jmhFile + " missing)");
        }

        // rows
        List<Map<String, Object>> results = new ArrayList<>();
        for (Row r : ROWS) {
            Fig ours = fig(r.ours(), r.unit(), metrics, jmh);
            Fig base = r.baseline() == null ? null : fig(r.baseline(), r.unit(), metrics, jmh);
            Fig nat = r.nativeOpenssl() != null ? fig(r.nativeOpenssl(), r.unit(), metrics, jmh)
                : r.baseline() != null && r.baseline().kind().equals("metric")
                  && r.baseline().name().startsWith("native.") ? base : null;
            Double o = ours == null ? null : ours.value();
            Double b = base == null ? null : base.value();
            if (b == null && r.baseline() != null && r.baseline().kind().equals("metric")
                && r.baseline().name().startsWith("native.")) {
                warnings.add(r.baseline().name() + " not measured"
                    + (r.baseline().name().endsWith("_1m") ? " (run.sh without --quick, or with --million)" : ""));
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("metric", r.metric());
            m.put("unit", r.unit());
            m.put("ours", round(o));
            m.put("baseline", round(b));
            m.put("baseline_name", r.baselineName());
            m.put("ratio", o != null && b != null && b != 0 ? round3(o / b) : null);
            m.put("target", r.target().text());
            m.put("pass", r.target().pass(o, b));
            m.put("group", r.group());
            m.put("description", r.description());
            m.put("ours_p25", ours == null ? null : round(ours.lo()));
            m.put("ours_p75", ours == null ? null : round(ours.hi()));
            m.put("baseline_p25", base == null ? null : round(base.lo()));
            m.put("baseline_p75", base == null ? null : round(base.hi()));
            m.put("native_openssl", nat == null ? null : round(nat.value()));
            m.put("ours_source", r.ours().describe());
            m.put("baseline_source", r.baseline() == null ? null : r.baseline().describe());
            results.add(m);
        }

        Files.createDirectories(out.toAbsolutePath().getParent());
        StringBuilder js = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            js.append("  ").append(Json.write(results.get(i))).append(i + 1 < results.size() ? ",\n" : "\n");
        }
        js.append("]\n");
        Files.writeString(out, js);

        String analysisText = analysis != null && Files.isRegularFile(analysis) ? Files.readString(analysis) : null;
        Path mdParent = md.toAbsolutePath().getParent();
        if (mdParent != null) Files.createDirectories(mdParent);
        // sections measured by other programs (CryptoTargets, the WebFlux wrk run, ...) follow a
        // marker in RESULTS.md: a re-render keeps them instead of dropping what it did not measure
        String kept = "";
        if (Files.isRegularFile(md)) {
            String old = Files.readString(md);
            int at = old.indexOf(KEPT_MARKER);
            if (at >= 0) kept = "\n" + old.substring(at);
        }
        Files.writeString(md, render(results, metrics, env, jmh, mode, warnings, analysisText) + kept);
        for (String w : warnings) System.err.println("MergeResults: " + w);
        long measured = results.stream().filter(x -> x.get("ours") != null).count();
        long failed = results.stream().filter(x -> Boolean.FALSE.equals(x.get("pass"))).count();
        System.err.printf("MergeResults: %d rows (%d with our figure, %d missing their target) -> %s, %s%n",
            results.size(), measured, failed, out, md);
    }

    // ------------------------------------------------------------------ lookup + units

    static Double value(Source s, String rowUnit, Map<String, Map<String, Object>> metrics,
                        List<Map<String, Object>> jmh) {
        Fig f = fig(s, rowUnit, metrics, jmh);
        return f == null ? null : f.value();
    }

    static Fig fig(Source s, String rowUnit, Map<String, Map<String, Object>> metrics,
                   List<Map<String, Object>> jmh) {
        if (s.kind().equals("metric")) {
            Map<String, Object> m = metrics.get(s.name());
            if (m == null) return null;
            String unit = str(m.get("unit"));
            Double v = num(m.get(s.stat()));
            if (v == null) return null;
            boolean median = s.stat().equals("median");
            Double lo = median ? num(m.get("p25")) : null, hi = median ? num(m.get("p75")) : null;
            return new Fig(convert(v, unit, rowUnit), lo == null ? null : convert(lo, unit, rowUnit),
                hi == null ? null : convert(hi, unit, rowUnit));
        }
        Map<String, Object> b = findJmh(s, jmh);
        if (b == null) return null;
        Map<String, Object> metric = asMap(b.get("primaryMetric"));
        if (s.secondary() != null) {
            Object sec = asMap(b.get("secondaryMetrics")).get(s.secondary());
            if (sec == null) return null;
            metric = asMap(sec);
        }
        String unit = str(metric.get("scoreUnit"));
        switch (s.stat()) {
            case "p50", "p99" -> {
                Double v = num(asMap(metric.get("scorePercentiles")).get(s.stat().equals("p50") ? "50.0" : "99.0"));
                return v == null ? null : new Fig(convert(v, unit, rowUnit), null, null);
            }
            default -> {
                // median over every measurement iteration of every fork, p25..p75 as its spread
                List<Double> raw = new ArrayList<>();
                for (Object fork : asList(metric.get("rawData"))) {
                    for (Object it : asList(fork)) {
                        Double d = num(it);
                        if (d != null) raw.add(d);
                    }
                }
                if (raw.isEmpty()) {
                    Double v = num(metric.get("score"));
                    return v == null ? null : new Fig(convert(v, unit, rowUnit), null, null);
                }
                Collections.sort(raw);
                double med = pct(raw, 0.5), p25 = pct(raw, 0.25), p75 = pct(raw, 0.75);
                double c1 = convert(p25, unit, rowUnit), c2 = convert(p75, unit, rowUnit);
                // ops/s -> ns/op flips the order
                return new Fig(convert(med, unit, rowUnit), Math.min(c1, c2), Math.max(c1, c2));
            }
        }
    }

    static Map<String, Object> findJmh(Source s, List<Map<String, Object>> jmh) {
        for (Map<String, Object> b : jmh) {
            String name = str(b.get("benchmark"));
            if (name == null || !(name.equals(s.name()) || name.endsWith("." + s.name()))) continue;
            if (!paramsMatch(s.params(), b.get("params"))) continue;
            return b;
        }
        return null;
    }

    /** Nearest-rank percentile of a sorted list, as baseline.c computes it. */
    static double pct(List<Double> sorted, double q) {
        int i = (int) (q * (sorted.size() - 1) + 0.5);
        return sorted.get(Math.min(i, sorted.size() - 1));
    }

    static boolean paramsMatch(String wanted, Object actual) {
        if (wanted == null) return true;
        Map<String, Object> p = asMap(actual);
        for (String kv : wanted.split(",")) {
            String[] a = kv.split("=", 2);
            if (!a[1].strip().equals(str(p.get(a[0].strip())))) return false;
        }
        return true;
    }

    /** Converts time-per-op, ops-per-time (both ways) and byte units; unknown units pass through. */
    static double convert(double v, String from, String to) {
        if (from == null || to == null || from.equals(to)) return v;
        String[] f = from.split("/", 2), t = to.split("/", 2);
        Double fromNs = timeNs(f[0]), toNs = timeNs(t[0]);
        if (fromNs != null && toNs != null) return v * fromNs / toNs;            // "us/op" -> "ns/job"
        boolean fromRate = f.length == 2 && isOps(f[0]) && timeNs(f[1]) != null;
        boolean toRate = t.length == 2 && isOps(t[0]) && timeNs(t[1]) != null;
        if (fromRate && toNs != null && v != 0) return timeNs(f[1]) / v / toNs;   // "ops/s" -> "ns/op"
        if (fromRate && toRate) return v * timeNs(t[1]) / timeNs(f[1]);          // "ops/ms" -> "ops/s"
        if (fromNs != null && toRate && v != 0) return timeNs(t[1]) / (v * fromNs); // "us/op" -> "ops/s"
        Double fromB = bytes(from), toB = bytes(to);
        if (fromB != null && toB != null) return v * fromB / toB;                 // "B/op" -> "MB"
        return v;
    }

    static boolean isOps(String u) {
        return u.equals("ops") || u.equals("op");
    }

    static Double timeNs(String u) {
        return switch (u) {
            case "ns" -> 1.0;
            case "us", "µs" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            default -> null;
        };
    }

    static Double bytes(String u) {
        String b = u.split("/", 2)[0];
        return switch (b) {
            case "B", "bytes" -> 1.0;
            case "KB", "KiB", "kB" -> 1024.0;
            case "MB", "MiB" -> 1024.0 * 1024;
            case "GB", "GiB" -> 1024.0 * 1024 * 1024;
            default -> null;
        };
    }

    // ------------------------------------------------------------------ RESULTS.md

    static String render(List<Map<String, Object>> rows, Map<String, Map<String, Object>> metrics,
                         Map<String, Object> env, List<Map<String, Object>> jmh, String mode,
                         List<String> warnings, String analysis) {
        StringBuilder s = new StringBuilder();
        s.append("# asyncjobs benchmark results\n\n");
        s.append("Generated by `async-benchmarks/run.sh").append(mode.equals("full") ? "" : " --" + mode)
         .append("` (tools/MergeResults.java from the native baseline, the Java measurement programs and JMH). ")
         .append("Machine-readable copy: `results/latest.json`. Every ratio is computed from figures ")
         .append("measured in this one run.\n\n");

        s.append("## Environment\n\n");
        s.append("| | |\n|---|---|\n");
        s.append("| date | ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append(" |\n");
        s.append("| mode | ").append(mode).append(" |\n");
        String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
            + " (" + System.getProperty("java.vendor") + ")";
        s.append("| JDK | ").append(jdk).append(" |\n");
        if (!jmh.isEmpty()) {
            Map<String, Object> b = jmh.get(0);
            s.append("| JDK (JMH forks) | ").append(str(b.get("vmName"))).append(" ").append(str(b.get("vmVersion")))
             .append(", JMH ").append(str(b.get("jmhVersion"))).append(" |\n");
        }
        s.append("| OpenSSL | ").append(env.getOrDefault("openssl_version", "not measured")).append(" |\n");
        s.append("| compiler | ").append(env.getOrDefault("compiler", "?")).append(" -O2 |\n");
        s.append("| CPU | ").append(cpuModel()).append(" x ").append(Runtime.getRuntime().availableProcessors())
         .append(" |\n");
        s.append("| kernel | ").append(readFirstLine("/proc/sys/kernel/osrelease")).append(" |\n");
        for (String k : List.of("loadavg_start", "loadavg_end", "jmh_options", "wall_seconds")) {
            if (env.containsKey(k)) s.append("| ").append(k.replace('_', ' ')).append(" | ").append(env.get(k)).append(" |\n");
        }
        s.append("\n");
        Double load = env.get("loadavg_start") == null ? null : num(str(env.get("loadavg_start")).split(" ")[0]);
        if (load != null && load > Runtime.getRuntime().availableProcessors() * 0.5) {
            s.append("**Warning: the machine was busy when this run started (1-minute load average ")
             .append(fmt(load)).append(" on ").append(Runtime.getRuntime().availableProcessors())
             .append(" CPUs); hand-off and wake-up figures are inflated by CPU contention.**\n\n");
        }

        s.append("## Targets\n\n");
        s.append("Figures are medians (JMH: over every measurement iteration of every fork; programs: over ")
         .append("all samples or rounds), p25..p75 in brackets. Memory: Java live heap after full GC vs ")
         .append("OpenSSL's resident set (its jobs' stacks live outside any heap).\n\n");
        String group = null;
        for (Map<String, Object> r : rows) {
            if (!r.get("group").equals(group)) {
                group = (String) r.get("group");
                s.append("\n### ").append(group).append("\n\n");
                s.append("| what | ours | baseline | ratio | target | pass |\n|---|---:|---|---:|---|---|\n");
            }
            String unit = str(r.get("unit"));
            Double ours = num(r.get("ours")), base = num(r.get("baseline")), nat = num(r.get("native_openssl"));
            String baseText = base == null ? (r.get("baseline_name") == null ? "—" : "not measured ("
                + r.get("baseline_name") + ")") : fmt(base) + " " + unit + spread(r, "baseline") + " ("
                + r.get("baseline_name") + ")";
            if (nat != null && !nat.equals(base)) baseText += "; OpenSSL native " + fmt(nat) + " " + unit;
            Object pass = r.get("pass");
            s.append("| ").append(r.get("description"))
             .append(" | ").append(ours == null ? "not measured" : fmt(ours) + " " + unit + spread(r, "ours"))
             .append(" | ").append(baseText)
             .append(" | ").append(r.get("ratio") == null ? "—" : fmt(num(r.get("ratio"))) + "x")
             .append(" | ").append(r.get("target"))
             .append(" | ").append(pass == null ? "—" : (Boolean) pass ? "PASS" : "**FAIL**")
             .append(" |\n");
        }
        s.append("\n");

        renderGrowth(s, metrics, jmh);

        if (analysis != null && !analysis.isBlank()) {
            s.append(analysis.strip()).append("\n\n");
        }

        s.append("## Native OpenSSL baseline (src/main/c/baseline.c) and Java measurement programs\n\n");
        if (metrics.isEmpty()) {
            s.append("Not measured.\n\n");
        } else {
            s.append("| metric | unit | median | p25 .. p75 | min .. max | p99 | samples |\n")
             .append("|---|---|---:|---|---|---:|---:|\n");
            for (Map<String, Object> m : metrics.values()) {
                s.append("| ").append(m.get("metric")).append(" | ").append(m.get("unit"))
                 .append(" | ").append(fmtN(m.get("median")))
                 .append(" | ").append(fmtN(m.get("p25"))).append(" .. ").append(fmtN(m.get("p75")))
                 .append(" | ").append(fmtN(m.get("min"))).append(" .. ").append(fmtN(m.get("max")))
                 .append(" | ").append(fmtN(m.get("p99")))
                 .append(" | ").append(fmtN(m.get("samples"))).append(" |\n");
            }
            s.append("\nMethod. Native pause+resume and start+finish: one sample = the mean over one run of ")
             .append("many iterations, several runs. Wake-up latency (native `epoll_wait`, Java raw `Selector`, ")
             .append("Java job loop): one sample per wake-up; the writer thread (pinned to another CPU than ")
             .append("the reader) waits until the reader sleeps in the kernel (task state `S` in ")
             .append("`/proc/self/task/TID/stat`), busy-waits 50 us more, timestamps and writes one byte to a ")
             .append("pipe; the reader timestamps when it runs again (the job: as `pause()` returns). Native RSS: ")
             .append("VmRSS growth over N jobs paused once, in a fresh forked process. Java heap: live heap ")
             .append("after full GC with N jobs paused minus before, in a fresh JVM per count, after a warm-up ")
             .append("that compiles the path; one sample per round.\n\n");
        }

        s.append("## All JMH results\n\n");
        if (jmh.isEmpty()) {
            s.append("Not measured (no JMH results).\n\n");
        } else {
            s.append("| benchmark | params | mode | score (mean) | error | unit | p50 | p99 |\n")
             .append("|---|---|---|---:|---:|---|---:|---:|\n");
            for (Map<String, Object> b : jmh) {
                Map<String, Object> pm = asMap(b.get("primaryMetric"));
                Map<String, Object> pc = asMap(pm.get("scorePercentiles"));
                String name = str(b.get("benchmark")).replace("dev.asyncjobs.benchmarks.", "");
                s.append("| ").append(name)
                 .append(" | ").append(b.get("params") == null ? "" : paramsText(asMap(b.get("params"))))
                 .append(" | ").append(b.get("mode"))
                 .append(" | ").append(fmtN(pm.get("score")))
                 .append(" | ").append(fmtN(pm.get("scoreError")))
                 .append(" | ").append(pm.get("scoreUnit"))
                 .append(" | ").append(fmtN(pc.get("50.0")))
                 .append(" | ").append(fmtN(pc.get("99.0"))).append(" |\n");
                for (Map.Entry<String, Object> e : asMap(b.get("secondaryMetrics")).entrySet()) {
                    Map<String, Object> sm = asMap(e.getValue());
                    s.append("| ").append(name).append(" :").append(e.getKey())
                     .append(" | | | ").append(fmtN(sm.get("score"))).append(" | ")
                     .append(fmtN(sm.get("scoreError"))).append(" | ").append(sm.get("scoreUnit"))
                     .append(" | | |\n");
                }
            }
            s.append("\n");
        }
        if (!warnings.isEmpty()) {
            s.append("## Notes\n\n");
            for (String w : warnings) s.append("- ").append(w).append("\n");
            s.append("\n");
        }
        return s.toString();
    }

    static String spread(Map<String, Object> r, String which) {
        Double lo = num(r.get(which + "_p25")), hi = num(r.get(which + "_p75"));
        return lo == null || hi == null ? "" : " [" + fmt(lo) + " .. " + fmt(hi) + "]";
    }

    /** Memory and pause+resume cost per job against the number of jobs paused at once. */
    static void renderGrowth(StringBuilder s, Map<String, Map<String, Object>> metrics, List<Map<String, Object>> jmh) {
        s.append("## How cost grows with the number of jobs paused at once\n\n");
        s.append("| jobs paused | Java heap/job, continuation (job + handle) | ... + own wait ctx | launched on a job loop (runner + ctx + job) ")
         .append("| Java heap/job, virtual-thread | OpenSSL RSS/job | pause+resume round robin, Java (continuation) ")
         .append("| pause+resume round robin, OpenSSL |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (long n : GROWTH) {
            String k = shortCount(n);
            s.append("| ").append(String.format(Locale.ROOT, "%,d", n))
             .append(" | ").append(metricCell(metrics, "java.paused_job_heap.continuation.job." + n, " B"))
             .append(" | ").append(metricCell(metrics, "java.paused_job_heap.continuation.ctx." + n, " B"))
             .append(" | ").append(metricCell(metrics, "java.paused_job_heap.continuation.loop." + n, " B"))
             .append(" | ").append(metricCell(metrics, "java.paused_job_heap.virtual-thread.job." + n, " B"))
             .append(" | ").append(metricCell(metrics, "native.rss_per_paused_job_" + k, " B"))
             .append(" | ").append(jmhCell(jmh, "PausedPopulation.cycleRoundRobin", "jobs=" + n))
             .append(" | ").append(metricCell(metrics, "native.pause_resume_cycle_rr_" + k, " ns"))
             .append(" |\n");
        }
        s.append("\nThe round-robin column resumes a different paused job each time, so every resume touches a ")
         .append("cold stack (the single-job cycle in the targets table keeps one hot). \"—\" = not measured in ")
         .append("this mode.\n\n");
    }

    static String metricCell(Map<String, Map<String, Object>> metrics, String name, String unit) {
        Map<String, Object> m = metrics.get(name);
        Double v = m == null ? null : num(m.get("median"));
        return v == null ? "—" : fmt(v) + unit;
    }

    static String jmhCell(List<Map<String, Object>> jmh, String name, String params) {
        Fig f = fig(jmh(name, params), "ns/op", Map.of(), jmh);
        return f == null || f.value() == null ? "—" : fmt(f.value()) + " ns";
    }

    static String paramsText(Map<String, Object> p) {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, Object> e : p.entrySet()) {
            if (!s.isEmpty()) s.append(", ");
            s.append(e.getKey()).append('=').append(e.getValue());
        }
        return s.toString();
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException ignored) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    static String readFirstLine(String file) {
        try {
            return Files.readAllLines(Path.of(file)).get(0).strip();
        } catch (IOException | IndexOutOfBoundsException e) {
            return "?";
        }
    }

    // ------------------------------------------------------------------ small helpers

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static List<?> asList(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    static String str(Object o) { return o == null ? null : o.toString(); }

    /** JMH writes NaN/Infinity as strings; treat non-finite as missing. */
    static Double num(Object o) {
        Double d = null;
        if (o instanceof Number n) d = n.doubleValue();
        else if (o instanceof String s) {
            try { d = Double.parseDouble(s); } catch (NumberFormatException e) { return null; }
        }
        return d == null || d.isNaN() || d.isInfinite() ? null : d;
    }

    static Double round(Double d) { return d == null ? null : Math.round(d * 10) / 10.0; }
    static Double round3(double d) { return Math.round(d * 1000) / 1000.0; }

    static String fmt(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return String.format(Locale.ROOT, "%,d", (long) d);
        if (Math.abs(d) >= 100) return String.format(Locale.ROOT, "%,.0f", d);
        if (Math.abs(d) >= 10) return String.format(Locale.ROOT, "%.1f", d);
        return String.format(Locale.ROOT, "%.3f", d).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    static String fmtN(Object o) {
        Double d = num(o);
        return d == null ? "—" : fmt(d);
    }

    // ------------------------------------------------------------------ minimal JSON

    static final class Json {
        private final String s;
        private int i;

        private Json(String s) { this.s = s; }

        static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value();
            p.ws();
            if (p.i != p.s.length()) throw p.err("trailing characters");
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) throw err("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek('}')) { i++; return m; }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (peek(',')) { i++; continue; }
                        expect('}');
                        return m;
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek(']')) { i++; return l; }
                    while (true) {
                        l.add(value());
                        ws();
                        if (peek(',')) { i++; continue; }
                        expect(']');
                        return l;
                    }
                }
                case '"':
                    return string();
                case 't': word("true"); return Boolean.TRUE;
                case 'f': word("false"); return Boolean.FALSE;
                case 'n': word("null"); return null;
                default: {
                    int st = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
                    if (st == i) {
                        // JMH may print bare NaN / Infinity
                        if (s.startsWith("NaN", i)) { i += 3; return Double.NaN; }
                        if (s.startsWith("Infinity", i)) { i += 8; return Double.POSITIVE_INFINITY; }
                        throw err("unexpected character '" + c + "'");
                    }
                    return Double.parseDouble(s.substring(st, i));
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw err("unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> b.append(e);
                }
            }
        }

        private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }
        private boolean peek(char c) { return i < s.length() && s.charAt(i) == c; }
        private void expect(char c) { if (!peek(c)) throw err("expected '" + c + "'"); i++; }
        private void word(String w) { if (!s.startsWith(w, i)) throw err("expected " + w); i += w.length(); }
        private IllegalArgumentException err(String m) { return new IllegalArgumentException("JSON: " + m + " at " + i); }

        static String write(Object o) {
            if (o == null) return "null";
            if (o instanceof Boolean b) return b.toString();
            if (o instanceof Double d) {
                return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : d.toString();
            }
            if (o instanceof Number n) return n.toString();
            if (o instanceof Map<?, ?> m) {
                StringBuilder b = new StringBuilder("{");
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (b.length() > 1) b.append(", ");
                    b.append(write(e.getKey().toString())).append(": ").append(write(e.getValue()));
                }
                return b.append('}').toString();
            }
            StringBuilder b = new StringBuilder("\"");
            for (char c : o.toString().toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\t' -> b.append("\\t");
                    case '\r' -> b.append("\\r");
                    default -> {
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                    }
                }
            }
            return b.append('"').toString();
        }
    }
}
