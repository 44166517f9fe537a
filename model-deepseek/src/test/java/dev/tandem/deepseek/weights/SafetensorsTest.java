package dev.tandem.deepseek.weights;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.FloatFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryDtype() {
        float[] v = {1.5f, -2.25f, 0.1f, 3e-3f, 100f, -0f};
        Path f = dir.resolve("a.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .addF32("f32", new long[]{2, 3}, v)
                .addFloats("bf16", StDType.BF16, new long[]{6}, v)
                .addFloats("f16", StDType.F16, new long[]{3, 2}, v)
                .addFloats("fp8", StDType.F8_E4M3, new long[]{6}, v)
                .addI32("i32", new long[]{3}, new int[]{1, -2, 3})
                .addI64("i64", new long[]{2}, new long[]{1L << 40, -7})
                .addF32("scalar", new long[]{}, new float[]{42f})
                .addF32("empty", new long[]{0, 4}, new float[0])
                .write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertThat(s.names()).containsExactly("f32", "bf16", "f16", "fp8", "i32", "i64", "scalar", "empty");
            assertThat(s.metadata()).containsEntry("format", "pt");
            assertThat(s.tensor("f32").toFloats()).containsExactly(v);
            assertThat(s.tensor("f32").shape()).containsExactly(2, 3);
            float[] bf = s.tensor("bf16").toFloats();
            float[] hf = s.tensor("f16").toFloats();
            float[] f8 = s.tensor("fp8").toFloats();
            for (int i = 0; i < v.length; i++) {
                assertThat(bf[i]).isEqualTo(FloatFormats.roundTo(DType.BF16, v[i]));
                assertThat(hf[i]).isEqualTo(FloatFormats.roundTo(DType.F16, v[i]));
                assertThat(Math.abs(f8[i] - v[i])).isLessThanOrEqualTo(Math.abs(v[i]) / 16 + 1e-3f);
            }
            assertThat(s.tensor("i32").toLongs()).containsExactly(1, -2, 3);
            assertThat(s.tensor("i64").toLongs()).containsExactly(1L << 40, -7);
            assertThat(s.tensor("scalar").toFloats()).containsExactly(42f);
            assertThat(s.tensor("empty").numel()).isZero();
            assertThatThrownBy(() -> s.tensor("nope")).isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("a.safetensors").hasMessageContaining("'nope'");
        }
    }

    @Test
    void fp8CodesDecodeToTheE4m3Values() {
        assertThat(Fp8.e4m3ToFloat((byte) 0x7E)).isEqualTo(448f);
        assertThat(Fp8.e4m3ToFloat((byte) 0x01)).isEqualTo(0x1p-9f);
        assertThat(Fp8.e4m3ToFloat((byte) 0x08)).isEqualTo(0x1p-6f);
        assertThat(Fp8.e4m3ToFloat((byte) 0x38)).isEqualTo(1f);
        assertThat(Fp8.e4m3ToFloat((byte) 0xB8)).isEqualTo(-1f);
        assertThat(Fp8.e4m3ToFloat((byte) 0x7F)).isNaN();
        for (int b = 0; b < 256; b++) {
            float x = Fp8.e4m3ToFloat((byte) b);
            if (!Float.isNaN(x)) {
                assertThat(Fp8.e4m3ToFloat(Fp8.floatToE4m3(x))).as("code %x", b).isEqualTo(x);
            }
        }
        assertThat(Fp8.floatToE4m3(1e9f)).isEqualTo((byte) 0x7E);
        assertThat(Fp8.e4m3ToFloat(Fp8.floatToE4m3(1.0625f))).isEqualTo(1f); // tie to even mantissa
        assertThat(Fp8.e4m3ToFloat(Fp8.floatToE4m3(1.1875f))).isEqualTo(1.25f);
    }

    @Test
    void blockDequantUsesOneScalePerBlock() {
        byte[] q = new byte[3 * 5];
        Arrays.fill(q, (byte) 0x38); // 1.0
        float[] w = Fp8.dequantize(q, 3, 5, new float[]{1, 2, 3, 4, 5, 6}, 2, 2);
        assertThat(w).containsExactly(1, 1, 2, 2, 3, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6);
    }

    // ---- corrupt files: every case names the file (and the tensor when there is one) ----

    private Path raw(String name, long headerLen, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(h);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private Path raw(String name, String header, int dataBytes) throws IOException {
        return raw(name, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private void corrupt(Path p, String... fragments) {
        var a = assertThatThrownBy(() -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                f.names();
            }
        }).isInstanceOf(SafetensorsException.class).hasMessageContaining(p.getFileName().toString());
        for (String s : fragments) {
            a.hasMessageContaining(s);
        }
    }

    @Test
    void rejectsCorruptFiles() throws IOException {
        Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        corrupt(dir.resolve("empty.safetensors"), "truncated");
        Files.write(dir.resolve("short.safetensors"), new byte[]{1, 2, 3});
        corrupt(dir.resolve("short.safetensors"), "truncated");
        corrupt(dir.resolve("missing.safetensors"), "not found");
        corrupt(raw("hugeheader.safetensors", 1L << 40, "{}", 0), "header length");
        corrupt(raw("longheader.safetensors", 500, "{}", 0), "truncated", "header of 500 bytes");
        corrupt(raw("badjson.safetensors", "{\"a\": [", 0), "corrupt header");
        corrupt(raw("nodtype.safetensors", "{\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8), "'w'", "dtype");
        corrupt(raw("baddtype.safetensors", "{\"w\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8),
                "'w'", "unsupported dtype Q4");
        corrupt(raw("truncdata.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8),
                "'w'", "truncated", "beyond the 8 data bytes");
        corrupt(raw("size.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 16]}}", 16),
                "'w'", "need 12");
        corrupt(raw("overlap.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                + "\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12), "overlaps");
        corrupt(raw("negshape.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 0]}}", 0),
                "'w'", "shape");
        corrupt(raw("offsets.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 8),
                "'w'", "invalid data_offsets");
        corrupt(raw("notobject.safetensors", "[1, 2]", 0), "corrupt header");
    }

    @Test
    void truncatingAWrittenFileIsDetected() throws IOException {
        Path f = dir.resolve("t.safetensors");
        new SafetensorsWriter().addF32("x", new long[]{64}, new float[64]).write(f);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 10));
        corrupt(f, "'x'", "truncated");
    }
}
