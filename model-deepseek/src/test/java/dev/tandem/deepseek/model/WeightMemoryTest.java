package dev.tandem.deepseek.model;

import dev.tandem.deepseek.config.DeepSeekConfig;
import dev.tandem.deepseek.weights.Checkpoint;
import dev.tandem.deepseek.weights.CheckpointWriter;
import dev.tandem.deepseek.weights.LayerWeights;
import dev.tandem.deepseek.weights.StDType;
import dev.tandem.runtime.DType;
import dev.tandem.runtime.Device;
import dev.tandem.runtime.MemoryInfo;
import dev.tandem.runtime.TandemRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.tandem.deepseek.model.ModelTestSupport.host;
import static org.assertj.core.api.Assertions.assertThat;

/** No weight is held twice: the device holds exactly the rank's weights, and the loader keeps no copy of them. */
class WeightMemoryTest {
    /** Small runtime buffers (the communicators' few bytes); smaller than any weight, so a copy cannot hide in it. */
    static final long SLACK = 256;
    static final DeepSeekConfig C = DeepSeekConfig.preset("tiny-v3");

    @TempDir
    Path dir;

    @Test
    void deviceHoldsExactlyTheRanksWeightsInTheirStorageDType() {
        CheckpointWriter.write(dir, C, List.of(LayerWeights.random(C, 0, 3), LayerWeights.random(C, 1, 3)),
                StDType.F32, false);
        int ranks = 2;
        try (Checkpoint ck = Checkpoint.open(dir);
             TandemRuntime rt = host(ranks);
             DecoderRunner r = new DecoderRunner(rt, C, WeightSource.checkpoint(ck), 0, 2,
                     DecoderRunner.Options.defaults(ranks).withWeightDType(DType.BF16))) {
            int per = C.nRoutedExperts() / ranks;
            for (int rank = 0; rank < ranks; rank++) {
                long want = 0;
                for (int layer = 0; layer < 2; layer++) {
                    want += weightBytes(layer, rank * per, (rank + 1) * per, DType.BF16);
                }
                Device d = rt.devices().get(rank);
                MemoryInfo m = d.memoryInfo();
                // the weights once, plus at most a few small runtime buffers (the communicator's), never a copy
                assertThat(m.totalBytes() - m.freeBytes()).as("bytes in use on rank " + rank)
                        .isBetween(want, want + SLACK);
            }
        }
    }

    @Test
    void checkpointLayerHoldsNoValuesItConvertsEachTensorWhenAsked() {
        LayerWeights w = LayerWeights.random(C, 1, 3);
        CheckpointWriter.write(dir, C, List.of(w), StDType.F32, false);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            LayerWeights loaded = LayerWeights.load(ck, 1, 0, C.nRoutedExperts());
            String name = "mlp.experts.2.up_proj.weight";
            float[] first = loaded.get(name);
            assertThat(first).containsExactly(w.get(name));
            assertThat(loaded.get(name)).as("a fresh conversion, not a held array").isNotSameAs(first);
            LayerWeights drawn = LayerWeights.randomOnDemand(C, 1, 3, 0, C.nRoutedExperts());
            assertThat(drawn.get(name)).containsExactly(w.get(name)).isNotSameAs(drawn.get(name));
        }
    }

    /** Norms and the router stay F32 on the device, the correction bias stays on the host, the rest is {@code wd}. */
    private static long weightBytes(int layer, int e0, int e1, DType wd) {
        long bytes = 0;
        for (LayerWeights.Spec s : LayerWeights.specs(C, layer, e0, e1)) {
            long n = 1;
            for (long x : s.shape()) {
                n *= x;
            }
            if (s.name().endsWith("e_score_correction_bias")) {
                continue;
            }
            boolean f32 = s.init() == LayerWeights.Init.NORM || s.name().equals("mlp.gate.weight");
            bytes += n * (f32 ? 4 : wd.byteSize());
        }
        return bytes;
    }
}
