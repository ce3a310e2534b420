package dev.asyncjobs.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;

/**
 * Writes measurement lines in the native baseline's format (one JSON object per line:
 * {@code "type":"metric"}, metric, unit, median, p25, p75, min, max, p99, samples, extra fields,
 * description), which {@code tools/MergeResults.java} reads from {@code target/*.metrics.jsonl}.
 */
final class Metrics {
    private Metrics() {
    }

    /** Nearest-rank percentile of a sorted array, as baseline.c computes it. */
    static double pct(double[] sorted, double q) {
        int i = (int) (q * (sorted.length - 1) + 0.5);
        return sorted[Math.min(i, sorted.length - 1)];
    }

    /**
     * Appends one metric line to {@code out}.
     *
     * @param values the samples (sorted in place)
     * @param withP99 whether p99 means anything for these samples
     * @param extraJson more {@code "key":value} pairs without braces, or empty
     */
    static void append(Path out, String metric, String unit, double[] values, boolean withP99, String extraJson,
            String description) throws IOException {
        Arrays.sort(values);
        StringBuilder s = new StringBuilder();
        s.append("{\"type\":\"metric\",\"metric\":\"").append(metric).append("\",\"unit\":\"").append(unit)
                .append("\",");
        num(s, "median", pct(values, 0.5));
        num(s, "p25", pct(values, 0.25));
        num(s, "p75", pct(values, 0.75));
        num(s, "min", values[0]);
        num(s, "max", values[values.length - 1]);
        if (withP99) {
            num(s, "p99", pct(values, 0.99));
        } else {
            s.append("\"p99\":null,");
        }
        s.append("\"samples\":").append(values.length).append(',');
        if (!extraJson.isEmpty()) {
            s.append(extraJson).append(',');
        }
        s.append("\"description\":\"").append(description.replace("\"", "'")).append("\"}\n");
        Files.writeString(out, s, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.err.print(s);
    }

    private static void num(StringBuilder s, String name, double v) {
        s.append('"').append(name).append("\":").append(String.format(Locale.ROOT, "%.1f", v)).append(',');
    }
}
