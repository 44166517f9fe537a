package dev.tandem.runtime.conformance;

import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of every conformance test. A backend runs the suite by subclassing each abstract test and supplying
 * {@link #openRuntime(int)}. Runtimes opened through {@link #runtime(int)} are closed after each test, and the
 * leak tracker must then be at zero.
 */
public abstract class ConformanceBase {
    private final List<TandemRuntime> opened = new ArrayList<>();

    /** Opens the backend under test with at least {@code devices} devices. */
    protected abstract TandemRuntime openRuntime(int devices);

    /** Opens a runtime that is closed automatically after the test. */
    protected final TandemRuntime runtime(int devices) {
        TandemRuntime rt = openRuntime(devices);
        opened.add(rt);
        return rt;
    }

    protected final TandemRuntime runtime() {
        return runtime(1);
    }

    @BeforeEach
    void enableLeakTracking() {
        LeakTracker.global().enable();
        LeakTracker.global().reset();
    }

    @AfterEach
    void closeAndCheckLeaks() {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        opened.clear();
        String report = LeakTracker.global().report();
        LeakTracker.global().reset();
        assertThat(report).as("leak tracker after test").isEmpty();
    }
}
