/**
 * Which tensors llama.cpp's quantizer touches, how it groups them, and the order it writes them in
 * (src/llama-quant.cpp: tensor_allows_quantization, tensor_get_category; llama_model_loader's
 * weight_name_comparer).
 */
import type { GgufTensorInfo } from "../gguf/index.ts";

export type TensorCategory =
  | "token_embd" | "attn_q" | "attn_v" | "attn_k" | "attn_qkv" | "attn_kv_b" | "attn_output"
  | "ffn_up" | "ffn_gate" | "ffn_down" | "output" | "other";

export function tensorCategory(name: string): TensorCategory {
  if (name === "output.weight") return "output";
  if (name === "token_embd.weight" || name === "per_layer_token_embd.weight") return "token_embd";
  const bySubstring: ReadonlyArray<readonly [string, TensorCategory]> = [
    ["attn_qkv.weight", "attn_qkv"], ["attn_kv_b.weight", "attn_kv_b"], ["attn_v.weight", "attn_v"],
    ["attn_k.weight", "attn_k"], ["attn_q.weight", "attn_q"], ["attn_output.weight", "attn_output"],
    ["ffn_up", "ffn_up"], ["ffn_gate", "ffn_gate"], ["ffn_down", "ffn_down"],
  ];
  for (const [needle, category] of bySubstring) if (name.includes(needle)) return category;
  return "other";
}

/** Value-like attention tensors, which llama.cpp gives more bits. */
export function isAttentionValue(c: TensorCategory): boolean {
  return c === "attn_v" || c === "attn_qkv" || c === "attn_kv_b";
}

/** Substrings of tensors that stay as they are: small, or sensitive (MoE routing, RWKV, conv, vision...). */
const NEVER_QUANTIZED = [
  "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
  "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
  "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
  "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
  "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
  "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
  ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
  "a.rvq.codebook", "mm.a.code_embd",
];
/** Position embeddings and token types (BERT) are named exactly. */
const NEVER_QUANTIZED_NAMES = new Set(["position_embd.weight", "token_types.weight"]);

/** Only matrices (2-D, or 3-D expert stacks) whose name ends in "weight" and is not on the lists above. */
export function allowsQuantization(t: GgufTensorInfo): boolean {
  const nDims = nonTrivialDims(t.dims);
  if (nDims < 2) return false;
  if (!t.name.endsWith("weight")) return false;
  if (NEVER_QUANTIZED_NAMES.has(t.name)) return false;
  return !NEVER_QUANTIZED.some((s) => t.name.includes(s));
}

/** ggml_n_dims: trailing dimensions of size 1 do not count. */
function nonTrivialDims(dims: readonly number[]): number {
  let n = dims.length;
  while (n > 1 && dims[n - 1] === 1) n--;
  return n;
}

/** "blk.12.attn_q.weight" → 12; -1 for tensors outside the blocks (as sscanf leaves it). */
function layerOf(name: string): number {
  const m = /^blk\.(\d+)/.exec(name);
  return m ? Number(m[1]) : -1;
}

/** llama.cpp's weight_name_comparer: by layer (non-block tensors first), then by byte-wise name. */
export function compareTensorNames(a: string, b: string): number {
  const la = layerOf(a), lb = layerOf(b);
  if (la !== lb) return la - lb;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
