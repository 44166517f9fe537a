package dev.tandem.runtime.api;

import dev.tandem.runtime.BackendNotFoundException;
import dev.tandem.runtime.DeviceOutOfMemoryException;
import dev.tandem.runtime.HandleClosedException;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.spi.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackendSelectionTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(Backends.PROPERTY);
    }

    @Test
    void defaultIsTheHostBackend() {
        try (TandemRuntime rt = TandemRuntime.open()) {
            assertThat(rt.backendName()).isEqualTo("host");
            assertThat(rt.devices()).hasSize(1);
            assertThat(rt.device(0).name()).isEqualTo("host:0");
        }
    }

    @Test
    void argumentBeatsPropertyWhichBeatsEnvironment() {
        System.setProperty(Backends.PROPERTY, "nope");
        assertThat(Backends.selectedName("host")).isEqualTo("host");
        assertThat(Backends.selectedName(null)).isEqualTo("nope");
        System.clearProperty(Backends.PROPERTY);
        String env = System.getenv(Backends.ENVIRONMENT);
        assertThat(Backends.selectedName(null)).isEqualTo(env == null || env.isBlank() ? "host" : env.trim());
    }

    @Test
    void unknownBackendListsTheAvailableOnes() {
        assertThatThrownBy(() -> TandemRuntime.open("tpu"))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("unknown backend 'tpu'")
                .hasMessageContaining("host");
        System.setProperty(Backends.PROPERTY, "gpu");
        assertThatThrownBy(TandemRuntime::open).isInstanceOf(BackendNotFoundException.class).hasMessageContaining("'gpu'");
    }

    @Test
    void optionsShapeTheHostRuntime() {
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withDeviceCount(3).withDeviceMemoryBytes(1 << 20))) {
            assertThat(rt.devices()).hasSize(3);
            assertThat(rt.device(2).memoryInfo().totalBytes()).isEqualTo(1 << 20);
            var s = rt.device(0).createStream("s");
            assertThatThrownBy(() -> rt.device(0).allocate(2 << 20, s))
                    .isInstanceOf(DeviceOutOfMemoryException.class).hasMessageContaining("host:0");
            assertThatThrownBy(() -> rt.device(3)).isInstanceOf(OutOfRangeException.class);
        }
        assertThatThrownBy(() -> RuntimeOptions.defaults().withDeviceCount(-1))
                .isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void closingTheRuntimeClosesEverything() {
        TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withDeviceCount(2));
        var dev = rt.device(1);
        var s = dev.createStream("s");
        var buffer = dev.allocate(16, s);
        var comms = rt.createCommunicators(rt.devices());
        rt.close();
        rt.close();
        assertThat(rt.isClosed()).isTrue();
        assertThat(dev.isClosed()).isTrue();
        assertThat(buffer.isClosed()).isTrue();
        assertThatThrownBy(() -> comms.get(0).barrier(s)).isExactlyInstanceOf(HandleClosedException.class);
        assertThatThrownBy(rt::devices).isExactlyInstanceOf(HandleClosedException.class);
    }
}
