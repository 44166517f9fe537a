package dev.tandem.deepseek.readme;

import dev.tandem.deepseek.serving.DeepSeekEngine;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a new user copies from the README works: every Java block compiles as a consumer's own source file
 * (in the unnamed module, through {@code import module}) against the built Tandem modules, and the parent POM
 * is a bill of materials listing every published module, as the README's dependency snippet imports it.
 */
class ReadmeSnippetsTest {
    private static final Pattern FENCE = Pattern.compile("```(java|xml)\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern CLASS = Pattern.compile("public class (\\w+)");

    private static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.exists(dir.resolve("runtime-core")))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("repository root above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    private static List<String> blocks(String language) throws Exception {
        String readme = Files.readString(root().resolve("README.md"));
        List<String> found = new ArrayList<>();
        Matcher m = FENCE.matcher(readme);
        while (m.find()) {
            if (m.group(1).equals(language)) {
                found.add(m.group(2));
            }
        }
        return found;
    }

    private static String location(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    @Test
    void everyJavaBlockCompilesAsAConsumerSourceFile(@TempDir Path dir) throws Exception {
        List<String> snippets = blocks("java");
        assertThat(snippets).as("Java blocks in the README").hasSizeGreaterThanOrEqualTo(2);
        List<Path> sources = new ArrayList<>();
        for (String snippet : snippets) {
            Matcher name = CLASS.matcher(snippet);
            assertThat(name.find()).as("a README Java block is a whole source file:\n" + snippet).isTrue();
            Path file = dir.resolve("src").resolve(name.group(1) + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, snippet);
            sources.add(file);
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        String modulePath = location(TandemRuntime.class) + File.pathSeparator + location(DeepSeekEngine.class);
        List<String> options = List.of("--module-path", modulePath, "--add-modules", "dev.tandem.deepseek",
                "-d", dir.resolve("classes").toString(), "-Xlint:all,-incubating", "-Werror");
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, files, diagnostics, options, null,
                    files.getJavaFileObjectsFromPaths(sources)).call();
            assertThat(ok).as("README snippets compile:\n" + diagnostics.getDiagnostics()).isTrue();
        }
    }

    @Test
    void theParentPomIsTheBomTheReadmeImports() throws Exception {
        Document pom = parse(Files.readString(root().resolve("pom.xml")));
        Element project = pom.getDocumentElement();
        String version = child(project, "version").getTextContent();
        Set<String> modules = new LinkedHashSet<>();
        for (Element m : children(child(project, "modules"), "module")) {
            modules.add(m.getTextContent());
        }
        modules.remove("jmh");   // benchmarks: built and run here, not a dependency
        Set<String> managed = new LinkedHashSet<>();
        for (Element d : children(child(child(project, "dependencyManagement"), "dependencies"), "dependency")) {
            assertThat(child(d, "groupId").getTextContent()).as("the BOM manages Tandem modules only")
                    .isEqualTo("dev.tandem");
            assertThat(child(d, "version").getTextContent()).isEqualTo("${project.version}");
            assertThat(child(d, "scope")).as("a BOM entry forces no scope").isNull();
            managed.add(child(d, "artifactId").getTextContent());
        }
        assertThat(managed).as("every published module is in the BOM").containsExactlyInAnyOrderElementsOf(modules);
        assertThat(children(child(project, "licenses"), "license")).hasSize(1);
        assertThat(Files.readString(root().resolve("LICENSE"))).contains("Apache License").contains("Version 2.0");

        String snippet = blocks("xml").getFirst();
        Element readme = parse("<root>" + snippet + "</root>").getDocumentElement();
        Element bom = children(child(child(readme, "dependencyManagement"), "dependencies"), "dependency").getFirst();
        assertThat(child(bom, "artifactId").getTextContent()).isEqualTo(child(project, "artifactId").getTextContent());
        assertThat(child(bom, "version").getTextContent()).isEqualTo(version);
        assertThat(child(bom, "type").getTextContent()).isEqualTo("pom");
        assertThat(child(bom, "scope").getTextContent()).isEqualTo("import");
        for (Element d : children(child(readme, "dependencies"), "dependency")) {
            assertThat(child(d, "version")).as("versions come from the BOM").isNull();
            assertThat(managed).contains(child(d, "artifactId").getTextContent());
        }
    }

    private static Document parse(String xml) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        return found.isEmpty() ? null : found.getFirst();
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE && nodes.item(i).getNodeName().equals(name)) {
                found.add((Element) nodes.item(i));
            }
        }
        return found;
    }
}
