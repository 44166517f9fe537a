package dev.tandem.runtime.sim;

import dev.tandem.runtime.DType;
import dev.tandem.runtime.InvalidArgumentException;
import dev.tandem.runtime.Tensor;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.function.ToDoubleFunction;

/**
 * Costs of operations on a {@link HardwareProfile}, in nanoseconds:
 * <ul>
 *   <li>GEMMs ({@code matmul}): the larger of {@code flops / (peak x efficiency(m))} and bytes / HBM bandwidth,
 *       with {@code efficiency(m) = gemm.efficiency x m / (m + gemm.half.rows)} (small m is inefficient). Rank-2
 *       products with a rank-2 right operand are linear layers and use the quantisation dtype
 *       ({@code bf16}, {@code int8} for W8A8, {@code fp8}); batched products (attention) use BF16.</li>
 *   <li>Fused attention: its two products over the (query, key) pairs the causal mask leaves visible, at the GEMM
 *       rate for its query rows (every head's, where heads share the keys and the kernel packs them).</li>
 *   <li>Every other kernel: bytes moved / (HBM bandwidth x hbm.efficiency), or / the kernel's own measured rate
 *       where the profile has one ({@code kernel.NAME.gbps}: the host measures the kernels the layers call), plus
 *       the kernel's measured fixed time per call ({@code kernel.NAME.us}) where the profile has one.</li>
 *   <li>Collectives: latency + bytes / bandwidth, with the bytes each rank puts on the wire for the algorithm
 *       (ring all-gather/all-reduce/reduce-scatter, direct all-to-all), the node-local link when the group fits
 *       in a node and the inter-node link otherwise, and the measured all-to-all bandwidth by EP size where the
 *       profile has it (the issuing stage's own table where it has one: combine's differs from dispatch's).</li>
 * </ul>
 * Activations count {@code activation.bytes} per element (BF16 on accelerators), whatever dtype Tandem stores
 * them in; the host profile (0) counts stored bytes.
 *
 * <p>These are costs on an otherwise idle device. A kernel that runs while its device communicates takes longer
 * ({@link HardwareProfile#commSlowdown()}); the simulation applies that in virtual time ({@link SimRuntime}), not
 * here.
 */
public final class CostModel {
    private static final double HOST_COPY_GBPS = 25;   // PCIe 4.0 x16 class host<->device copies (assumed)
    private final HardwareProfile profile;
    private final String linearDType;

    /**
     * A cost model of {@code profile} running linear layers in {@code linearDType}.
     *
     * @param profile     the hardware
     * @param linearDType dtype of linear-layer GEMMs: {@code bf16}, {@code int8} (W8A8), {@code fp8} or {@code f32}
     */
    public CostModel(HardwareProfile profile, String linearDType) {
        this.profile = profile;
        this.linearDType = linearDType.toLowerCase(Locale.ROOT);
        if (Double.isNaN(profile.peak(this.linearDType))) {
            throw new InvalidArgumentException("hardware " + profile.name() + " has no " + this.linearDType
                    + " compute units (it lists " + String.join(", ", profile.peakTflops().keySet()) + ")");
        }
    }

    /**
     * The hardware costed.
     *
     * @return the hardware profile
     */
    public HardwareProfile profile() {
        return profile;
    }

    /**
     * The dtype of linear-layer GEMMs ({@code bf16}, {@code int8}, {@code fp8} or {@code f32}).
     *
     * @return the lower-case dtype name
     */
    public String linearDType() {
        return linearDType;
    }

    /**
     * Cost of kernel {@code name} reading {@code reads} and writing {@code writes}.
     *
     * @param name   the kernel's name, e.g. {@code matmul}; unknown kernels are costed by the bytes they move
     * @param reads  the tensors the kernel reads
     * @param writes the tensors the kernel writes
     * @return estimated nanoseconds
     */
    public double kernelNanos(String name, List<Tensor> reads, List<Tensor> writes) {
        if (name.equals("matmul")) {
            return matmulNanos(reads.get(0), reads.get(1), writes.get(0));
        }
        if (name.equals("attention")) {
            return attentionNanos(reads, writes.get(0));
        }
        double bytes = bytesMoved(name, reads, writes);
        Double measured = profile.kernelGBps().get(name);
        return fixedNanos(name) + (measured != null ? bytes / measured : memoryNanos(bytes));
    }

    /**
     * The bytes an element-wise kernel moves, as its cost counts them: everything it reads and writes, except that
     * a gather ({@code indexSelect}) and a scatter-add ({@code indexAdd}) count the rows they touch.
     *
     * @param name   the kernel's name
     * @param reads  the tensors the kernel reads
     * @param writes the tensors the kernel writes
     * @return bytes in the modelled deployment
     */
    double bytesMoved(String name, List<Tensor> reads, List<Tensor> writes) {
        return bytesMoved(name, reads, writes, this::bytes);
    }

    /** {@link #bytesMoved(String, List, List)} with each tensor's size given by {@code size}. */
    static double bytesMoved(String name, List<Tensor> reads, List<Tensor> writes, ToDoubleFunction<Tensor> size) {
        double bytes = 0;
        switch (name) {
            case "indexSelect" -> bytes = 2 * size.applyAsDouble(writes.get(0)) + size.applyAsDouble(reads.get(1));
            case "indexAdd" -> bytes = 3 * size.applyAsDouble(reads.get(1)) + size.applyAsDouble(reads.get(0));
            default -> {
                for (Tensor t : reads) {
                    bytes += size.applyAsDouble(t);
                }
                for (Tensor t : writes) {
                    bytes += size.applyAsDouble(t);
                }
            }
        }
        return bytes;
    }

    /** A kernel's measured fixed time per call ({@code kernel.NAME.us}), nanoseconds; 0 where not measured. */
    private double fixedNanos(String name) {
        Double micros = profile.kernelMicros().get(name);
        return micros == null ? 0 : micros * 1e3;
    }

    /**
     * The cost of fused attention without a mask; see {@link #attentionNanos(List, Tensor, long)}.
     *
     * @param reads q, k, v, then optionally qRope and kRope
     * @param out   the output, shaped [h, n, dv]
     * @return estimated nanoseconds; 0 when there is nothing to compute
     */
    public double attentionNanos(List<Tensor> reads, Tensor out) {
        return attentionNanos(reads, out, -1);
    }

    /**
     * The cost of fused attention (reads q, k, v and optionally qRope, kRope; writes out [h, n, dv]): the two
     * products {@code q k^T} and {@code p v} over the (query, key) pairs the causal mask leaves visible (fused
     * kernels skip masked tiles: a prefill's queries see half of its keys on average), as the unfused matmuls
     * cost them, or the bytes of its operands (no score matrix goes to memory, and keys that also serve as values
     * are read once), whichever is longer. The products' rows are the queries, or every head's queries together
     * where the keys are shared by all heads (rank 2: MLA's latent) and the profile's kernel packs them
     * ({@link HardwareProfile#attentionPacksHeads()}).
     *
     * @param reads        q, k, v, then optionally qRope and kRope
     * @param out          the output, shaped [h, n, dv]
     * @param causalOffset query i sees keys {@code j <= i + causalOffset}; negative for no mask
     * @return estimated nanoseconds; 0 when there is nothing to compute
     */
    public double attentionNanos(List<Tensor> reads, Tensor out, long causalOffset) {
        Tensor q = reads.get(0);
        Tensor k = reads.get(1);
        long h = q.dim(0);
        long n = q.dim(1);
        long len = k.dim(-2);
        long dk = q.dim(2) + (reads.size() > 3 ? reads.get(3).dim(2) : 0);
        long dv = out.dim(2);
        double pairs = visiblePairs(n, len, causalOffset);
        if (h * pairs == 0) {
            return 0;
        }
        double computeNanos = attentionProductNanos(2.0 * h * pairs * (dk + dv),
                k.rank() == 2 && profile.attentionPacksHeads() ? h * n : n);
        double bytes = bytes(out);
        for (int i = 0; i < reads.size(); i++) {
            if (i != 2 || reads.get(2) != k) {
                bytes += bytes(reads.get(i));
            }
        }
        return fixedNanos("attention") + Math.max(computeNanos, memoryNanos(bytes));
    }

    /**
     * The cost of a decode step's attention over a batch of sequences as one kernel: each sequence's one query over
     * all of its keys (rows: its heads where they share the keys and the profile packs them, else one), the
     * products summed over the sequences, against every operand's bytes read once, whichever is longer; one fixed
     * time per call.
     *
     * @param q      the queries, {@code [h, B, d]}
     * @param qRope  their rotary part, or null
     * @param keys   each sequence's keys
     * @param kRopes each sequence's rotary keys, or null
     * @param values each sequence's values (the keys themselves where the latent serves as both)
     * @param out    the output, {@code [h, B, dv]}
     * @return estimated nanoseconds; 0 for an empty batch
     */
    public double decodeAttentionNanos(Tensor q, Tensor qRope, List<Tensor> keys, List<Tensor> kRopes,
                                       List<Tensor> values, Tensor out) {
        long h = q.dim(0);
        if (keys.isEmpty() || h == 0) {
            return 0;
        }
        long dk = q.dim(2) + (qRope == null ? 0 : qRope.dim(2));
        long dv = out.dim(2);
        double computeNanos = 0;
        double bytes = bytes(q) + bytes(out) + (qRope == null ? 0 : bytes(qRope));
        for (int b = 0; b < keys.size(); b++) {
            Tensor k = keys.get(b);
            long len = k.dim(-2);
            computeNanos += attentionProductNanos(2.0 * h * len * (dk + dv),
                    k.rank() == 2 && profile.attentionPacksHeads() ? h : 1);
            bytes += bytes(k) + (values.get(b) == k ? 0 : bytes(values.get(b)))
                    + (kRopes == null ? 0 : bytes(kRopes.get(b)));
        }
        return fixedNanos("attention") + Math.max(computeNanos, memoryNanos(bytes));
    }

    /** Attention's two products ({@code flops} of them) multiplying {@code rows} rows at a time. */
    private double attentionProductNanos(double flops, long rows) {
        if (flops == 0) {
            return 0;
        }
        String dtype = profile.activationBytes() == 0 ? "f32" : "bf16";
        if (Double.isNaN(profile.peak(dtype))) {
            dtype = "bf16";
        }
        return flops / (profile.peak(dtype) * 1e3 * gemmEfficiency(rows) * profile.attentionEfficiency());
    }

    /**
     * How many (query, key) pairs of {@code n} queries over {@code len} keys a causal mask leaves visible: query i
     * sees keys {@code j <= i + causalOffset}, or all {@code len} of them with a negative offset.
     *
     * @param n            queries
     * @param len          keys
     * @param causalOffset the mask's offset; negative for none
     * @return the number of visible pairs
     */
    static double visiblePairs(long n, long len, long causalOffset) {
        if (causalOffset < 0 || n == 0 || len == 0) {
            return (double) n * len;
        }
        // query i sees min(len, i + offset + 1) keys: rising by one per query until every key is visible
        long rising = Math.max(0, Math.min(n, len - causalOffset));   // queries that do not see every key yet
        double risingPairs = rising * (double) (causalOffset + 1) + rising * (rising - 1) / 2.0;
        return risingPairs + (double) (n - rising) * len;
    }

    /**
     * The GEMM cost of {@code out = a x b} (either operand possibly transposed).
     *
     * @param a   the left operand
     * @param b   the right operand (the weight of a linear layer when both are 2-D)
     * @param out the product, [m, n] or [batch, m, n]
     * @return estimated nanoseconds: the longer of compute and memory time; 0 for an empty product
     */
    public double matmulNanos(Tensor a, Tensor b, Tensor out) {
        long batch = out.rank() == 3 ? out.dim(0) : 1;
        long m = out.dim(-2);
        long n = out.dim(-1);
        if (batch * m * n == 0) {
            return 0;
        }
        long k = a.numel() / (batch * m);
        boolean linear = a.rank() == 2 && b.rank() == 2;
        String dtype = profile.activationBytes() == 0 ? "f32" : linear ? linearDType : "bf16";
        if (Double.isNaN(profile.peak(dtype))) {
            dtype = "bf16";
        }
        double flops = 2.0 * batch * m * n * k;
        double computeNanos = flops / (profile.peak(dtype) * 1e3 * gemmEfficiency(m));
        double weightBytes = linear && profile.activationBytes() != 0 ? b.numel() * weightBytesPerElement(dtype) : bytes(b);
        double memory = memoryNanos(bytes(a) + weightBytes + bytes(out));
        return Math.max(computeNanos, memory);
    }

    /**
     * Fraction of peak a GEMM with {@code m} rows reaches: the profile's measured row table where it has one, else
     * its curve {@code gemm.efficiency x m / (m + gemm.half.rows)}.
     *
     * @param m rows of the GEMM
     * @return a fraction between 0 and the profile's GEMM efficiency
     */
    public double gemmEfficiency(long m) {
        var measured = (NavigableMap<Integer, Double>) profile.gemmRowsEfficiency();
        if (measured.isEmpty()) {
            return profile.gemmEfficiency() * m / (m + profile.gemmHalfRows());
        }
        var lo = measured.floorEntry((int) Math.min(m, Integer.MAX_VALUE));
        var hi = measured.ceilingEntry((int) Math.min(m, Integer.MAX_VALUE));
        if (lo == null) {
            return hi.getValue() * m / hi.getKey();   // fewer rows than measured: about the smallest one's time
        }
        if (hi == null || lo.getKey().equals(hi.getKey())) {
            return lo.getValue();
        }
        // interpolate the time per row, not the rate: between two measured row counts the GEMM's time grows linearly
        double f = (double) (m - lo.getKey()) / (hi.getKey() - lo.getKey());
        double timeLo = lo.getKey() / lo.getValue();
        double timeHi = hi.getKey() / hi.getValue();
        return m / (timeLo + f * (timeHi - timeLo));
    }

    private static double weightBytesPerElement(String dtype) {
        return switch (dtype) {
            case "int8", "fp8" -> 1;
            case "f32" -> 4;
            default -> 2;
        };
    }

    /**
     * Nanoseconds to move {@code bytes} through device memory.
     *
     * @param bytes bytes read plus written
     * @return estimated nanoseconds at the profile's effective HBM bandwidth
     */
    public double memoryNanos(double bytes) {
        return bytes / (profile.hbmGBps() * profile.hbmEfficiency());
    }

    /**
     * Nanoseconds of a host-device copy of {@code bytes}.
     *
     * @param bytes bytes copied
     * @return estimated nanoseconds
     */
    public double hostCopyNanos(long bytes) {
        return profile.activationBytes() == 0 ? memoryNanos(bytes) : bytes / HOST_COPY_GBPS;
    }

    /**
     * Bytes a tensor occupies in the modelled deployment (activation dtype for floating tensors).
     *
     * @param t the tensor
     * @return its size in bytes in the modelled deployment
     */
    public double bytes(Tensor t) {
        DType d = t.dtype();
        if (profile.activationBytes() == 0 || !d.isFloatingPoint()) {
            return (double) t.numel() * d.byteSize();
        }
        return (double) t.numel() * profile.activationBytes();
    }

    /**
     * Bytes per element of {@code dtype} on the wire.
     *
     * @param dtype the element type
     * @return bytes per element as sent between devices
     */
    public double wireBytes(DType dtype) {
        return profile.activationBytes() == 0 || !dtype.isFloatingPoint() ? dtype.byteSize() : profile.activationBytes();
    }

    /**
     * Cost of one rank's part of a collective.
     *
     * @param kind      {@code allToAll} (any all-to-all), or another collective's name
     * @param wireBytes bytes this rank sends to (or receives from) the others for the algorithm
     * @param groupSize ranks in the group
     * @return estimated nanoseconds; 0 for a group of one
     */
    public double collectiveNanos(String kind, double wireBytes, int groupSize) {
        return collectiveNanos(kind, wireBytes, groupSize, null);
    }

    /**
     * Cost of one rank's part of a collective issued by a named stage: an all-to-all uses the stage's own measured
     * table where the profile has one ({@link HardwareProfile#stageAllToAllGBps()}, e.g. {@code combine}).
     *
     * @param kind      {@code allToAll} (any all-to-all), or another collective's name
     * @param wireBytes bytes this rank sends to (or receives from) the others for the algorithm
     * @param groupSize ranks in the group
     * @param stage     the issuing stage (the last part of the operation's trace tag), or null
     * @return estimated nanoseconds; 0 for a group of one
     */
    public double collectiveNanos(String kind, double wireBytes, int groupSize, String stage) {
        if (groupSize < 2) {
            return 0;
        }
        boolean inNode = groupSize <= profile.devicesPerNode();
        double latency = 1e3 * (inNode ? profile.intraLatencyMicros() : profile.interLatencyMicros());
        double gbps;
        Map<Integer, Double> stageTable = stage == null ? null : profile.stageAllToAllGBps().get(stage);
        if (kind.startsWith("allToAll") && stageTable != null) {
            gbps = interpolate(stageTable, groupSize);
        } else if (kind.startsWith("allToAll") && !profile.allToAllGBps().isEmpty()) {
            gbps = interpolate(profile.allToAllGBps(), groupSize);
        } else if (inNode) {
            gbps = profile.intraGBps();
        } else {
            // Traffic to other nodes dominates: a fraction (G - n) / (G - 1) of it leaves the node.
            double offNode = (double) (groupSize - profile.devicesPerNode()) / (groupSize - 1);
            double seconds = offNode / profile.interGBps() + (1 - offNode) / profile.intraGBps();
            gbps = 1 / seconds;
            if (kind.startsWith("all") && !kind.startsWith("allToAll")) {
                gbps = profile.interGBps();   // a ring is as slow as its slowest hop
            }
        }
        return latency + wireBytes / gbps;
    }

    /** Linear interpolation in log2(x) between table points, clamped at the ends. */
    static double interpolate(Map<Integer, Double> table, int x) {
        java.util.TreeMap<Integer, Double> t = new java.util.TreeMap<>(table);
        var lo = t.floorEntry(x);
        var hi = t.ceilingEntry(x);
        if (lo == null) {
            return hi.getValue();
        }
        if (hi == null || lo.getKey().equals(hi.getKey())) {
            return lo.getValue();
        }
        double f = (log2(x) - log2(lo.getKey())) / (log2(hi.getKey()) - log2(lo.getKey()));
        return lo.getValue() + f * (hi.getValue() - lo.getValue());
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }
}
