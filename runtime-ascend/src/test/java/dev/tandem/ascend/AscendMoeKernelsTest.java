package dev.tandem.ascend;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.TandemRuntime;
import dev.tandem.runtime.ShapeException;
import dev.tandem.runtime.Stream;
import dev.tandem.runtime.StreamFailedException;
import dev.tandem.runtime.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@Tag("emulator")
class AscendMoeKernelsTest {

    @Test
    void groupedMatmulMultipliesEachRowGroupByItsExpert() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            Stream s = dev.createStream("moe");
            int m = 7, k = 5, n = 3, groups = 3;
            long[] sizes = {2, 0, 4};            // row 6 belongs to no group and keeps its value
            Random random = new Random(3);
            float[] x = new float[m * k];
            float[] w = new float[groups * k * n];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextFloat() - 0.5f;
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = random.nextFloat() - 0.5f;
            }
            for (DType dtype : new DType[]{DType.F32, DType.BF16}) {
                Tensor tx = Tensor.allocate(dev, s, dtype, m, k);
                Tensor tw = Tensor.allocate(dev, s, dtype, groups, k, n);
                Tensor tg = Tensor.allocate(dev, s, DType.I64, groups);
                Tensor ty = Tensor.allocate(dev, s, DType.F32, m, n);
                s.upload(x, tx);
                s.upload(w, tw);
                s.upload(sizes, tg);
                float[] sentinel = new float[m * n];
                java.util.Arrays.fill(sentinel, 42f);
                s.upload(sentinel, ty);
                dev.moeKernels().groupedMatmul(s, tx, tw, tg, ty);
                float[] got = s.readFloats(ty);
                float[] xs = s.readFloats(tx);
                float[] ws = s.readFloats(tw);
                int row = 0;
                for (int g = 0; g < groups; g++) {
                    for (int r = row; r < row + sizes[g]; r++) {
                        for (int j = 0; j < n; j++) {
                            double expected = 0;
                            for (int p = 0; p < k; p++) {
                                expected += xs[r * k + p] * ws[(g * k + p) * n + j];
                            }
                            // aclnnGroupedMatmulV4 writes x's dtype: a BF16 product is rounded to BF16 before the
                            // cast to the F32 output.
                            double tolerance = dtype == DType.F32 ? 1e-5 : 4e-3 * Math.max(1, Math.abs(expected));
                            assertThat((double) got[r * n + j]).as("%s row %d col %d", dtype, r, j)
                                    .isCloseTo(expected, within(tolerance));
                        }
                    }
                    row += (int) sizes[g];
                }
                for (int j = 0; j < n; j++) {
                    assertThat(got[6 * n + j]).isEqualTo(42f);
                }
                s.upload(new long[]{4, 4, 4}, tg);   // 12 rows do not fit in 7
                dev.moeKernels().groupedMatmul(s, tx, tw, tg, ty);
                assertThatThrownBy(s::synchronize).isInstanceOf(StreamFailedException.class)
                        .hasMessageContaining("groupedMatmul")
                        .cause().isInstanceOfSatisfying(AclException.class,
                                e -> assertThat(e.code()).isEqualTo(507015));   // ACL_ERROR_RT_AICORE_EXCEPTION, as on CANN
                s = dev.createStream("moe-" + dtype);
            }
        }
    }

    @Test
    void groupedMatmulRejectsBadShapesBeforeEnqueueing() {
        try (TandemRuntime rt = AscendFixture.open(1)) {
            AscendDevice dev = (AscendDevice) rt.device(0);
            Stream s = dev.createStream("moe");
            Tensor x = Tensor.allocate(dev, s, DType.F32, 4, 5);
            Tensor w = Tensor.allocate(dev, s, DType.F32, 2, 5, 3);
            Tensor g = Tensor.allocate(dev, s, DType.I64, 2);
            Tensor y = Tensor.allocate(dev, s, DType.F32, 4, 3);
            AscendMoeKernels moe = dev.moeKernels();
            assertThatThrownBy(() -> moe.groupedMatmul(s, x, Tensor.allocate(dev, s, DType.F32, 2, 4, 3), g, y))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("weights");
            assertThatThrownBy(() -> moe.groupedMatmul(s, x, w, Tensor.allocate(dev, s, DType.I32, 2), y))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("groupSizes");
            assertThatThrownBy(() -> moe.groupedMatmul(s, x, w, g, Tensor.allocate(dev, s, DType.F32, 4, 4)))
                    .isInstanceOf(ShapeException.class).hasMessageContaining("out");
            s.synchronize();
        }
    }
}
