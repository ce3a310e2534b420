package dev.asyncjobs.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of async-core, as {@code dev/asyncjobs/core/package-info.java} writes them down,
 * enforced on the sources (as RxJava's {@code validators/} tests do): a class of a lower layer
 * that names a class of a higher one, or an engine class that reaches past the public API, fails
 * the build with the file and line.
 *
 * <ol>
 *   <li>The OpenSSL API and {@code .internal}: may name no class of layers 2 and 3.</li>
 *   <li>The loop runtime: may name no class of layer 3 ({@code dev.asyncjobs.engine}).</li>
 *   <li>The engine: may name no package-private type of {@code dev.asyncjobs.core} and nothing of
 *       {@code .internal}, and may not use reflection to get at them. (Package-private members
 *       of public types are out of its reach anyway: it is another package, javac refuses.)</li>
 * </ol>
 * Comments and string literals do not count: a javadoc link to a higher layer is documentation,
 * not a dependency. Each rule is also run on a made-up source that breaks it, so the test is seen
 * to fail where it should.
 */
class LayerRulesTest {
    private static final Path MAIN = Path.of("src/main/java");
    private static final Path CORE = MAIN.resolve("dev/asyncjobs/core");
    private static final Path INTERNAL = CORE.resolve("internal");
    private static final Path ENGINE = MAIN.resolve("dev/asyncjobs/engine");
    private static final String ENGINE_PACKAGE = "dev.asyncjobs.engine";
    private static final String INTERNAL_PACKAGE = "dev.asyncjobs.core.internal";
    private static final Set<String> REFLECTION = Set.of("setAccessible", "privateLookupIn", "getDeclaredField",
            "getDeclaredFields", "getDeclaredMethod", "getDeclaredMethods", "getDeclaredConstructor", "Unsafe");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*");
    private static final Pattern TOP_LEVEL = Pattern.compile(
            "^((?:public|final|abstract|sealed|non-sealed|static|strictfp)\\s+)*(class|interface|enum|record)\\s+(\\w+)",
            Pattern.MULTILINE);

    // ---------------------------------------------------------------- the rules, on the real sources

    @Test
    void everyClassOfThePackageHasExactlyOneLayer() {
        Map<String, Integer> layers = layersFromPackageInfo();
        Set<String> files = new TreeSet<>(classNames(CORE));
        assertThat(layers.keySet()).as("classes package-info lists (layers 1 and 2) vs the package's files")
                .containsExactlyInAnyOrderElementsOf(files);
        assertThat(layers.values()).allSatisfy(l -> assertThat(l).isBetween(1, 2));
    }

    @Test
    void noClassOfALowerLayerNamesOneOfAHigherLayer() {
        Map<String, Integer> layers = layersFromPackageInfo();
        Set<String> engine = new TreeSet<>(classNames(ENGINE));
        List<String> violations = new ArrayList<>();
        for (Path f : javaFiles(CORE)) {
            String name = className(f);
            int layer = f.startsWith(INTERNAL) ? 1 : layers.getOrDefault(name, 0);
            violations.addAll(lowerLayerViolations(relative(f), layer, read(f), layers, engine));
        }
        assertThat(violations).as("layer violations").isEmpty();
    }

    @Test
    void theEngineUsesThePublicApiOnly() {
        Set<String> packagePrivate = packagePrivateTypes(CORE);
        assertThat(packagePrivate).as("sanity: the core has package-private types").contains("ThreadState", "JobRunner");
        List<String> violations = new ArrayList<>();
        for (Path f : javaFiles(ENGINE)) {
            violations.addAll(engineViolations(relative(f), read(f), packagePrivate));
        }
        assertThat(violations).as("engine violations").isEmpty();
    }

    // ---------------------------------------------------------------- the rules fail where they should

    @Test
    void aLowerLayerNamingAHigherOneIsReportedWithFileAndLine() {
        Map<String, Integer> layers = Map.of("AsyncWaitCtx", 1, "JobLoop", 2, "FdWatcher", 2);
        String source = """
                package dev.asyncjobs.core;

                /** Mentions {@link JobLoop} in a comment: fine. */
                final class AsyncWaitCtx {
                    String s = "FdWatcher in a string: fine";
                    FdWatcher.CtxWatch watch; // a back door
                    Object o = dev.asyncjobs.engine.OffloadEngine.class;
                }
                """;
        List<String> v = lowerLayerViolations("AsyncWaitCtx.java", 1, source, layers, Set.of("OffloadEngine"));
        assertThat(v).containsExactly(
                "AsyncWaitCtx.java:6: layer 1 names FdWatcher (layer 2)",
                "AsyncWaitCtx.java:7: layer 1 names dev.asyncjobs.engine (layer 3)",
                "AsyncWaitCtx.java:7: layer 1 names OffloadEngine (layer 3)");
        assertThat(lowerLayerViolations("JobLoop.java", 2, "class JobLoop {\n  OffloadEngine e;\n}\n", layers,
                Set.of("OffloadEngine"))).containsExactly("JobLoop.java:2: layer 2 names OffloadEngine (layer 3)");
        assertThat(lowerLayerViolations("Unlisted.java", 0, "class Unlisted {}", layers, Set.of()))
                .containsExactly("Unlisted.java:1: no layer in package-info.java");
    }

    @Test
    void anEngineReachingPastThePublicApiIsReportedWithFileAndLine() {
        String source = """
                package dev.asyncjobs.engine;

                import dev.asyncjobs.core.AsyncJob;
                import dev.asyncjobs.core.internal.Fibers;

                final class Sneaky {
                    void f() throws Exception {
                        ThreadState ts = null; /* ThreadState in a comment: fine */
                        AsyncJob.class.getDeclaredField("blockCount").setAccessible(true);
                    }
                }
                """;
        assertThat(engineViolations("Sneaky.java", source, Set.of("ThreadState", "JobRunner"))).containsExactly(
                "Sneaky.java:4: the engine uses dev.asyncjobs.core.internal",
                "Sneaky.java:8: the engine names ThreadState (package-private in dev.asyncjobs.core)",
                "Sneaky.java:9: the engine uses reflection (getDeclaredField)",
                "Sneaky.java:9: the engine uses reflection (setAccessible)");
        assertThat(engineViolations("Split.java", "package dev.asyncjobs.core;\nclass Split {}\n", Set.of()))
                .containsExactly("Split.java:1: an engine source outside package dev.asyncjobs.engine");
    }

    // ---------------------------------------------------------------- checks

    static List<String> lowerLayerViolations(String file, int layer, String source, Map<String, Integer> layers,
            Set<String> engineClasses) {
        List<String> out = new ArrayList<>();
        if (layer == 0) {
            out.add(file + ":1: no layer in package-info.java");
            return out;
        }
        String[] lines = strip(source).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.contains(ENGINE_PACKAGE)) {
                out.add(file + ":" + (i + 1) + ": layer " + layer + " names " + ENGINE_PACKAGE + " (layer 3)");
            }
            Set<String> seen = new TreeSet<>();
            Matcher m = TOKEN.matcher(line);
            while (m.find()) {
                String t = m.group();
                Integer other = layers.get(t);
                if (other == null && engineClasses.contains(t)) {
                    other = 3;
                }
                if (other != null && other > layer && seen.add(t)) {
                    out.add(file + ":" + (i + 1) + ": layer " + layer + " names " + t + " (layer " + other + ")");
                }
            }
        }
        return out;
    }

    static List<String> engineViolations(String file, String source, Set<String> packagePrivateCoreTypes) {
        List<String> out = new ArrayList<>();
        String[] lines = strip(source).split("\n", -1);
        boolean packageSeen = false;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String where = file + ":" + (i + 1) + ": ";
            if (line.strip().startsWith("package ")) {
                packageSeen = true;
                if (!line.strip().equals("package " + ENGINE_PACKAGE + ";")) {
                    out.add(where + "an engine source outside package " + ENGINE_PACKAGE);
                }
            }
            if (line.contains(INTERNAL_PACKAGE)) {
                out.add(where + "the engine uses " + INTERNAL_PACKAGE);
            }
            Set<String> seen = new TreeSet<>();
            Matcher m = TOKEN.matcher(line);
            while (m.find()) {
                String t = m.group();
                if (packagePrivateCoreTypes.contains(t) && seen.add(t)) {
                    out.add(where + "the engine names " + t + " (package-private in dev.asyncjobs.core)");
                } else if (REFLECTION.contains(t) && seen.add(t)) {
                    out.add(where + "the engine uses reflection (" + t + ")");
                }
            }
        }
        if (!packageSeen) {
            out.add(file + ":1: no package declaration");
        }
        return out;
    }

    /**
     * The source with comments, string and char literals and text blocks blanked out (newlines
     * kept, so line numbers stay right).
     */
    static String strip(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
                while (i < n && s.charAt(i) != '\n') {
                    out.append(' ');
                    i++;
                }
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(s, i, end, out);
                i = end;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                while (end > 0 && s.charAt(end - 1) == '\\') {
                    end = s.indexOf("\"\"\"", end + 1);
                }
                end = end < 0 ? n : end + 3;
                blank(s, i, end, out);
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && s.charAt(j) != c && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                int end = Math.min(n, j + 1);
                blank(s, i, end, out);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static void blank(String s, int from, int to, StringBuilder out) {
        for (int k = from; k < to; k++) {
            out.append(s.charAt(k) == '\n' ? '\n' : ' ');
        }
    }

    // ---------------------------------------------------------------- sources

    /** Layer of each class of dev.asyncjobs.core: the n-th item of the "Layers" list of package-info. */
    static Map<String, Integer> layersFromPackageInfo() {
        String doc = read(CORE.resolve("package-info.java")).replaceAll("\n\\s*\\*", " ");
        int start = doc.indexOf("<h2>Layers</h2>");
        assertThat(start).as("package-info.java has a <h2>Layers</h2> section").isNotNegative();
        int end = doc.indexOf("</ol>", start);
        String[] items = doc.substring(start, end).split("<li>");
        Set<String> files = new TreeSet<>(classNames(CORE));
        Map<String, Integer> layers = new LinkedHashMap<>();
        Pattern code = Pattern.compile("\\{@code\\s+([A-Z]\\w*)}");
        for (int layer = 1; layer < items.length; layer++) {
            Matcher m = code.matcher(items[layer]);
            while (m.find()) {
                String name = m.group(1);
                if (!files.contains(name)) {
                    continue; // a word in code font that is not a class of the package
                }
                Integer before = layers.putIfAbsent(name, layer);
                assertThat(before == null || before == layer).as("%s is listed in two layers", name).isTrue();
            }
        }
        return layers;
    }

    private static Set<String> packagePrivateTypes(Path dir) {
        Set<String> out = new TreeSet<>();
        for (Path f : javaFiles(dir)) {
            Matcher m = TOP_LEVEL.matcher(strip(read(f)));
            if (m.find() && (m.group(1) == null || !m.group(0).contains("public"))) {
                out.add(m.group(3));
            }
        }
        return out;
    }

    private static List<String> classNames(Path dir) {
        return javaFiles(dir).stream().filter(f -> f.getParent().equals(dir)).map(LayerRulesTest::className).toList();
    }

    private static String className(Path f) {
        String n = f.getFileName().toString();
        return n.substring(0, n.length() - ".java".length());
    }

    /** The .java files under {@code dir} (internal included for the core), package-info excluded. */
    private static List<Path> javaFiles(Path dir) {
        assertThat(dir).as("run from the async-core module directory").isDirectory();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !p.getFileName().toString().equals("package-info.java"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String relative(Path f) {
        return MAIN.relativize(f).toString();
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
