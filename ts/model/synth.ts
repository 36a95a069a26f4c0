/**
 * Synthetic Llama-architecture GGUF files with random weights, for benchmarks and long-context tests:
 * the shape matters (bytes read per token, FLOPs), the values only need to stay finite. Quantised
 * tensors get random quant bits with small, finite block scales; F16/F32 tensors small normal values.
 * Files are llama.cpp-loadable (same metadata keys and layout llama.cpp writes).
 */
import { IngotError } from "../errors.ts";
import { GgmlType, GgufValueType, ggmlTypeInfo, writeGguf, type GgufMetadataEntry, type GgufWriteTensor } from "../gguf/index.ts";
import { Rng } from "../sampling/rng.ts";

export interface SynthShape {
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffnDim: number;
  vocabSize: number;
  contextLength: number;
  ropeFreqBase: number;
  tiedEmbeddings: boolean;
}

export const SYNTH_SHAPES: Record<string, SynthShape> = {
  /** Llama 3.2 1B: what the benchmarks compare on. */
  "llama-3.2-1b": { dim: 2048, layers: 16, heads: 32, kvHeads: 8, ffnDim: 8192, vocabSize: 128256, contextLength: 131072, ropeFreqBase: 500000, tiedEmbeddings: true },
  /** A few hundred thousand parameters with a long context: long-generation tests in seconds. */
  tiny: { dim: 64, layers: 2, heads: 4, kvHeads: 2, ffnDim: 128, vocabSize: 512, contextLength: 8192, ropeFreqBase: 10000, tiedEmbeddings: false },
};

/** Byte offsets of the fp16 scale fields in one block, per type (the rest of a block is quant bits). */
const SCALE_FIELDS: Partial<Record<GgmlType, number[]>> = {
  [GgmlType.Q4_0]: [0], [GgmlType.Q4_1]: [0], [GgmlType.Q5_0]: [0], [GgmlType.Q5_1]: [0], [GgmlType.Q8_0]: [0],
  [GgmlType.Q2_K]: [80, 82], [GgmlType.Q3_K]: [108], [GgmlType.Q4_K]: [0, 2], [GgmlType.Q5_K]: [0, 2], [GgmlType.Q6_K]: [208],
};

/** fp16 bits of a small positive scale (~0.002): keeps random weights in a realistic range. */
const SMALL_SCALE_F16 = 0x1819;

function fillRandom(bytes: Uint8Array, rng: Rng): void {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
}

function f16Bits(x: number): number {
  // Small normal values only: exponent and mantissa from a float, enough for random weights.
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  if (exp <= 0) return sign;
  return sign | (exp << 10) | ((u >>> 13) & 0x3ff);
}

function randomTensor(name: string, type: GgmlType, dims: number[], rng: Rng): GgufWriteTensor {
  const info = ggmlTypeInfo(type);
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Uint8Array(Math.ceil(((n / info.blockSize) * info.typeSize) / 4) * 4);
  if (type === GgmlType.F32) {
    const f = new Float32Array(data.buffer, 0, n);
    const isNorm = dims.length === 1;
    for (let i = 0; i < n; i++) f[i] = isNorm ? 1 : (rng.next() - 0.5) * 0.04;
  } else if (type === GgmlType.F16) {
    const h = new Uint16Array(data.buffer, 0, n);
    for (let i = 0; i < n; i++) h[i] = f16Bits((rng.next() - 0.5) * 0.04);
  } else {
    const fields = SCALE_FIELDS[type];
    if (!fields) throw new IngotError("BAD_ARGUMENT", `synth cannot make ${info.name} tensors`);
    fillRandom(data, rng);
    const view = new DataView(data.buffer);
    for (let off = 0; off + info.typeSize <= data.length; off += info.typeSize) {
      for (const f of fields) view.setUint16(off + f, SMALL_SCALE_F16, true);
    }
  }
  return { name, type, dims, data: data.subarray(0, (n / info.blockSize) * info.typeSize) };
}

function vocabulary(size: number): GgufMetadataEntry[] {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6);
  }
  while (tokens.length < size) {
    tokens.push(`▁t${tokens.length}`);
    types.push(1);
  }
  const scores = new Float32Array(size).map((_, i) => -i);
  return [
    { key: "tokenizer.ggml.model", type: GgufValueType.STRING, value: "llama" },
    { key: "tokenizer.ggml.tokens", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: tokens },
    { key: "tokenizer.ggml.scores", type: GgufValueType.ARRAY, arrayType: GgufValueType.FLOAT32, value: scores },
    { key: "tokenizer.ggml.token_type", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT32, value: Int32Array.from(types) },
    { key: "tokenizer.ggml.unknown_token_id", type: GgufValueType.UINT32, value: 0 },
    { key: "tokenizer.ggml.bos_token_id", type: GgufValueType.UINT32, value: 1 },
    { key: "tokenizer.ggml.eos_token_id", type: GgufValueType.UINT32, value: 2 },
    { key: "tokenizer.ggml.add_bos_token", type: GgufValueType.BOOL, value: true },
  ];
}

export interface SynthOptions {
  shape: SynthShape;
  /** Weight type of each matrix, called once per matrix in file order (norms stay F32). */
  typeOf: (tensorName: string, dims: readonly number[]) => GgmlType;
  /** llama.cpp's general.file_type for the mix. */
  fileType: number;
  seed?: number;
  name?: string;
}

export function synthesizeModel(path: string, opts: SynthOptions): void {
  const s = opts.shape;
  const rng = new Rng(opts.seed ?? 1);
  const headDim = s.dim / s.heads;
  const u32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: GgufValueType.UINT32, value });
  const f32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: GgufValueType.FLOAT32, value });
  const metadata: GgufMetadataEntry[] = [
    { key: "general.architecture", type: GgufValueType.STRING, value: "llama" },
    { key: "general.name", type: GgufValueType.STRING, value: opts.name ?? "ingot synthetic (random weights)" },
    u32("general.file_type", opts.fileType),
    u32("general.quantization_version", 2),
    u32("llama.context_length", s.contextLength),
    u32("llama.embedding_length", s.dim),
    u32("llama.block_count", s.layers),
    u32("llama.feed_forward_length", s.ffnDim),
    u32("llama.attention.head_count", s.heads),
    u32("llama.attention.head_count_kv", s.kvHeads),
    u32("llama.rope.dimension_count", headDim),
    u32("llama.vocab_size", s.vocabSize),
    f32("llama.rope.freq_base", s.ropeFreqBase),
    f32("llama.attention.layer_norm_rms_epsilon", 1e-5),
    ...vocabulary(s.vocabSize),
  ];
  const matrix = (name: string, dims: number[]) => randomTensor(name, opts.typeOf(name, dims), dims, rng);
  const norm = (name: string) => randomTensor(name, GgmlType.F32, [s.dim], rng);
  const kvDim = s.kvHeads * headDim;
  const tensors: GgufWriteTensor[] = [matrix("token_embd.weight", [s.dim, s.vocabSize])];
  for (let l = 0; l < s.layers; l++) {
    const n = (x: string) => `blk.${l}.${x}`;
    tensors.push(
      norm(n("attn_norm.weight")),
      matrix(n("attn_q.weight"), [s.dim, s.dim]),
      matrix(n("attn_k.weight"), [s.dim, kvDim]),
      matrix(n("attn_v.weight"), [s.dim, kvDim]),
      matrix(n("attn_output.weight"), [s.dim, s.dim]),
      norm(n("ffn_norm.weight")),
      matrix(n("ffn_gate.weight"), [s.dim, s.ffnDim]),
      matrix(n("ffn_up.weight"), [s.dim, s.ffnDim]),
      matrix(n("ffn_down.weight"), [s.ffnDim, s.dim]),
    );
  }
  tensors.push(norm("output_norm.weight"));
  if (!s.tiedEmbeddings) tensors.push(matrix("output.weight", [s.dim, s.vocabSize]));
  writeGguf(path, { metadata, tensors });
}
