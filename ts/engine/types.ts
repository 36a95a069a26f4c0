/**
 * What every engine offers the layers above it (sampling, speculative decoding, generation):
 * a context that runs a forward pass over a batch of (token, position, sequence) and exposes the
 * logits of the rows asked for.
 */
import type { ModelConfig } from "../model/config.ts";

export interface Batch {
  tokens: ArrayLike<number>;
  positions: ArrayLike<number>;
  /** Sequence slot of each token, in [0, sequences). */
  seqIds: ArrayLike<number>;
  /** Indices into the batch (ascending) of the tokens whose logits are wanted. */
  outputs: ArrayLike<number>;
}

export interface ContextOptions {
  /** Positions per sequence (default: the model's training context). */
  contextLength?: number;
  /** Independent sequences sharing the context (default 1). */
  sequences?: number;
  /** Most tokens in one forward call (default 512). */
  batchCapacity?: number;
  /** Most rows of logits in one forward call (default: batchCapacity). */
  outputCapacity?: number;
  /**
   * Also compute the K largest logits of every output row on the device (1..256; default: off), so a
   * sampler need not scan a large vocabulary. Engines that cannot leave `topK()` undefined.
   */
  topK?: number;
}

/** The device's top-K of each output row of the last forward: `rows × k` values (best first) and ids. */
export interface TopKRows {
  k: number;
  values: Float32Array;
  ids: Int32Array;
}

export interface InferenceContext extends Disposable {
  readonly config: ModelConfig;
  readonly contextLength: number;
  readonly sequences: number;
  readonly batchCapacity: number;
  readonly outputCapacity: number;
  /**
   * Runs the model on `batch`. Returns the logits, `outputs.length` rows of `vocabSize` floats, as a
   * view of engine memory that stays valid until the next call (copy what you keep).
   */
  forward(batch: Batch): Float32Array;
  /** Top-K of the last forward's rows (views valid until the next call); null when not enabled. */
  topK?(): TopKRows | null;
  dispose(): void;
}
