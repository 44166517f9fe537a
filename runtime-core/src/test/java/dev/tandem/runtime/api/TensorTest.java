package dev.tandem.runtime.api;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.DeviceBuffer;
import dev.tandem.runtime.OutOfRangeException;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorTest {
    private TandemRuntime rt;
    private DeviceBuffer buffer;

    @BeforeEach
    void open() {
        rt = TandemRuntime.open("host");
        Stream s = rt.device(0).createStream("s");
        buffer = rt.device(0).allocate(4 * 24, s);
    }

    @AfterEach
    void close() {
        rt.close();
    }

    @Test
    void viewsSlicesAndTransposesShareTheBuffer() {
        Tensor t = Tensor.of(buffer, DType.F32, 2, 3, 4);
        assertThat(t.isContiguous()).isTrue();
        assertThat(t.strides()).containsExactly(12, 4, 1);
        Tensor v = t.view(6, -1);
        assertThat(v.shape()).containsExactly(6, 4);
        Tensor s = t.slice(1, 1, 3);
        assertThat(s.shape()).containsExactly(2, 2, 4);
        assertThat(s.offset()).isEqualTo(4);
        assertThat(s.isContiguous()).isFalse();
        Tensor sel = t.select(0, 1);
        assertThat(sel.offset()).isEqualTo(12);
        assertThat(sel.isContiguous()).isTrue();
        Tensor tr = t.transpose(-1, -2);
        assertThat(tr.shape()).containsExactly(2, 4, 3);
        assertThat(tr.strides()).containsExactly(12, 1, 4);
        assertThat(tr.buffer()).isSameAs(buffer);
        assertThat(Tensor.at(buffer, DType.BF16, 40, 8).byteOffset()).isEqualTo(80);
        assertThat(t.reinterpret(DType.I32).dtype()).isEqualTo(DType.I32);
    }

    @Test
    void badShapesAndRangesAreRejected() {
        Tensor t = Tensor.of(buffer, DType.F32, 4, 6);
        assertThatThrownBy(() -> Tensor.of(buffer, DType.F32, 5, 5)).isInstanceOf(OutOfRangeException.class)
                .hasMessageContaining("buffer holds 24");
        assertThatThrownBy(() -> Tensor.of(buffer, DType.F32, -1)).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> Tensor.of(buffer, DType.F32, Long.MAX_VALUE, 4)).isInstanceOf(OutOfRangeException.class);
        assertThatThrownBy(() -> t.view(5, -1)).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> t.view(-1, -1)).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> t.transpose(0, 1).view(24)).isInstanceOf(ShapeException.class).hasMessageContaining("non-contiguous");
        assertThatThrownBy(() -> t.slice(1, 4, 7)).isInstanceOf(OutOfRangeException.class);
        assertThatThrownBy(() -> t.select(2, 0)).isInstanceOf(OutOfRangeException.class);
        assertThatThrownBy(() -> t.reinterpret(DType.F16)).isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> Tensor.strided(buffer, DType.F32, 0, new long[]{2, 2}, new long[]{-1, 1}))
                .isInstanceOf(ShapeException.class);
        assertThatThrownBy(() -> Tensor.at(buffer, DType.F32, -3, 2)).isInstanceOf(OutOfRangeException.class);
    }
}
