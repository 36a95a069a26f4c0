/**
 * The few hyper-parameters llama.cpp's quantizer consults (llama_model::hparams): any architecture,
 * since quantizing does not run the model. A GGUF that is not a model (no architecture, no block
 * count, no tensors) is refused here, as llama-quantize refuses to load it.
 */
import { IngotError } from "../errors.ts";
import type { GgufFile } from "../gguf/index.ts";

export interface ModelShape {
  architecture: string;
  layers: number;
  /** Heads / KV heads of layer 0 (llama.cpp's n_gqa()). */
  heads: number;
  kvHeads: number;
  experts: number;
  /** Has its own output.weight (otherwise token_embd doubles as the output projection). */
  hasOutputTensor: boolean;
  /** llama.cpp's LLM_TYPE_70B: a llama with 80 layers and grouped-query attention. */
  is70B: boolean;
}

/** A per-layer value may be stored as one number or as an array with one entry per layer. */
function firstNumber(file: GgufFile, key: string): number | undefined {
  const v = file.metadata.get(key);
  if (v === undefined) return undefined;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView) && (v as ArrayLike<number | bigint>).length > 0) {
    return Number((v as ArrayLike<number | bigint>)[0]);
  }
  throw new IngotError("MODEL_BAD_METADATA", `metadata '${key}' in ${file.path} is not a number`);
}

function notAModel(file: GgufFile, why: string): IngotError {
  return new IngotError("BAD_INPUT", `${file.path} is not a model GGUF: ${why}`);
}

export function readModelShape(file: GgufFile): ModelShape {
  const architecture = file.getString("general.architecture");
  if (architecture === undefined) throw notAModel(file, "it has no 'general.architecture'");
  if (file.tensors.length === 0) throw notAModel(file, "it has no tensors (a vocabulary-only file?)");
  const layers = firstNumber(file, `${architecture}.block_count`);
  if (layers === undefined) throw notAModel(file, `it has no '${architecture}.block_count'`);
  if (!Number.isInteger(layers) || layers <= 0) {
    throw new IngotError("MODEL_BAD_METADATA", `'${architecture}.block_count' must be a positive integer, got ${layers}`);
  }
  const heads = firstNumber(file, `${architecture}.attention.head_count`) ?? 0;
  const kvHeads = firstNumber(file, `${architecture}.attention.head_count_kv`) ?? heads;
  return {
    architecture,
    layers,
    heads,
    kvHeads,
    experts: firstNumber(file, `${architecture}.expert_count`) ?? 0,
    hasOutputTensor: file.tensor("output.weight") !== undefined,
    is70B: architecture === "llama" && layers === 80 && heads !== kvHeads,
  };
}

/** llama.cpp's hparams.n_gqa(): query heads per KV head, 0 when unknown. */
export function groupedQueryFactor(shape: ModelShape): number {
  return shape.kvHeads > 0 ? Math.trunc(shape.heads / shape.kvHeads) : 0;
}
