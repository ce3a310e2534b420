package dev.asyncjobs.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * asyncjobs-bom has no parent (so the parent's third-party versions do not leak into users' builds),
 * hence nothing keeps it in step with the build by itself: this checks that it lists every library
 * module (a module with a module-info.java, the same test the parent's {@code library} profile uses)
 * and nothing else, at the parent's version. Lives here because this module is built early and has
 * no dependency that could hide a missing entry.
 */
class BomTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /**
     * The one published module without a module-info: a Spring Boot auto-configuration runs on the
     * class path (Boot scans META-INF/spring/*.imports there), so users import it from the BOM too.
     */
    private static final String STARTER = "asyncjobs-spring-boot-starter";

    @Test
    void theBomListsExactlyTheLibraryModulesAtTheParentsVersion() throws Exception {
        Document parent = parse(ROOT.resolve("pom.xml"));
        Document bom = parse(ROOT.resolve("asyncjobs-bom/pom.xml"));

        List<String> libraries = new ArrayList<>();
        NodeList modules = parent.getElementsByTagName("module"); // the default list and the profiles'
        for (int i = 0; i < modules.getLength(); i++) {
            String module = modules.item(i).getTextContent().trim();
            if (Files.exists(ROOT.resolve(module).resolve("src/main/java/module-info.java"))
                    || STARTER.equals(module)) {
                libraries.add(module);
            }
        }
        assertThat(libraries).as("library modules found").contains("async-core", "async-reactor", "async-rxjava");

        Element bomProject = bom.getDocumentElement();
        assertThat(child(bomProject, "parent")).as("the BOM has no parent").isNull();
        String parentVersion = text(parent.getDocumentElement(), "version");
        assertThat(text(bomProject, "version")).as("the BOM's version").isEqualTo(parentVersion);

        List<String> listed = new ArrayList<>();
        NodeList deps = bom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            assertThat(text(d, "groupId")).isEqualTo("dev.asyncjobs");
            assertThat(text(d, "version")).isEqualTo("${project.version}");
            listed.add(text(d, "artifactId"));
        }
        assertThat(listed).as("the BOM's entries: the library modules, each once").containsExactlyInAnyOrderElementsOf(libraries);
    }

    private static Document parse(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(pom.toFile());
    }

    private static Element child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        assertThat(e).as("<%s> in <%s>", name, parent.getTagName()).isNotNull();
        return e.getTextContent().trim();
    }
}
