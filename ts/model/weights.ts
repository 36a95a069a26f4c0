/**
 * Locates a model's weight tensors in a GGUF file and checks their shapes against the config,
 * so a wrong or truncated file fails at load with the tensor's name rather than mid-generation.
 */
import { IngotError } from "../errors.ts";
import type { GgufFile, GgufTensorInfo } from "../gguf/index.ts";
import type { ModelConfig } from "./config.ts";

export interface LayerWeights {
  attnNorm: GgufTensorInfo;
  q: GgufTensorInfo;
  k: GgufTensorInfo;
  v: GgufTensorInfo;
  qBias: GgufTensorInfo | null;
  kBias: GgufTensorInfo | null;
  vBias: GgufTensorInfo | null;
  attnOut: GgufTensorInfo;
  ffnNorm: GgufTensorInfo;
  gate: GgufTensorInfo;
  up: GgufTensorInfo;
  down: GgufTensorInfo;
}

export interface ModelWeights {
  tokenEmbedding: GgufTensorInfo;
  outputNorm: GgufTensorInfo;
  /** token_embd when embeddings are tied. */
  output: GgufTensorInfo;
  ropeFreqs: GgufTensorInfo | null;
  layers: LayerWeights[];
}

function tensor(file: GgufFile, name: string, dims: number[]): GgufTensorInfo {
  const t = file.tensor(name);
  if (!t) throw new IngotError("MODEL_BAD_METADATA", `missing tensor '${name}' in ${file.path}`);
  const same = t.dims.length >= dims.length && dims.every((d, i) => t.dims[i] === d) && t.dims.slice(dims.length).every((d) => d === 1);
  if (!same) {
    throw new IngotError(
      "MODEL_BAD_METADATA",
      `tensor '${name}' has shape [${t.dims.join(", ")}], expected [${dims.join(", ")}] from the model's metadata`,
    );
  }
  return t;
}

export function locateWeights(file: GgufFile, c: ModelConfig): ModelWeights {
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.layers; i++) {
    const n = (s: string) => `blk.${i}.${s}`;
    layers.push({
      attnNorm: tensor(file, n("attn_norm.weight"), [c.dim]),
      q: tensor(file, n("attn_q.weight"), [c.dim, qDim]),
      k: tensor(file, n("attn_k.weight"), [c.dim, kvDim]),
      v: tensor(file, n("attn_v.weight"), [c.dim, kvDim]),
      qBias: c.qkvBias ? tensor(file, n("attn_q.bias"), [qDim]) : null,
      kBias: c.qkvBias ? tensor(file, n("attn_k.bias"), [kvDim]) : null,
      vBias: c.qkvBias ? tensor(file, n("attn_v.bias"), [kvDim]) : null,
      attnOut: tensor(file, n("attn_output.weight"), [qDim, c.dim]),
      ffnNorm: tensor(file, n("ffn_norm.weight"), [c.dim]),
      gate: tensor(file, n("ffn_gate.weight"), [c.dim, c.ffnDim]),
      up: tensor(file, n("ffn_up.weight"), [c.dim, c.ffnDim]),
      down: tensor(file, n("ffn_down.weight"), [c.ffnDim, c.dim]),
    });
  }
  const tokenEmbedding = tensor(file, "token_embd.weight", [c.dim, c.vocabSize]);
  return {
    tokenEmbedding,
    outputNorm: tensor(file, "output_norm.weight", [c.dim]),
    output: c.tiedEmbeddings ? tokenEmbedding : tensor(file, "output.weight", [c.dim, c.vocabSize]),
    ropeFreqs: c.rope.freqFactorsTensor ? tensor(file, c.rope.freqFactorsTensor, [c.rope.dims / 2]) : null,
    layers,
  };
}
