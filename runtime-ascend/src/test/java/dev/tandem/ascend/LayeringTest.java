package dev.tandem.ascend;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The three layers: only {@code dev.tandem.ascend.internal} (the checked-call layer) may use the jextract-generated
 * {@code dev.tandem.ascend.ffi.*} classes. Reads the constant pools of the compiled classes, so a reference through
 * a descriptor, a method handle or a nested class counts as well as one in source.
 */
class LayeringTest {
    private static final Path CLASSES = Path.of("target", "classes");
    private static final String FFI = "dev/tandem/ascend/ffi/";
    private static final String INTERNAL = "dev/tandem/ascend/internal/";

    /** Every constant-pool string of the class that names something in the ffi packages. */
    static List<String> ffiReferences(ClassModel model) {
        List<String> refs = new ArrayList<>();
        for (PoolEntry entry : model.constantPool()) {
            if (entry instanceof Utf8Entry utf8 && utf8.stringValue().contains(FFI)) {
                refs.add(utf8.stringValue());
            }
        }
        return refs;
    }

    private static List<Path> classFiles() throws IOException {
        try (Stream<Path> files = Files.walk(CLASSES)) {
            return files.filter(p -> p.toString().endsWith(".class") && !p.endsWith("module-info.class")).toList();
        }
    }

    @Test
    void onlyTheInternalLayerUsesTheGeneratedBindings() throws IOException {
        TreeSet<String> violations = new TreeSet<>();
        int safeClasses = 0;
        int internalUsers = 0;
        for (Path file : classFiles()) {
            ClassModel model = ClassFile.of().parse(Files.readAllBytes(file));
            String name = model.thisClass().asInternalName();
            List<String> refs = ffiReferences(model);
            if (name.startsWith(FFI)) {
                continue;
            }
            if (name.startsWith(INTERNAL)) {
                internalUsers += refs.isEmpty() ? 0 : 1;
                continue;
            }
            safeClasses++;
            for (String ref : refs) {
                violations.add(name.replace('/', '.') + " -> " + ref);
            }
        }
        assertThat(safeClasses).as("safe classes inspected under " + CLASSES.toAbsolutePath()).isGreaterThan(10);
        assertThat(internalUsers).as("the check sees ffi references where they are allowed").isGreaterThan(2);
        assertThat(violations).as("classes outside dev.tandem.ascend.internal that use dev.tandem.ascend.ffi").isEmpty();
    }
}
