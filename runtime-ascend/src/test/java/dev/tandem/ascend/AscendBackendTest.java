package dev.tandem.ascend;

import dev.tandem.ascend.internal.AscendLibraries;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.DeviceOutOfMemoryException;
import dev.tandem.runtime.LeakTracker;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.spi.Backend;
import dev.tandem.runtime.spi.Backends;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Tag("emulator")
class AscendBackendTest {

    @AfterEach
    void clearInjectedFailures() {
        Emulator.failures("");
    }

    @Test
    void theBackendIsFoundByNameAndReportsWhatItLookedFor() {
        Backend ascend = Backends.all().stream().filter(b -> b.name().equals("ascend")).findFirst().orElseThrow();
        assertThat(ascend.isAvailable()).isTrue();
        assertThat(ascend.unavailableReason()).isEmpty();
        String saved = System.getProperty(AscendLibraries.EMULATOR_PROPERTY);
        try {
            System.setProperty(AscendLibraries.EMULATOR_PROPERTY, "/nonexistent/libascend_emulator.so");
            assertThat(AscendLibraries.discover().found()).isFalse();
            assertThat(AscendLibraries.discover().reason()).contains("/nonexistent/libascend_emulator.so");
            System.clearProperty(AscendLibraries.EMULATOR_PROPERTY);
            System.setProperty(AscendLibraries.HOME_PROPERTY, "/nonexistent/cann");
            AscendLibraries.Discovery d = AscendLibraries.discover();
            if (!d.found()) {
                assertThat(d.reason()).contains("/nonexistent/cann/lib64/libascendcl.so").contains("ASCEND_HOME_PATH");
            }
        } finally {
            System.clearProperty(AscendLibraries.HOME_PROPERTY);
            System.setProperty(AscendLibraries.EMULATOR_PROPERTY, saved);
        }
    }

    @Test
    void injectedAllocationFailureBecomesDeviceOutOfMemoryWithTheAclCode() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            Device dev = rt.device(0);
            Stream s = dev.createStream("alloc");
            Emulator.failures("aclrtMalloc=207001");
            assertThatThrownBy(() -> dev.allocate(1024, s)).isInstanceOf(DeviceOutOfMemoryException.class)
                    .cause().isInstanceOfSatisfying(AclException.class, e -> {
                        assertThat(e.code()).isEqualTo(207001);
                        assertThat(e.codeName()).isEqualTo("ACL_ERROR_RT_MEMORY_ALLOCATION");
                        assertThat(e.function()).isEqualTo("aclrtMalloc");
                        assertThat(e.detail()).contains("injected");
                    });
            Emulator.failures("");
            dev.allocate(1024, s).close();
        }
    }

    @Test
    void featureNotSupportedHasItsOwnExceptionType() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            Device dev = rt.device(0);
            Emulator.failures("aclrtCreateEventExWithFlag=207000");
            assertThatThrownBy(() -> dev.createEvent())
                    .isInstanceOfSatisfying(FeatureNotSupportedException.class, e -> {
                        assertThat(e).isInstanceOf(AclException.class);
                        assertThat(e.code()).isEqualTo(207000);
                        assertThat(e.codeName()).isEqualTo("ACL_ERROR_RT_FEATURE_NOT_SUPPORT");
                        assertThat(e.function()).isEqualTo("aclrtCreateEventExWithFlag");
                    });
            Emulator.failures("aclrtCreateEventExWithFlag=107000");   // any other code stays a plain AclException
            assertThatThrownBy(() -> dev.createEvent())
                    .isInstanceOf(AclException.class).isNotInstanceOf(FeatureNotSupportedException.class);
            Emulator.failures("");
            dev.createEvent().close();
        }
    }

    @Test
    void anAsynchronousFailureFailsTheStreamWithTheNativeCode() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            Device dev = rt.device(0);
            Stream s = dev.createStream("async");
            Tensor t = Tensor.allocate(dev, s, DType.F32, 4);
            s.synchronize();
            Emulator.failures("async:aclrtMemcpyAsync=507053");
            s.upload(new float[]{1, 2, 3, 4}, t);
            assertThatThrownBy(s::synchronize).isInstanceOf(StreamFailedException.class)
                    .hasMessageContaining("async").hasMessageContaining("aclrtMemcpyAsync")
                    .cause().isInstanceOfSatisfying(AclException.class,
                            e -> assertThat(e.codeName()).isEqualTo("ACL_ERROR_RT_DEVICE_MEM_ERROR"));
            assertThatThrownBy(() -> s.memset(t.buffer(), 0, 4, (byte) 0)).isInstanceOf(StreamFailedException.class);
        }
    }

    @Test
    void virtualThreadsAreRejectedWithAClearMessage() throws Exception {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            Device dev = rt.device(0);
            AtomicReference<Throwable> error = new AtomicReference<>();
            Thread.ofVirtual().start(() -> {
                try {
                    dev.createStream("virtual").close();
                } catch (Throwable t) {
                    error.set(t);
                }
            }).join();
            assertThat(error.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("platform thread");
        }
    }

    @Test
    void tracingRecordsOneSpanPerOperation() {
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withBackend("ascend").withDeviceCount(1).withTracing(true))) {
            Device dev = rt.device(0);
            Stream s = dev.createStream("traced");
            s.traceTag("mb0");
            Tensor a = Tensor.allocate(dev, s, DType.F32, 2, 2);
            s.upload(new float[]{1, 2, 3, 4}, a);
            dev.kernels().add(s, a, a, a);
            assertThat(s.readFloats(a)).containsExactly(2, 4, 6, 8);
            List<TraceSpan> spans = rt.tracer().spans();
            assertThat(spans).extracting(TraceSpan::name).contains("copyFromHost", "add", "copyToHost");
            assertThat(spans).allSatisfy(span -> {
                assertThat(span.stream()).isEqualTo("traced");
                assertThat(span.endNanos()).isGreaterThanOrEqualTo(span.startNanos());
            });
            assertThat(spans).filteredOn(span -> span.name().equals("add")).extracting(TraceSpan::tag).containsOnly("mb0");
        }
    }

    @Test
    void closingTheRuntimeReleasesEveryHandle() {
        LeakTracker.global().enable();
        LeakTracker.global().reset();
        TandemRuntime rt = AscendFixture.open(2);
        Stream s = rt.device(1).createStream("s");
        rt.device(1).allocate(64, s);
        rt.device(0).createEvent();
        rt.createCommunicators(rt.devices());
        rt.close();
        rt.close();
        assertThat(LeakTracker.global().report()).isEmpty();
        assertThat(rt.isClosed()).isTrue();
        assertThatThrownBy(rt::devices).isInstanceOf(IllegalStateException.class);
    }
}
