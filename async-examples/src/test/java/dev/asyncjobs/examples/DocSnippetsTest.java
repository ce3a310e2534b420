package dev.asyncjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.asyncjobs.examples.DocSnippets.Failure;
import dev.asyncjobs.examples.DocSnippets.Page;
import dev.asyncjobs.examples.DocSnippets.Program;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md and docs/*.md compiles against today's API (the
 * convention is {@link DocSnippets}'), and every relative link of those pages leads to a file that
 * exists. The other tests here prove the checker itself can fail, and says where.
 */
class DocSnippetsTest {

    /** The pages the README links to; each must exist and hold at least one compiled block. */
    private static final List<String> PAGES = List.of("openssl-api.md", "job-loops.md", "reactor.md", "rxjava.md",
            "engine-and-crypto.md", "examples.md", "blockhound.md", "guarantees.md", "benchmarks.md");

    /** Pages without Java of their own (index, figures, guarantees). */
    private static final List<String> NO_JAVA = List.of("README.md", "benchmarks.md", "guarantees.md");

    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @TempDir
    Path out;

    @TempDir
    static Path docsOut;

    /** The docs' blocks, compiled once for the tests that need them. */
    private static DocSnippets.Result docs;

    private static synchronized DocSnippets.Result docs() {
        if (docs == null) {
            docs = DocSnippets.compileAll(pages(), classPath(), docsOut);
        }
        return docs;
    }

    /** The project root: surefire runs the tests in the module's directory. */
    private static Path root() {
        Path module = Path.of("").toAbsolutePath();
        Path root = module.getParent();
        assertThat(root.resolve("README.md")).as("the project's README next to %s", module).isRegularFile();
        return root;
    }

    private static List<Path> markdownFiles() {
        Path root = root();
        List<Path> all = new ArrayList<>();
        all.add(root.resolve("README.md"));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(all::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    private static List<Page> pages() {
        Path root = root();
        return markdownFiles().stream().map(p -> DocSnippets.read(p, root.relativize(p).toString())).toList();
    }

    private static String classPath() {
        // surefire's own manifest-only jar hides the real class path in some set-ups; this names it
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    @Test
    void everyJavaBlockCompiles() {
        List<Page> pages = pages();
        int blocks = pages.stream().mapToInt(p -> p.blocks().size()).sum();
        int notCompiled = pages.stream().mapToInt(Page::notCompiled).sum();
        List<Failure> failures = docs().failures();
        assertThat(failures)
                .as("%d java blocks compiled; these do not compile against today's API:%n%s", blocks,
                        String.join(System.lineSeparator(), failures.stream().map(Failure::toString).toList()))
                .isEmpty();
        // the check is worth something only if it found the blocks, and kept the escape hatch rare
        assertThat(blocks).isGreaterThanOrEqualTo(20);
        assertThat(notCompiled).as("blocks marked java-not-compiled").isLessThanOrEqualTo(2);
    }

    /**
     * The complete programs the pages start from run to their end (within a minute, no spinning
     * wait can hide) and print what they computed; a program that throws fails with its page.
     */
    @Test
    void everyCompleteProgramRuns() throws Exception {
        List<Program> programs = docs().programs();
        assertThat(programs).extracting(Program::mainClass).contains("example.FirstJob", "example.LaunchOnLoops",
                "example.SignWithReactor", "example.SignWithRxJava", "example.EngineAndCrypto");
        PrintStream stdout = System.out;
        for (Program program : programs) {
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            try (URLClassLoader loader = new URLClassLoader(new URL[] {program.classes().toUri().toURL()},
                    getClass().getClassLoader())) {
                Method main = loader.loadClass(program.mainClass()).getMethod("main", String[].class);
                System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                    try {
                        main.invoke(null, (Object) new String[0]);
                    } catch (InvocationTargetException e) {
                        throw new AssertionError(program + " threw", e.getCause());
                    }
                }, () -> program + " did not end");
            } finally {
                System.setOut(stdout);
            }
            assertThat(printed.toString(StandardCharsets.UTF_8)).as("what %s printed", program).isNotBlank();
        }
    }

    @Test
    void theReadmeAndEveryDocsPageHaveJava() {
        Path root = root();
        for (String name : PAGES) {
            assertThat(root.resolve("docs").resolve(name)).as("docs/" + name).isRegularFile();
        }
        for (Page page : pages()) {
            String file = Path.of(page.name()).getFileName().toString();
            if (page.name().equals("README.md") || !NO_JAVA.contains(file)) {
                assertThat(page.blocks()).as("%s starts from code and has compiled java blocks", page.name()).isNotEmpty();
            }
        }
    }

    @Test
    void readmeStaysSmall() throws IOException {
        assertThat(Files.size(root().resolve("README.md"))).as("README.md bytes").isLessThanOrEqualTo(12 * 1024);
    }

    @Test
    void relativeLinksLeadToFiles() throws IOException {
        Path root = root();
        List<String> broken = new ArrayList<>();
        for (Path md : markdownFiles()) {
            List<String> lines = Files.readAllLines(md, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = LINK.matcher(lines.get(i));
                while (m.find()) {
                    String target = m.group(1);
                    if (target.startsWith("#") || URI.create(target.replace(" ", "%20")).getScheme() != null) {
                        continue;
                    }
                    String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                    if (!Files.exists(md.getParent().resolve(file))) {
                        broken.add(root.relativize(md) + ":" + (i + 1) + ": " + target);
                    }
                }
            }
        }
        assertThat(broken).as("links to files that do not exist").isEmpty();
    }

    // ---- the checker itself ----

    @Test
    void aBlockThatDoesNotCompileIsReportedWithPageAndLine() {
        String md = """
                # page

                ```java
                int ok = 1;
                String s = ok;
                ```
                """;
        List<Failure> failures = DocSnippets.compile(List.of(DocSnippets.parse("broken.md", md)), classPath(), out);
        assertThat(failures).hasSize(1);
        assertThat(failures.get(0).page()).isEqualTo("broken.md");
        assertThat(failures.get(0).mdLine()).isEqualTo(5);
        assertThat(failures.get(0).fenceLine()).isEqualTo(3);
        assertThat(failures.get(0).toString()).startsWith("broken.md:5 (block at line 3): ").contains("incompatible types");
    }

    @Test
    void aCompilationUnitIsCompiledAsItStandsAndErrorsPointIntoIt() {
        String md = """
                ```java
                package example;

                public final class Hello {
                    public static void main(String[] args) {
                        System.out.println(undefinedName);
                    }
                }
                ```
                """;
        List<Failure> failures = DocSnippets.compile(List.of(DocSnippets.parse("unit.md", md)), classPath(), out);
        assertThat(failures).extracting(Failure::mdLine).containsExactly(6);
        assertThat(failures.get(0).message()).contains("undefinedName");

        String fixed = md.replace("undefinedName", "\"hello\"");
        assertThat(DocSnippets.compile(List.of(DocSnippets.parse("unit.md", fixed)), classPath(), out)).isEmpty();
    }

    @Test
    void fragmentsGetTheFixedImportsTheirOwnImportsAndThePagePrelude() {
        String md = """
                <!-- snippet-prelude:
                import java.util.concurrent.atomic.AtomicInteger;
                static AtomicInteger counter = new AtomicInteger();
                static int twice(int x) { return 2 * x; }
                -->
                ```java
                import java.util.stream.IntStream;
                Mono<Integer> m = AsyncMono.fromJob(() -> twice(counter.incrementAndGet()));
                int sum = IntStream.of(1, 2).sum();
                ```
                ```java-not-compiled
                this is not Java at all
                ```
                ```sh
                echo not Java either
                ```
                """;
        Page page = DocSnippets.parse("prelude.md", md);
        assertThat(page.blocks()).hasSize(1);
        assertThat(page.notCompiled()).isEqualTo(1);
        assertThat(DocSnippets.compile(List.of(page), classPath(), out)).isEmpty();

        // without the prelude the same block does not compile, and the error names the block's line
        Page bare = DocSnippets.parse("bare.md", md.substring(md.indexOf("```java")));
        assertThat(DocSnippets.compile(List.of(bare), classPath(), out))
                .extracting(Failure::mdLine).contains(3);
    }
}
