#!/usr/bin/env python3
"""Eager PyTorch version of Tandem's DeepSeek decoder layers, for jmh/compare-torch.sh.

  compare_torch.py write --dir DIR [--tokens T --requests R --seed S]   writes a checkpoint and an input
  compare_torch.py run --dir DIR --threads N [--warmup W --repeat K]    times the layers, writes DIR/torch.safetensors
  compare_torch.py diff A.safetensors B.safetensors                     max |a - b| / max |b| of hidden_states

The layers follow the same equations as Tandem's model (and its test reference): MLA with a q LoRA, rotary
embedding on interleaved pairs, causal attention within each request, DeepSeek-V3 routing (sigmoid scores, a
correction bias, group-limited top-k, normalised weights times the routed scaling factor), one shared expert.
Plain eager ops in float32, no compilation; the MoE gathers each expert's tokens as HuggingFace's code does.
Safetensors are read and written here directly (header + raw little-endian data): torch and numpy are all it needs.
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import torch

CONFIG = {
    "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
    "hidden_size": 1024, "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 8,
    "q_lora_rank": 384, "kv_lora_rank": 256, "qk_nope_head_dim": 64, "qk_rope_head_dim": 32, "v_head_dim": 64,
    "intermediate_size": 2816, "moe_intermediate_size": 256, "n_routed_experts": 32, "n_shared_experts": 1,
    "num_experts_per_tok": 8, "n_group": 4, "topk_group": 2, "topk_method": "noaux_tc", "scoring_func": "sigmoid",
    "norm_topk_prob": True, "routed_scaling_factor": 2.5, "first_k_dense_replace": 0, "moe_layer_freq": 1,
    "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "rope_scaling": None, "max_position_embeddings": 4096,
    "hidden_act": "silu", "attention_bias": False, "vocab_size": 0,
}

DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8), "I32": (torch.int32, 4)}


def save_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        t = t.contiguous()
        code = {torch.float32: "F32", torch.int64: "I64", torch.int32: "I32"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        dtype, _ = DTYPES[h["dtype"]]
        a, b = h["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=dtype).reshape(h["shape"])
    return out


def write(args):
    c = CONFIG
    os.makedirs(args.dir, exist_ok=True)
    g = torch.Generator().manual_seed(args.seed)
    d, h = c["hidden_size"], c["num_attention_heads"]
    dqk = c["qk_nope_head_dim"] + c["qk_rope_head_dim"]

    def linear(out_f, in_f):
        return torch.randn(out_f, in_f, generator=g) / math.sqrt(in_f)

    def norm(n):
        return 1 + 0.2 * torch.randn(n, generator=g)

    w = {}
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        w[p + "input_layernorm.weight"] = norm(d)
        w[p + "self_attn.q_a_proj.weight"] = linear(c["q_lora_rank"], d)
        w[p + "self_attn.q_a_layernorm.weight"] = norm(c["q_lora_rank"])
        w[p + "self_attn.q_b_proj.weight"] = linear(h * dqk, c["q_lora_rank"])
        w[p + "self_attn.kv_a_proj_with_mqa.weight"] = linear(c["kv_lora_rank"] + c["qk_rope_head_dim"], d)
        w[p + "self_attn.kv_a_layernorm.weight"] = norm(c["kv_lora_rank"])
        w[p + "self_attn.kv_b_proj.weight"] = linear(h * (c["qk_nope_head_dim"] + c["v_head_dim"]), c["kv_lora_rank"])
        w[p + "self_attn.o_proj.weight"] = linear(d, h * c["v_head_dim"])
        w[p + "post_attention_layernorm.weight"] = norm(d)
        w[p + "mlp.gate.weight"] = linear(c["n_routed_experts"], d)
        w[p + "mlp.gate.e_score_correction_bias"] = 0.05 * torch.randn(c["n_routed_experts"], generator=g)
        inter = c["moe_intermediate_size"]
        for e in range(c["n_routed_experts"]):
            w[p + f"mlp.experts.{e}.gate_proj.weight"] = linear(inter, d)
            w[p + f"mlp.experts.{e}.up_proj.weight"] = linear(inter, d)
            w[p + f"mlp.experts.{e}.down_proj.weight"] = linear(d, inter)
        si = inter * c["n_shared_experts"]
        w[p + "mlp.shared_experts.gate_proj.weight"] = linear(si, d)
        w[p + "mlp.shared_experts.up_proj.weight"] = linear(si, d)
        w[p + "mlp.shared_experts.down_proj.weight"] = linear(d, si)
    with open(os.path.join(args.dir, "config.json"), "w") as f:
        json.dump(c, f, indent=1)
    save_safetensors(os.path.join(args.dir, "model.safetensors"), w)
    lens = [args.tokens // args.requests] * args.requests
    lens[-1] += args.tokens - sum(lens)
    positions = torch.cat([torch.arange(n, dtype=torch.int64) for n in lens])
    save_safetensors(os.path.join(args.dir, "input.safetensors"), {
        "hidden_states": torch.randn(args.tokens, d, generator=g),
        "positions": positions, "seq_lens": torch.tensor(lens, dtype=torch.int64)})
    print(f"wrote {args.dir}: {c['num_hidden_layers']} layers, hidden {d}, {h} heads, {c['n_routed_experts']} experts "
          f"top-{c['num_experts_per_tok']}, input {args.tokens} tokens in {args.requests} requests")


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rope(x, positions, inv_freq):
    """Rotates interleaved pairs (x[2i], x[2i+1]) of the last axis by position * inv_freq[i]."""
    angles = positions[:, None].to(torch.float32) * inv_freq[None, :]           # [t, dr/2]
    while angles.dim() < x.dim():
        angles = angles.unsqueeze(1)
    cos, sin = torch.cos(angles), torch.sin(angles)
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


def attention(c, w, p, xn, positions, lens, inv_freq):
    t = xn.shape[0]
    h, dn, dr, dv, rkv = (c["num_attention_heads"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"],
                          c["kv_lora_rank"])
    eps = c["rms_norm_eps"]
    cq = rms_norm(xn @ w[p + "self_attn.q_a_proj.weight"].T, w[p + "self_attn.q_a_layernorm.weight"], eps)
    q = (cq @ w[p + "self_attn.q_b_proj.weight"].T).view(t, h, dn + dr)
    q_nope, q_pe = q[..., :dn], rope(q[..., dn:], positions, inv_freq)
    a = xn @ w[p + "self_attn.kv_a_proj_with_mqa.weight"].T
    ckv = rms_norm(a[:, :rkv], w[p + "self_attn.kv_a_layernorm.weight"], eps)
    k_pe = rope(a[:, rkv:], positions, inv_freq)                                 # [t, dr], shared by heads
    kv = (ckv @ w[p + "self_attn.kv_b_proj.weight"].T).view(t, h, dn + dv)
    k_nope, v = kv[..., :dn], kv[..., dn:]
    scale = (dn + dr) ** -0.5
    out = torch.empty(t, h, dv)
    start = 0
    for n in lens:
        s = slice(start, start + n)
        qh = torch.cat((q_nope[s], q_pe[s]), -1).transpose(0, 1)               # [h, n, dqk]
        kh = torch.cat((k_nope[s], k_pe[s, None, :].expand(n, h, dr)), -1).transpose(0, 1)
        scores = (qh @ kh.transpose(1, 2)) * scale
        mask = torch.ones(n, n, dtype=torch.bool).triu(1)
        probs = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        out[s] = (probs @ v[s].transpose(0, 1)).transpose(0, 1)
        start += n
    return out.reshape(t, h * dv) @ w[p + "self_attn.o_proj.weight"].T


def moe(c, w, p, x):
    e, k = c["n_routed_experts"], c["num_experts_per_tok"]
    groups, top_groups = c["n_group"], c["topk_group"]
    scores = torch.sigmoid(x @ w[p + "mlp.gate.weight"].T)                       # [t, e]
    choice = scores + w[p + "mlp.gate.e_score_correction_bias"]
    group_scores = choice.view(-1, groups, e // groups).topk(2, dim=-1).values.sum(-1)
    keep = torch.zeros_like(group_scores).scatter_(1, group_scores.topk(top_groups, dim=-1).indices, 1.0)
    choice = choice.masked_fill(keep.repeat_interleave(e // groups, dim=1) == 0, float("-inf"))
    idx = choice.topk(k, dim=-1).indices                                         # [t, k]
    weights = scores.gather(1, idx)
    weights = weights / weights.sum(-1, keepdim=True) * c["routed_scaling_factor"]
    out = torch.zeros_like(x)
    flat = idx.flatten()
    for expert in range(e):
        where = (flat == expert).nonzero().squeeze(1)
        if where.numel() == 0:
            continue
        tokens = where // k
        xe = x[tokens]
        q = p + f"mlp.experts.{expert}."
        y = (torch.nn.functional.silu(xe @ w[q + "gate_proj.weight"].T) * (xe @ w[q + "up_proj.weight"].T)) \
            @ w[q + "down_proj.weight"].T
        out.index_add_(0, tokens, y * weights.flatten()[where, None])
    q = p + "mlp.shared_experts."
    shared = (torch.nn.functional.silu(x @ w[q + "gate_proj.weight"].T) * (x @ w[q + "up_proj.weight"].T)) \
        @ w[q + "down_proj.weight"].T
    return out + shared


def forward(c, w, x, positions, lens):
    dr = c["qk_rope_head_dim"]
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, dr, 2, dtype=torch.float64) / dr)).to(torch.float32)
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = x + attention(c, w, p, rms_norm(x, w[p + "input_layernorm.weight"], c["rms_norm_eps"]), positions, lens,
                          inv_freq)
        x = h + moe(c, w, p, rms_norm(h, w[p + "post_attention_layernorm.weight"], c["rms_norm_eps"]))
    return x


def run(args):
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.dir, "config.json")) as f:
        c = json.load(f)
    w = load_safetensors(os.path.join(args.dir, "model.safetensors"))
    inp = load_safetensors(os.path.join(args.dir, "input.safetensors"))
    x, positions, lens = inp["hidden_states"], inp["positions"], inp["seq_lens"].tolist()
    times = []
    with torch.inference_mode():
        for i in range(args.warmup + args.repeat):
            t0 = time.perf_counter()
            y = forward(c, w, x, positions, lens)
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    save_safetensors(os.path.join(args.dir, "torch.safetensors"), {"hidden_states": y})
    print(f"torch {torch.__version__} eager, {args.threads} thread(s): median {median:.3f} s over {args.repeat} run(s) "
          f"after {args.warmup} warm-up, {x.shape[0] / median:.0f} tokens/s")


def diff(args):
    a = load_safetensors(args.a)["hidden_states"]
    b = load_safetensors(args.b)["hidden_states"]
    print(f"{(a - b).abs().max().item() / b.abs().max().item():.2e}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("--dir", required=True)
    w.add_argument("--tokens", type=int, default=2048)
    w.add_argument("--requests", type=int, default=4)
    w.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("run")
    r.add_argument("--dir", required=True)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--warmup", type=int, default=1)
    r.add_argument("--repeat", type=int, default=3)
    d = sub.add_parser("diff")
    d.add_argument("a")
    d.add_argument("b")
    args = ap.parse_args()
    {"write": write, "run": run, "diff": diff}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
