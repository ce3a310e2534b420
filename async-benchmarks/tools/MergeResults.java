/*
 * Merges the native OpenSSL baseline and the JMH results into results/latest.json and renders
 * RESULTS.md. Single-file program, JDK only, no dependencies:
 *
 *   java tools/MergeResults.java [--metrics target/baseline.jsonl]... [--jmh target/jmh.json]
 *        [--out results/latest.json] [--md RESULTS.md] [--mode quick|full]
 *
 * (run from async-benchmarks/; run.sh does this). Every input may be missing: a row whose figure
 * is missing gets "ours": null / "baseline": null and "pass": null, and RESULTS.md lists it as
 * "not measured".
 *
 * Inputs
 *   --metrics FILE  (repeatable) one JSON object per line; lines with "type":"metric" carry
 *                   "metric", "unit", "median", "p99", "p25", "p75", "min", "max", "samples";
 *                   the line with "type":"env" carries "openssl_version". target/baseline.jsonl
 *                   (from src/main/c/baseline.c) is one such file; a Java measurement that is not a
 *                   JMH benchmark can write target/NAME.metrics.jsonl in the same format and
 *                   run.sh passes it here too.
 *   --jmh FILE      JMH's -rf json output (a JSON array, one object per benchmark+params).
 *
 * Adding or changing a row: edit ROWS below. A row = metric id, description (the DESIGN.md
 * performance-table row), unit, where "ours" comes from, where the baseline comes from, and the
 * target. Sources:
 *   jmh("Class.method")                         primary score (matched by benchmark-name suffix)
 *   jmh("Class.method", "param=value,...")      ... only the run with those @Param values
 *   jmh(...).p50() / .p99()                     a percentile (SampleTime mode) instead of the score
 *   jmh(...).secondary("name")                  a secondary metric (e.g. @AuxCounters, gc profiler)
 *   metric("native.start_finish")               median of a metrics-file line; .p99() for its p99
 * JMH scores are converted to the row's unit (ns/us/ms/s per op, ops per time, B/KB/MB).
 */

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public class MergeResults {

    // ------------------------------------------------------------------ the table (edit here)

    /** One row per line of the "Performance targets" table in /work/shared/DESIGN.md. */
    static final List<Row> ROWS = List.of(
        new Row("pause_resume_cycle.continuation",
            "pause+resume cycle, continuation backend", "ns/cycle",
            jmh("PauseResumeBenchmark.pauseResume", "backend=continuation"),
            metric("native.pause_resume_cycle"), "OpenSSL ASYNC_pause_job + resume",
            Target.ratioAtMost(1.2)),
        new Row("start_finish.no_pause",
            "job start+finish, no pause", "ns/job",
            jmh("StartFinishBenchmark.startFinish"),
            metric("native.start_finish"), "OpenSSL ASYNC_start_job, no pause",
            Target.ratioAtMost(1.0)),
        new Row("pause_resume_cycle.virtual_thread",
            "pause+resume cycle, virtual-thread backend", "ns/cycle",
            jmh("PauseResumeBenchmark.pauseResume", "backend=virtual-thread"),
            jmh("NaiveHandoffBenchmark.parkUnpark"), "naive park/unpark hand-off, platform-thread caller",
            Target.atMost(2000, "ns")),
        // fd wake: the target is against raw Java select; the OpenSSL+epoll figure is shown beside it.
        // The raw-Selector benchmark is the JMH author's to write (placeholder name below).
        new Row("fd_wake.median",
            "fd readable -> job resumed, job loop (median)", "ns",
            jmh("FdWakeBenchmark.jobLoop").p50(),
            jmh("FdWakeBenchmark.rawSelector").p50(), "raw java.nio Selector wake",
            Target.ratioAtMost(1.1), metric("native.epoll_wake")),
        new Row("fd_wake.p99",
            "fd readable -> job resumed, job loop (p99)", "ns",
            jmh("FdWakeBenchmark.jobLoop").p99(),
            jmh("FdWakeBenchmark.rawSelector").p99(), "raw java.nio Selector wake",
            Target.ratioAtMost(1.1), metric("native.epoll_wake").p99()),
        new Row("memory_per_paused_job.100k",
            "memory per paused job, 100k paused", "B/job",
            jmh("PausedJobMemoryBenchmark.bytesPerPausedJob", "jobs=100000"),
            metric("native.rss_per_paused_job_100k"), "OpenSSL RSS per paused ASYNC_JOB",
            Target.atMost(600, "B")),
        new Row("memory_per_paused_job.1m",
            "memory per paused job, 1M paused", "B/job",
            jmh("PausedJobMemoryBenchmark.bytesPerPausedJob", "jobs=1000000"),
            metric("native.rss_per_paused_job_1m"), "OpenSSL RSS per paused ASYNC_JOB",
            Target.atMost(600, "B")),
        new Row("mono_overhead.never_pauses",
            "Mono overhead for a job that never pauses", "ns/op",
            jmh("MonoOverheadBenchmark.asyncMono"),
            jmh("MonoOverheadBenchmark.fromCallableSubscribeOn"), "Mono.fromCallable(f).subscribeOn(parallel())",
            Target.ratioAtMost(1.5)),
        new Row("concurrent_paused_monos.10k",
            "10,000 concurrent paused Monos: all complete, heap for the jobs", "MB",
            jmh("ConcurrentMonosBenchmark.tenThousandPausedMonos").secondary("jobHeapMB"),
            null, null,
            Target.lessThan(64, "MB")));

    // ------------------------------------------------------------------ model

    record Row(String metric, String description, String unit, Source ours, Source baseline,
               String baselineName, Target target, Source nativeOpenssl) {
        Row(String metric, String description, String unit, Source ours, Source baseline,
            String baselineName, Target target) {
            this(metric, description, unit, ours, baseline, baselineName, target, null);
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

    /** kind "ratio": ours/baseline <= limit; "max": ours <= limit; "lt": ours < limit. */
    record Target(String kind, double limit, String unit) {
        static Target ratioAtMost(double x) { return new Target("ratio", x, null); }
        static Target atMost(double x, String unit) { return new Target("max", x, unit); }
        static Target lessThan(double x, String unit) { return new Target("lt", x, unit); }
        String text() {
            return switch (kind) {
                case "ratio" -> String.format(Locale.ROOT, "<= %.1fx baseline", limit);
                case "max" -> "<= " + fmt(limit) + " " + unit;
                default -> "< " + fmt(limit) + " " + unit;
            };
        }
        Boolean pass(Double ours, Double baseline) {
            if (ours == null) return null;
            return switch (kind) {
                case "ratio" -> baseline == null || baseline == 0 ? null : ours / baseline <= limit;
                case "max" -> ours <= limit;
                default -> ours < limit;
            };
        }
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) throws IOException {
        List<Path> metricFiles = new ArrayList<>();
        Path jmhFile = Path.of("target/jmh.json");
        Path out = Path.of("results/latest.json");
        Path md = Path.of("RESULTS.md");
        String mode = "full";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--metrics" -> metricFiles.add(Path.of(args[++i]));
                case "--jmh" -> jmhFile = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--md" -> md = Path.of(args[++i]);
                case "--mode" -> mode = args[++i];
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
            Double ours = value(r.ours(), r.unit(), metrics, jmh);
            Double base = r.baseline() == null ? null : value(r.baseline(), r.unit(), metrics, jmh);
            Double nat = r.nativeOpenssl() != null ? value(r.nativeOpenssl(), r.unit(), metrics, jmh)
                : r.baseline() != null && r.baseline().kind().equals("metric") ? base : null;
            if (base == null && r.baseline() != null && r.baseline().kind().equals("metric")) {
                warnings.add(r.baseline().name() + " not measured"
                    + (r.baseline().name().endsWith("_1m") ? " (run.sh without --quick, or with --million)" : ""));
            }
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("metric", r.metric());
            o.put("description", r.description());
            o.put("unit", r.unit());
            o.put("ours", round(ours));
            o.put("baseline", round(base));
            o.put("baseline_name", r.baselineName());
            o.put("ratio", ours != null && base != null && base != 0 ? round3(ours / base) : null);
            o.put("target", r.target().text());
            o.put("pass", r.target().pass(ours, base));
            o.put("native_openssl", round(nat));
            o.put("ours_source", r.ours().describe());
            o.put("baseline_source", r.baseline() == null ? null : r.baseline().describe());
            results.add(o);
        }

        Files.createDirectories(out.toAbsolutePath().getParent());
        StringBuilder js = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            js.append("  ").append(Json.write(results.get(i))).append(i + 1 < results.size() ? ",\n" : "\n");
        }
        js.append("]\n");
        Files.writeString(out, js);

        Files.writeString(md, render(results, metrics, env, jmh, mode, warnings));
        for (String w : warnings) System.err.println("MergeResults: " + w);
        long measured = results.stream().filter(o -> o.get("ours") != null).count();
        System.err.printf("MergeResults: %d rows (%d with our figure) -> %s, %s%n",
            results.size(), measured, out, md);
    }

    // ------------------------------------------------------------------ lookup + units

    static Double value(Source s, String rowUnit, Map<String, Map<String, Object>> metrics,
                        List<Map<String, Object>> jmh) {
        if (s.kind().equals("metric")) {
            Map<String, Object> m = metrics.get(s.name());
            if (m == null) return null;
            Double v = num(m.get(s.stat()));
            return v == null ? null : convert(v, str(m.get("unit")), rowUnit);
        }
        for (Map<String, Object> b : jmh) {
            String name = str(b.get("benchmark"));
            if (name == null || !(name.equals(s.name()) || name.endsWith("." + s.name()))) continue;
            if (!paramsMatch(s.params(), b.get("params"))) continue;
            Map<String, Object> metric = asMap(b.get("primaryMetric"));
            if (s.secondary() != null) {
                Object sec = asMap(b.get("secondaryMetrics")).get(s.secondary());
                if (sec == null) return null;
                metric = asMap(sec);
            }
            Double v = switch (s.stat()) {
                case "p50" -> num(asMap(metric.get("scorePercentiles")).get("50.0"));
                case "p99" -> num(asMap(metric.get("scorePercentiles")).get("99.0"));
                default -> num(metric.get("score"));
            };
            return v == null ? null : convert(v, str(metric.get("scoreUnit")), rowUnit);
        }
        return null;
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

    /** Converts time-per-op, ops-per-time (to time-per-op) and byte units; unknown units pass through. */
    static double convert(double v, String from, String to) {
        if (from == null || to == null || from.equals(to)) return v;
        Double fromNs = timeNs(from.split("/", 2)[0]), toNs = timeNs(to.split("/", 2)[0]);
        if (fromNs != null && toNs != null) return v * fromNs / toNs;          // "us/op" -> "ns/job"
        String[] f = from.split("/", 2);
        if (f.length == 2 && (f[0].equals("ops") || f[0].equals("op")) && timeNs(f[1]) != null
            && toNs != null && v != 0) {
            return timeNs(f[1]) / v / toNs;                                      // "ops/s" -> "ns/op"
        }
        Double fromB = bytes(from), toB = bytes(to);
        if (fromB != null && toB != null) return v * fromB / toB;               // "B/op" -> "MB"
        return v;
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
                         List<String> warnings) {
        StringBuilder s = new StringBuilder();
        s.append("# asyncjobs benchmark results\n\n");
        s.append("Generated by `async-benchmarks/run.sh").append(mode.equals("quick") ? " --quick" : "")
         .append("` (tools/MergeResults.java from `target/baseline.jsonl` and `target/jmh.json`). ")
         .append("Machine-readable copy: `results/latest.json`.\n\n");

        s.append("## Environment\n\n");
        s.append("| | |\n|---|---|\n");
        s.append("| date | ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append(" |\n");
        s.append("| mode | ").append(mode).append(" |\n");
        String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
            + " (" + System.getProperty("java.vendor") + ")";
        s.append("| JDK (report) | ").append(jdk).append(" |\n");
        if (!jmh.isEmpty()) {
            Map<String, Object> b = jmh.get(0);
            s.append("| JDK (JMH) | ").append(str(b.get("vmName"))).append(" ").append(str(b.get("vmVersion")))
             .append(", JMH ").append(str(b.get("jmhVersion"))).append(" |\n");
        }
        s.append("| OpenSSL | ").append(env.getOrDefault("openssl_version", "not measured")).append(" |\n");
        s.append("| compiler | ").append(env.getOrDefault("compiler", "?")).append(" -O2 |\n");
        s.append("| CPU | ").append(cpuModel()).append(" x ").append(Runtime.getRuntime().availableProcessors())
         .append(" |\n");
        s.append("| kernel | ").append(readFirstLine("/proc/sys/kernel/osrelease")).append(" |\n\n");

        s.append("## Targets (DESIGN.md performance table)\n\n");
        s.append("| what | ours | baseline | ratio | target | pass |\n|---|---:|---|---:|---|---|\n");
        for (Map<String, Object> r : rows) {
            String unit = str(r.get("unit"));
            Double ours = num(r.get("ours")), base = num(r.get("baseline")), nat = num(r.get("native_openssl"));
            String baseText = base == null ? (r.get("baseline_name") == null ? "—" : "not measured ("
                + r.get("baseline_name") + ")") : fmt(base) + " " + unit + " (" + r.get("baseline_name") + ")";
            if (nat != null && !nat.equals(base)) baseText += "; OpenSSL native " + fmt(nat) + " " + unit;
            Object pass = r.get("pass");
            s.append("| ").append(r.get("description"))
             .append(" | ").append(ours == null ? "not measured" : fmt(ours) + " " + unit)
             .append(" | ").append(baseText)
             .append(" | ").append(r.get("ratio") == null ? "—" : fmt(num(r.get("ratio"))) + "x")
             .append(" | ").append(r.get("target"))
             .append(" | ").append(pass == null ? "—" : (Boolean) pass ? "PASS" : "FAIL")
             .append(" |\n");
        }
        s.append("\n");

        s.append("## Native OpenSSL baseline (src/main/c/baseline.c)\n\n");
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
            s.append("\nMethod: pause+resume and start+finish: one sample = the mean over one run of ")
             .append("many iterations, several runs. epoll wake: one sample per wake-up; the writer ")
             .append("thread (pinned to another CPU than the reader) waits until the reader sleeps in ")
             .append("`epoll_wait` (task state `S`), busy-waits ")
             .append("50 us more, timestamps and writes one byte to a pipe; the job timestamps when ")
             .append("resumed. RSS: VmRSS growth over N jobs paused once, in a fresh forked process.\n\n");
        }

        s.append("## All JMH results\n\n");
        if (jmh.isEmpty()) {
            s.append("Not measured (no `target/benchmarks.jar` or no `target/jmh.json`).\n\n");
        } else {
            s.append("| benchmark | params | mode | score | error | unit | p50 | p99 |\n")
             .append("|---|---|---|---:|---:|---|---:|---:|\n");
            for (Map<String, Object> b : jmh) {
                Map<String, Object> pm = asMap(b.get("primaryMetric"));
                Map<String, Object> pc = asMap(pm.get("scorePercentiles"));
                s.append("| ").append(b.get("benchmark"))
                 .append(" | ").append(b.get("params") == null ? "" : paramsText(asMap(b.get("params"))))
                 .append(" | ").append(b.get("mode"))
                 .append(" | ").append(fmtN(pm.get("score")))
                 .append(" | ").append(fmtN(pm.get("scoreError")))
                 .append(" | ").append(pm.get("scoreUnit"))
                 .append(" | ").append(fmtN(pc.get("50.0")))
                 .append(" | ").append(fmtN(pc.get("99.0"))).append(" |\n");
                for (Map.Entry<String, Object> e : asMap(b.get("secondaryMetrics")).entrySet()) {
                    Map<String, Object> sm = asMap(e.getValue());
                    s.append("| ").append(b.get("benchmark")).append(" :").append(e.getKey())
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
