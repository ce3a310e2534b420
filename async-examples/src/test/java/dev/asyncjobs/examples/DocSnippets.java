package dev.asyncjobs.examples;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.jspecify.annotations.Nullable;

/**
 * Extracts the {@code ```java} blocks of Markdown pages and compiles each one with
 * {@link javax.tools.JavaCompiler} against the test class path, so that no code block of the
 * README or of {@code docs/} can rot.
 *
 * <h2>The convention (also stated in docs/README.md)</h2>
 * <ul>
 *   <li>Every fenced block whose info string is {@code java} is compiled. A block that must not be
 *       compiled is fenced {@code ```java-not-compiled} (rare: pseudo-code only). Other languages
 *       ({@code sh}, {@code xml}, {@code text}, none) are not looked at.</li>
 *   <li>A block whose first line of code is {@code package ...} is a whole compilation unit and is
 *       compiled as it stands (file name: its public type's name). If it has a
 *       {@code public static void main(String[])}, the test also runs it.</li>
 *   <li>Any other block is a <b>fragment</b>: its leading {@code import} lines are kept as imports;
 *       the rest becomes the body of {@code void snippet() throws Exception} in a class that has
 *       the {@linkplain #IMPORTS fixed imports} and the page's preludes as members. A fragment
 *       whose first line of code is an annotation or a method header ending in an open brace
 *       declares members instead: it goes into that class's body.</li>
 *   <li>A page's preludes are HTML comments {@code <!-- snippet-prelude: ... -->} that start a
 *       line (one line or several; invisible on GitHub): Java member declarations
 *       ({@code static PrivateKey key;}, helper methods) and {@code import} lines, given to every
 *       fragment of that page.</li>
 * </ul>
 * Each block is compiled on its own ({@code --release 21}, the library's level; warnings are not
 * errors); an error is reported with the page, the Markdown line of the offending code and the
 * line where the block starts.
 */
final class DocSnippets {

    /**
     * The imports every fragment gets, all on demand: a name two of them share (Reactor's and
     * RxJava's {@code Scheduler}) is an error only where it is used, and a single-type import (in
     * the block or a prelude: {@code import io.reactivex.rxjava3.core.Scheduler;}) settles it.
     */
    static final List<String> IMPORTS = List.of(
            "java.io.*",
            "java.nio.*",
            "java.nio.channels.*",
            "java.security.*",
            "java.time.*",
            "java.util.*",
            "java.util.concurrent.*",
            "java.util.function.*",
            "javax.crypto.*",
            "dev.asyncjobs.core.*",
            "dev.asyncjobs.engine.*",
            "dev.asyncjobs.crypto.*",
            "dev.asyncjobs.reactor.*",
            "dev.asyncjobs.rxjava.*",
            "reactor.core.publisher.*",
            "reactor.core.scheduler.*",
            "reactor.util.context.*",
            "io.reactivex.rxjava3.core.*",
            "org.springframework.web.bind.annotation.*");

    private static final Pattern FENCE = Pattern.compile("^(\\s*)```\\s*([^\\s`]*)\\s*$");
    private static final Pattern PRELUDE_START = Pattern.compile("^\\s*<!--\\s*snippet-prelude:(.*)$");
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?[\\w.*]+\\s*;\\s*$");
    /** A first line that declares a member: an annotation, or a method header ending in an open brace. */
    private static final Pattern MEMBER = Pattern.compile(
            "^(@\\w.*|(?:(?:public|protected|private|static|final|synchronized)\\s+)*[\\w<>\\[\\]?,. ]+\\s+\\w+\\s*\\(.*\\)\\s*(?:throws\\s+[\\w., ]+)?\\{)$");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
    private static final Pattern MAIN = Pattern.compile("public\\s+static\\s+void\\s+main\\s*\\(\\s*String\\s*\\[\\]\\s*\\w+\\s*\\)");
    private static final Pattern PUBLIC_TYPE =
            Pattern.compile("(?m)^public\\s+(?:(?:final|abstract|sealed|non-sealed)\\s+)*(?:class|interface|record|enum)\\s+(\\w+)");

    /** A line of text with the Markdown line it came from (1-based). */
    record Line(String text, int mdLine) {
    }

    /** One {@code ```java} block: the page, the line of its opening fence, its lines. */
    record Block(String page, int fenceLine, List<Line> lines) {
    }

    /** A page's blocks, its preludes and how many blocks it marked not to compile. */
    record Page(String name, List<Block> blocks, List<Line> prelude, int notCompiled) {
    }

    /** A block that is a complete program: its class (binary name) was compiled into {@code classes}. */
    record Program(String page, int fenceLine, String mainClass, Path classes) {
        @Override
        public String toString() {
            return page + ":" + fenceLine + " " + mainClass;
        }
    }

    /** What {@link #compile} found: the errors, and the complete programs that compiled. */
    record Result(List<Failure> failures, List<Program> programs) {
    }

    /** A compile error, located in the Markdown page. */
    record Failure(String page, int mdLine, int fenceLine, String message) {
        @Override
        public String toString() {
            return page + ":" + mdLine + " (block at line " + fenceLine + "): " + message;
        }
    }

    private DocSnippets() {
    }

    /** Reads a page from disk; its name in reports is {@code name}. */
    static Page read(Path file, String name) {
        try {
            return parse(name, Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Splits a Markdown page into its {@code ```java} blocks and preludes. */
    static Page parse(String name, String markdown) {
        List<String> lines = markdown.lines().toList();
        List<Block> blocks = new ArrayList<>();
        List<Line> prelude = new ArrayList<>();
        int notCompiled = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher p = PRELUDE_START.matcher(line);
            if (p.find()) {
                String rest = p.group(1);
                int lineNo = i + 1;
                while (true) {
                    int end = rest.indexOf("-->");
                    if (end >= 0) {
                        prelude.add(new Line(rest.substring(0, end), lineNo));
                        break;
                    }
                    prelude.add(new Line(rest, lineNo));
                    i++;
                    if (i >= lines.size()) {
                        throw new IllegalArgumentException(name + ":" + lineNo + ": unterminated snippet-prelude");
                    }
                    rest = lines.get(i);
                    lineNo = i + 1;
                }
                continue;
            }
            Matcher f = FENCE.matcher(line);
            if (!f.matches()) {
                continue;
            }
            String indent = f.group(1);
            String info = f.group(2).toLowerCase(Locale.ROOT);
            int fenceLine = i + 1;
            List<Line> body = new ArrayList<>();
            i++;
            while (i < lines.size() && !lines.get(i).trim().equals("```")) {
                String l = lines.get(i);
                body.add(new Line(l.startsWith(indent) ? l.substring(indent.length()) : l.stripLeading(), i + 1));
                i++;
            }
            if (i >= lines.size()) {
                throw new IllegalArgumentException(name + ":" + fenceLine + ": unterminated code block");
            }
            if (info.equals("java")) {
                blocks.add(new Block(name, fenceLine, body));
            } else if (info.equals("java-not-compiled")) {
                notCompiled++;
            }
        }
        return new Page(name, List.copyOf(blocks), List.copyOf(prelude), notCompiled);
    }

    /** Compiles every block of the pages, each on its own; returns the errors (none: all compile). */
    static List<Failure> compile(List<Page> pages, String classPath, Path outputDir) {
        return compileAll(pages, classPath, outputDir).failures();
    }

    /** Compiles every block of the pages, each on its own, into a directory of its own under {@code outputDir}. */
    static Result compileAll(List<Page> pages, String classPath, Path outputDir) {
        JavaCompiler javac = Objects.requireNonNull(ToolProvider.getSystemJavaCompiler(),
                "no system Java compiler: run the tests on a JDK");
        List<Failure> failures = new ArrayList<>();
        List<Program> programs = new ArrayList<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8)) {
            files.setLocation(StandardLocation.CLASS_PATH,
                    splitPath(classPath).stream().map(File::new).toList());
            int n = 0;
            for (Page page : pages) {
                for (Block block : page.blocks()) {
                    Path out = outputDir.resolve("b" + n++);
                    Files.createDirectories(out);
                    files.setLocation(StandardLocation.CLASS_OUTPUT, List.of(out.toFile()));
                    List<Failure> errors = compileOne(javac, files, page, block);
                    failures.addAll(errors);
                    String main = mainClass(block);
                    if (errors.isEmpty() && main != null) {
                        programs.add(new Program(page.name(), block.fenceLine(), main, out));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Result(List.copyOf(failures), List.copyOf(programs));
    }

    /** The binary name of a compilation unit's public class when it has a {@code main}, else {@code null}. */
    static @Nullable String mainClass(Block block) {
        String all = String.join("\n", block.lines().stream().map(Line::text).toList());
        Matcher pkg = PACKAGE.matcher(all);
        Matcher type = PUBLIC_TYPE.matcher(all);
        if (!pkg.find() || !type.find() || !MAIN.matcher(all).find()) {
            return null;
        }
        return pkg.group(1) + "." + type.group(1);
    }

    private static List<Failure> compileOne(JavaCompiler javac, StandardJavaFileManager files, Page page, Block block) {
        Source source = source(page, block);
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = List.of("--release", "21", "-proc:none", "-implicit:none", "-Xlint:none",
                "-encoding", "UTF-8");
        boolean ok = javac.getTask(null, files, diagnostics, options, null, List.of(source)).call();
        List<Failure> failures = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                int md = source.mdLine((int) d.getLineNumber(), block.fenceLine());
                failures.add(new Failure(block.page(), md, block.fenceLine(),
                        String.join(" ", d.getMessage(Locale.ROOT).lines().map(String::strip).toList())));
            }
        }
        if (!ok && failures.isEmpty()) {
            failures.add(new Failure(block.page(), block.fenceLine(), block.fenceLine(), "javac failed with no error reported"));
        }
        return failures;
    }

    /** The Java source javac sees for a block, and the Markdown line of each of its lines. */
    static Source source(Page page, Block block) {
        List<Line> code = block.lines();
        String first = code.stream().map(l -> l.text().strip())
                .filter(t -> !t.isEmpty() && !t.startsWith("//") && !t.startsWith("/*") && !t.startsWith("*"))
                .findFirst().orElse("");
        List<Line> out = new ArrayList<>();
        String fileName;
        if (first.startsWith("package ")) {
            out.addAll(code);
            String all = String.join("\n", code.stream().map(Line::text).toList());
            Matcher m = PUBLIC_TYPE.matcher(all);
            fileName = m.find() ? m.group(1) : "Snippet";
        } else {
            fileName = "Snippet";
            int wrapper = block.fenceLine();
            int i = 0;
            // the block's own leading imports, then the page's, then the fixed list
            while (i < code.size() && (code.get(i).text().isBlank() || IMPORT.matcher(code.get(i).text()).matches())) {
                out.add(code.get(i));
                i++;
            }
            List<Line> members = new ArrayList<>();
            for (Line l : page.prelude()) {
                (IMPORT.matcher(l.text()).matches() ? out : members).add(l);
            }
            for (String imp : IMPORTS) {
                out.add(new Line("import " + imp + ";", wrapper));
            }
            out.add(new Line("@SuppressWarnings(\"all\") class Snippet {", wrapper));
            out.addAll(members);
            String firstOfBody = code.subList(i, code.size()).stream().map(l -> l.text().strip())
                    .filter(t -> !t.isEmpty() && !t.startsWith("//")).findFirst().orElse("");
            boolean declaresMembers = MEMBER.matcher(firstOfBody).matches();
            if (!declaresMembers) {
                out.add(new Line("void snippet() throws Exception {", wrapper));
            }
            out.addAll(code.subList(i, code.size()));
            out.add(new Line(declaresMembers ? "}" : "}}", wrapper));
        }
        return new Source(fileName, out);
    }

    private static List<String> splitPath(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split(Pattern.quote(File.pathSeparator))) {
            if (!p.isBlank()) {
                parts.add(p);
            }
        }
        return parts;
    }

    /** An in-memory source file that remembers where each of its lines came from. */
    static final class Source extends SimpleJavaFileObject {
        private final List<Line> lines;

        Source(String typeName, List<Line> lines) {
            super(URI.create("string:///" + typeName + Kind.SOURCE.extension), Kind.SOURCE);
            this.lines = List.copyOf(lines);
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            StringBuilder sb = new StringBuilder();
            for (Line l : lines) {
                sb.append(l.text()).append('\n');
            }
            return sb;
        }

        /** The Markdown line of the source's line {@code javacLine} (1-based), else {@code fallback}. */
        int mdLine(int javacLine, int fallback) {
            return javacLine >= 1 && javacLine <= lines.size() ? lines.get(javacLine - 1).mdLine() : fallback;
        }
    }
}
