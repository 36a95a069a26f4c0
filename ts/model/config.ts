/**
 * Model hyper-parameters read from GGUF metadata, for the architectures ingot runs.
 * Missing or inconsistent metadata is a clear MODEL_BAD_METADATA error naming the key.
 */
import { IngotError } from "../errors.ts";
import type { GgufFile } from "../gguf/index.ts";

export const SUPPORTED_ARCHITECTURES = ["llama", "qwen2"] as const;
export type Architecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** "normal" rotates adjacent pairs (x[2i], x[2i+1]); "neox" rotates halves (x[i], x[i + d/2]). */
export type RopeMode = "normal" | "neox";

export interface RopeConfig {
  mode: RopeMode;
  /** Rotated dimensions per head (usually the head dimension). */
  dims: number;
  freqBase: number;
  /** Linear position scaling (1 / rope.scaling.factor for "linear" scaling, else 1). */
  freqScale: number;
  /** Name of the F32 tensor of per-frequency divisors (Llama 3 scaling), when the file has one. */
  freqFactorsTensor: string | null;
}

export interface ModelConfig {
  architecture: Architecture;
  name: string;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffnDim: number;
  vocabSize: number;
  /** Context length the model was trained for (the default context size). */
  contextLength: number;
  rmsEps: number;
  rope: RopeConfig;
  /** Q/K/V projections carry biases (qwen2). */
  qkvBias: boolean;
  /** No output.weight: the output projection reuses token_embd. */
  tiedEmbeddings: boolean;
}

function bad(message: string): IngotError {
  return new IngotError("MODEL_BAD_METADATA", message);
}

function positiveInt(file: GgufFile, key: string, fallback?: number): number {
  const v = file.getNumber(key) ?? fallback;
  if (v === undefined) throw bad(`missing metadata key '${key}' in ${file.path}`);
  if (!Number.isInteger(v) || v <= 0) throw bad(`metadata '${key}' must be a positive integer, got ${v}`);
  return v;
}

export function readModelConfig(file: GgufFile): ModelConfig {
  const arch = file.getString("general.architecture");
  if (arch === undefined) throw bad(`missing metadata key 'general.architecture' in ${file.path}`);
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new IngotError(
      "MODEL_UNSUPPORTED",
      `unsupported architecture '${arch}' in ${file.path}: ingot runs ${SUPPORTED_ARCHITECTURES.join(", ")}`,
    );
  }
  const architecture = arch as Architecture;
  const k = (suffix: string) => `${arch}.${suffix}`;

  const dim = positiveInt(file, k("embedding_length"));
  const layers = positiveInt(file, k("block_count"));
  const heads = positiveInt(file, k("attention.head_count"));
  const kvHeads = positiveInt(file, k("attention.head_count_kv"), heads);
  const headDim = positiveInt(file, k("attention.key_length"), dim / heads);
  if (heads % kvHeads !== 0) throw bad(`head_count ${heads} is not a multiple of head_count_kv ${kvHeads}`);
  const valueDim = file.getNumber(k("attention.value_length"));
  if (valueDim !== undefined && valueDim !== headDim) throw bad(`attention.value_length ${valueDim} differs from key_length ${headDim}: not supported`);
  const ffnDim = positiveInt(file, k("feed_forward_length"));
  const contextLength = positiveInt(file, k("context_length"));
  const tokens = file.getStringArray("tokenizer.ggml.tokens");
  const vocabSize = positiveInt(file, k("vocab_size"), tokens?.length);

  const rmsEps = file.getNumber(k("attention.layer_norm_rms_epsilon"));
  if (rmsEps === undefined || !(rmsEps > 0)) throw bad(`missing or invalid '${k("attention.layer_norm_rms_epsilon")}'`);

  const rope = readRope(file, architecture, headDim);
  return {
    architecture,
    name: file.getString("general.name") ?? arch,
    dim, layers, heads, kvHeads, headDim, ffnDim, vocabSize, contextLength, rmsEps, rope,
    qkvBias: architecture === "qwen2",
    tiedEmbeddings: file.tensor("output.weight") === undefined,
  };
}

function readRope(file: GgufFile, arch: Architecture, headDim: number): RopeConfig {
  const k = (suffix: string) => `${arch}.${suffix}`;
  const dims = file.getNumber(k("rope.dimension_count")) ?? headDim;
  if (!Number.isInteger(dims) || dims <= 0 || dims > headDim || dims % 2) throw bad(`invalid rope.dimension_count ${dims}`);
  const freqBase = file.getNumber(k("rope.freq_base")) ?? 10000;
  if (!(freqBase > 0)) throw bad(`invalid rope.freq_base ${freqBase}`);

  let freqScale = 1;
  const scalingType = file.getString(k("rope.scaling.type"));
  const factor = file.getNumber(k("rope.scaling.factor"));
  if (scalingType === "linear" && factor !== undefined && factor > 0) freqScale = 1 / factor;
  else if (scalingType === "yarn") throw new IngotError("MODEL_UNSUPPORTED", "YaRN rope scaling is not supported yet");

  const freqFactorsTensor = file.tensor("rope_freqs.weight") ? "rope_freqs.weight" : null;
  // llama.cpp's convert permutes llama Q/K rows so that the interleaved rotation matches HF's.
  return { mode: arch === "qwen2" ? "neox" : "normal", dims, freqBase, freqScale, freqFactorsTensor };
}
