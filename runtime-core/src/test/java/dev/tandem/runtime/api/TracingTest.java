package dev.tandem.runtime.api;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.RuntimeOptions;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamOptions;
import dev.tandem.runtime.Tensor;
import dev.tandem.runtime.trace.TraceSpan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TracingTest {

    @Test
    void operationsAreRecordedWithTagsAndExportedAsChromeTrace(@TempDir Path dir) throws Exception {
        try (TandemRuntime rt = TandemRuntime.open(RuntimeOptions.defaults().withTracing(true).withDeviceCount(2))) {
            Device dev = rt.device(0);
            Stream compute = dev.createStream(StreamOptions.compute("compute"));
            Stream comm = dev.createStream(StreamOptions.comm("comm"));
            compute.traceTag("mb0/L1/attention");
            Tensor a = Tensor.allocate(dev, compute, DType.F32, 8, 8);
            dev.kernels().fill(compute, a, 1.0);
            dev.kernels().matmul(compute, a, a, Tensor.allocate(dev, compute, DType.F32, 8, 8));
            compute.traceTag(null);
            comm.waitStream(compute);
            comm.hostCallback(() -> { });
            compute.synchronize();
            comm.synchronize();
            List<TraceSpan> spans = rt.tracer().spans();
            assertThat(spans).extracting(TraceSpan::name).contains("fill", "matmul", "hostCallback");
            TraceSpan mm = spans.stream().filter(s -> s.name().equals("matmul")).findFirst().orElseThrow();
            assertThat(mm.tag()).isEqualTo("mb0/L1/attention");
            assertThat(mm.stream()).isEqualTo("compute");
            assertThat(mm.endNanos()).isGreaterThanOrEqualTo(mm.startNanos());
            Path file = dir.resolve("trace.json");
            rt.tracer().writeChromeTrace(file);
            String json = Files.readString(file);
            assertThat(json).startsWith("{\"displayTimeUnit\"").contains("\"traceEvents\"")
                    .contains("\"ph\":\"X\"").contains("\"name\":\"thread_name\"").contains("mb0/L1/attention")
                    .contains("\"cat\":\"comm\"");
            assertThat(json.chars().filter(c -> c == '{').count()).isEqualTo(json.chars().filter(c -> c == '}').count());
        }
    }

    @Test
    void disabledTracerRecordsNothing() {
        try (TandemRuntime rt = TandemRuntime.open("host")) {
            Stream s = rt.device(0).createStream("s");
            s.hostCallback(() -> { });
            s.synchronize();
            assertThat(rt.tracer().spans()).isEmpty();
        }
    }
}
