package dev.tandem.deepseek.plan;

import dev.tandem.runtime.json.Json;

import java.util.List;
import java.util.Locale;

/** The plan as JSON (a small writer of its own; numbers in milliseconds, percent or bytes as named). */
public final class PlanJson {
    private PlanJson() {
    }

    /**
     * One plan as a JSON object.
     *
     * @param plan the plan
     * @return the JSON text, ending in a newline
     */
    public static String write(CapacityPlanner.Plan plan) {
        PlanSetup s = plan.setup();
        StringBuilder sb = new StringBuilder("{\n");
        field(sb, "model", s.modelName());
        field(sb, "hardware", s.profile().name());
        field(sb, "nodes", s.nodes());
        field(sb, "devices_per_node", s.profile().devicesPerNode());
        field(sb, "attention", s.attention().name().toLowerCase(Locale.ROOT));
        field(sb, "tp", s.tp());
        field(sb, "ep", s.ep());
        field(sb, "quant", s.quant());
        field(sb, "layers", s.layers());
        field(sb, "prefill", s.prefillCount() + "x" + s.prefillLength());
        field(sb, "decode", s.decodeBatch() + "x" + s.decodeContext());
        field(sb, "tokens_per_device", s.tokensPerDevice());
        field(sb, "expert_skew", s.routing().toString());
        field(sb, "rank_imbalance", plan.imbalance());
        field(sb, "pick", plan.pick().schedule());
        field(sb, "pick_micro_batches", plan.pick().microBatches());
        field(sb, "reason", plan.reason());
        field(sb, "simulation_ms", plan.simMillis());
        field(sb, "simulated_ranks", plan.ranks().simulated());
        field(sb, "group_ranks", plan.ranks().group());
        field(sb, "simulated_ranks_reason", plan.ranks().reason());
        sb.append("  \"predictions\": [\n");
        List<CapacityPlanner.Prediction> ps = plan.predictions();
        for (int i = 0; i < ps.size(); i++) {
            CapacityPlanner.Prediction p = ps.get(i);
            sb.append(String.format(Locale.ROOT, "    {\"schedule\": %s, \"micro_batches\": %d, \"step_ms\": %.4f, "
                            + "\"speedup\": %.4f, \"compute_share\": %.4f, \"comm_share\": %.4f, \"hidden_percent\": %.2f, "
                            + "\"exposed_comm_ms\": %.4f, \"bubble_ms\": %.4f, \"contention_ms\": %.4f, "
                            + "\"peak_bytes_per_device\": %d, \"activation_bytes_per_device\": %d, "
                            + "\"operations_per_device\": %d, \"host_work_ms\": %.4f}%s%n",
                    quote(p.schedule()), p.microBatches(), p.stepNanos() / 1e6, plan.speedup(p), p.computeShare(),
                    p.commShare(), p.hiddenPercent(), p.exposedNanos() / 1e6, p.bubbleNanos() / 1e6,
                    p.contentionNanos() / 1e6, p.peakBytes(), p.activationBytes(), p.operations(),
                    p.hostWorkNanos() / 1e6, i + 1 < ps.size() ? "," : ""));
        }
        sb.append("  ]\n}\n");
        return sb.toString();
    }

    private static void field(StringBuilder sb, String name, Object value) {
        String v = value instanceof Number n ? (n instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : n.toString())
                : quote(String.valueOf(value));
        sb.append("  ").append(quote(name)).append(": ").append(v).append(",\n");
    }

    static String quote(String s) {
        return Json.quote(s);
    }
}
