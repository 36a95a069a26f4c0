import { describe, expect, test } from "bun:test";
import { GgmlType, GgufFile, GgufValueType, tensorByteSize } from "../../ts/gguf/index.ts";
import { DRAFT } from "./helpers.ts";

describe("kjv-draft-q8_0.gguf", () => {
  const f = GgufFile.open(DRAFT);

  test("header", () => {
    expect(f.version).toBe(3);
    expect(f.alignment).toBe(32);
    expect(f.fileSize).toBe(3968064);
    expect(f.bytes.length).toBe(f.fileSize);
    expect(f.dataOffset % 32).toBe(0);
    expect(f.path).toBe(DRAFT);
  });

  test("hyperparameters (docs/REFERENCE.md)", () => {
    expect(f.architecture()).toBe("llama");
    expect(f.requireNumber("llama.block_count")).toBe(2);
    expect(f.requireNumber("llama.embedding_length")).toBe(256);
    expect(f.requireNumber("llama.attention.head_count")).toBe(4);
    expect(f.requireNumber("llama.attention.head_count_kv")).toBe(1);
    expect(f.requireNumber("llama.feed_forward_length")).toBe(768);
    expect(f.requireNumber("llama.context_length")).toBe(1024);
    expect(f.getNumber("llama.rope.freq_base")).toBe(10000);
    expect(f.getNumber("llama.attention.layer_norm_rms_epsilon")).toBeCloseTo(1e-5, 10);
  });

  test("tokenizer metadata", () => {
    expect(f.getString("tokenizer.ggml.model")).toBe("gpt2");
    expect(f.getString("tokenizer.ggml.pre")).toBe("gpt-2");
    expect(f.getNumber("tokenizer.ggml.bos_token_id")).toBe(0);
    expect(f.getBool("tokenizer.ggml.add_bos_token")).toBe(false);
    const tokens = f.getStringArray("tokenizer.ggml.tokens")!;
    expect(tokens.length).toBe(4096);
    expect(tokens.slice(0, 3)).toEqual(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
    const types = f.getInt32Array("tokenizer.ggml.token_type")!;
    expect(types).toBeInstanceOf(Int32Array);
    expect(types.length).toBe(4096);
    expect([...types.subarray(0, 3)]).toEqual([3, 3, 3]); // CONTROL tokens
    const merges = f.getStringArray("tokenizer.ggml.merges")!;
    expect(merges.length).toBeGreaterThan(1000);
    expect(merges.every((m) => m.split(" ").length === 2)).toBe(true);
    expect(f.getString("tokenizer.chat_template")).toContain("<|im_start|>");
    const entry = f.entries.find((e) => e.key === "tokenizer.ggml.tokens")!;
    expect(entry.type).toBe(GgufValueType.ARRAY);
    expect(entry.arrayType).toBe(GgufValueType.STRING);
  });

  test("tensors: every matrix is Q8_0, norms F32, all inside the file", () => {
    expect(f.tensors.length).toBe(2 * 9 + 3);
    const matrices = f.tensors.filter((t) => t.dims.length === 2);
    expect(matrices.length).toBe(2 * 7 + 2);
    for (const t of matrices) expect(t.type).toBe(GgmlType.Q8_0);
    for (const t of f.tensors.filter((t) => t.dims.length === 1)) expect(t.type).toBe(GgmlType.F32);
    const emb = f.tensor("token_embd.weight")!;
    expect(emb.dims).toEqual([256, 4096]);
    expect(emb.nElements).toBe(256 * 4096);
    expect(emb.byteSize).toBe(tensorByteSize(GgmlType.Q8_0, [256, 4096]));
    expect(f.tensor("blk.0.attn_k.weight")!.dims).toEqual([256, 64]); // 1 KV head * head_dim 64
    expect(f.tensor("blk.1.ffn_up.weight")!.dims).toEqual([256, 768]);
    expect(f.tensor("nope")).toBeUndefined();
    for (const t of f.tensors) {
      const d = f.tensorData(t);
      expect(d.length).toBe(t.byteSize);
      expect(d.buffer).toBe(f.bytes.buffer); // zero-copy
      expect(d.byteOffset).toBe(f.bytes.byteOffset + f.dataOffset + t.offset);
    }
  });

  test("norm weights decode to plausible floats", () => {
    const t = f.tensor("output_norm.weight")!;
    const d = f.tensorData(t);
    const w = new Float32Array(d.slice().buffer);
    expect(w.length).toBe(256);
    expect(w.every((x) => Number.isFinite(x) && Math.abs(x) < 100)).toBe(true);
  });
});
