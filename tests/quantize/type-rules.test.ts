/**
 * llama.cpp's per-tensor type rules (src/llama-quant.cpp), checked on synthetic tensor tables where the
 * expected types follow by hand from that source, and on the tiny tied-embedding models.
 */
import { describe, expect, test } from "bun:test";
import { GgmlType, GgufFile, type GgufTensorInfo } from "../../ts/gguf/index.ts";
import { parseFileType } from "../../ts/quantize/ftypes.ts";
import type { ModelShape } from "../../ts/quantize/model-shape.ts";
import { compareTensorNames } from "../../ts/quantize/tensor-policy.ts";
import { TensorTypeRules } from "../../ts/quantize/type-rules.ts";
import { MODELS, quantizedOnce } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

function tensor(name: string, dims: number[], type = GgmlType.F16): GgufTensorInfo {
  return { name, dims, type, offset: 0, byteSize: 0, nElements: dims.reduce((a, b) => a * b, 1) };
}

/** A llama-style tensor table in llama.cpp's order, with `layers` blocks of width `dim`. */
function llamaTensors(layers: number, dim: number, ffn: number, withOutput = true): GgufTensorInfo[] {
  const t = [tensor("token_embd.weight", [dim, 1000]), tensor("output_norm.weight", [dim], GgmlType.F32)];
  if (withOutput) t.push(tensor("output.weight", [dim, 1000]));
  for (let i = 0; i < layers; i++) {
    t.push(
      tensor(`blk.${i}.attn_norm.weight`, [dim], GgmlType.F32), tensor(`blk.${i}.attn_q.weight`, [dim, dim]),
      tensor(`blk.${i}.attn_k.weight`, [dim, dim / 4]), tensor(`blk.${i}.attn_v.weight`, [dim, dim / 4]),
      tensor(`blk.${i}.attn_output.weight`, [dim, dim]), tensor(`blk.${i}.ffn_norm.weight`, [dim], GgmlType.F32),
      tensor(`blk.${i}.ffn_gate.weight`, [dim, ffn]), tensor(`blk.${i}.ffn_up.weight`, [dim, ffn]),
      tensor(`blk.${i}.ffn_down.weight`, [ffn, dim]),
    );
  }
  return t.sort((a, b) => compareTensorNames(a.name, b.name));
}

function shape(layers: number, hasOutputTensor = true): ModelShape {
  return { architecture: "llama", layers, heads: 32, kvHeads: 8, experts: 0, hasOutputTensor, is70B: false };
}

/** Chosen type name per tensor name. */
function choose(type: string, tensors: GgufTensorInfo[], s: ModelShape): Map<string, string> {
  const rules = new TensorTypeRules(parseFileType(type), s, tensors.map((t) => t.name));
  return new Map(tensors.map((t) => [t.name, GgmlType[rules.choose(t).type]!]));
}

function layersWith(types: Map<string, string>, suffix: string, type: string): number[] {
  return [...types].filter(([n, t]) => n.endsWith(suffix) && t === type).map(([n]) => Number(n.split(".")[1]));
}

describe("tensor order", () => {
  test("non-block tensors first, then by layer number, then by name", () => {
    const names = ["blk.10.a", "blk.2.b", "token_embd.weight", "blk.2.a", "output.weight", "output_norm.weight"];
    expect(names.sort(compareTensorNames)).toEqual(["output.weight", "output_norm.weight", "token_embd.weight", "blk.2.a", "blk.2.b", "blk.10.a"]);
  });
});

describe("Q4_K_M on 32 layers", () => {
  const types = choose("Q4_K_M", llamaTensors(32, 4096, 11264), shape(32));
  // use_more_bits: i < 4 || i >= 28 || (i - 4) % 3 == 2
  const moreBits = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];
  test("attn_v and ffn_down get Q6_K on the use_more_bits layers, Q4_K elsewhere", () => {
    expect(layersWith(types, "attn_v.weight", "Q6_K")).toEqual(moreBits);
    expect(layersWith(types, "ffn_down.weight", "Q6_K")).toEqual(moreBits);
    expect(layersWith(types, "attn_v.weight", "Q4_K").length).toBe(32 - moreBits.length);
  });
  test("output is Q6_K, token_embd the default, norms stay F32", () => {
    expect(types.get("output.weight")).toBe("Q6_K");
    expect(types.get("token_embd.weight")).toBe("Q4_K");
    expect(types.get("blk.5.attn_norm.weight")).toBe("F32");
    expect(types.get("blk.5.attn_q.weight")).toBe("Q4_K");
  });
});

describe("other mixes on 8 layers", () => {
  const tensors = llamaTensors(8, 512, 1536);
  test("Q3_K_M: attn_v Q5_K on the first two, Q4_K after; ffn_down Q4_K; attn_output Q4_K", () => {
    const t = choose("Q3_K_M", tensors, shape(8));
    expect(layersWith(t, "attn_v.weight", "Q5_K")).toEqual([0, 1]);
    expect(layersWith(t, "attn_v.weight", "Q4_K")).toEqual([2, 3, 4, 5, 6, 7]);
    expect(layersWith(t, "ffn_down.weight", "Q4_K").length).toBe(8);
    expect(layersWith(t, "attn_output.weight", "Q4_K").length).toBe(8);
    expect(layersWith(t, "attn_q.weight", "Q3_K").length).toBe(8);
  });
  test("Q2_K: attn_v Q4_K with 4 query heads per KV head (Q3_K without GQA); ffn_down and attn_output Q3_K", () => {
    const t = choose("Q2_K", tensors, shape(8));
    expect(layersWith(t, "attn_v.weight", "Q4_K").length).toBe(8);
    expect(layersWith(t, "ffn_down.weight", "Q3_K").length).toBe(8);
    expect(layersWith(t, "attn_output.weight", "Q3_K").length).toBe(8);
    const noGqa = choose("Q2_K", tensors, { ...shape(8), kvHeads: 32 });
    expect(layersWith(noGqa, "attn_v.weight", "Q3_K").length).toBe(8);
  });
  test("Q4_K_S: attn_v Q5_K on the first four, ffn_down Q5_K on the first eighth", () => {
    const t = choose("Q4_K_S", tensors, shape(8));
    expect(layersWith(t, "attn_v.weight", "Q5_K")).toEqual([0, 1, 2, 3]);
    expect(layersWith(t, "ffn_down.weight", "Q5_K")).toEqual([0]);
  });
  test("Q8_0 keeps output Q8_0; F16 and BF16 apply to every matrix, output included", () => {
    expect(choose("Q8_0", tensors, shape(8)).get("output.weight")).toBe("Q8_0");
    expect(choose("F16", tensors, shape(8)).get("output.weight")).toBe("F16");
    expect(choose("bf16", tensors, shape(8)).get("blk.3.ffn_down.weight")).toBe("BF16");
  });
});

describe("fallbacks when a row length does not fit the block size", () => {
  test("256-block types fall back to a 32-block type, and to F16 when even 32 does not divide", () => {
    const tensors = [tensor("blk.0.ffn_down.weight", [96, 64]), tensor("blk.0.attn_q.weight", [48, 64]), tensor("output.weight", [96, 64])];
    const rules = new TensorTypeRules(parseFileType("Q4_K_M"), shape(1), tensors.map((t) => t.name));
    expect(rules.choose(tensors[0]!)).toEqual({ type: GgmlType.Q8_0, fallbackFrom: GgmlType.Q6_K });
    expect(rules.choose(tensors[1]!)).toEqual({ type: GgmlType.F16, fallbackFrom: GgmlType.Q4_K });
    // output: Q8_0 is chosen directly when the row length does not fit the default type
    expect(rules.choose(tensors[2]!)).toEqual({ type: GgmlType.Q8_0 });
    const q5 = new TensorTypeRules(parseFileType("Q5_K_S"), shape(1), ["blk.0.attn_q.weight"]);
    expect(q5.choose(tensor("blk.0.attn_q.weight", [96, 64]))).toEqual({ type: GgmlType.Q5_1, fallbackFrom: GgmlType.Q5_K });
  });
});

describe("tied embeddings (no output.weight)", () => {
  test("token_embd takes the output tensor's type", () => {
    const t = choose("Q4_0", llamaTensors(2, 256, 768, false), shape(2, false));
    expect(t.get("token_embd.weight")).toBe("Q6_K");
  });
  test("on the tiny qwen2 and llama3 models, end to end", () => {
    for (const name of ["qwen2-tiny-f16.gguf", "llama3-tiny-f16.gguf"]) {
      const out = GgufFile.open(quantizedOnce(`${MODELS}/${name}`, "Q4_0").path);
      expect(out.tensor("output.weight")).toBeUndefined();
      expect(GgmlType[out.tensor("token_embd.weight")!.type]).toBe("Q6_K");
      // qwen2's attention biases are 1-D and stay F32
      for (const t of out.tensors.filter((t) => t.dims.length === 1)) expect(t.type).toBe(GgmlType.F32);
    }
  });
});
