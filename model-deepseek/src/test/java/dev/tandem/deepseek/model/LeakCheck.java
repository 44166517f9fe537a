package dev.tandem.deepseek.model;

import dev.tandem.runtime.LeakTracker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.assertj.core.api.Assertions.assertThat;

/** Base class: leak tracking on, and zero live handles after each test (overlapped runs must free everything too). */
public abstract class LeakCheck {
    @BeforeEach
    protected void enableLeakTracking() {
        LeakTracker.global().enable();
        LeakTracker.global().reset();
    }

    @AfterEach
    protected void assertNoLeaks() {
        String report = LeakTracker.global().report();
        LeakTracker.global().reset();
        // off again: tracking records a stack per handle, which later tests in this JVM must not pay for
        LeakTracker.global().disable();
        assertThat(report).as("leaked handles").isEmpty();
    }
}
