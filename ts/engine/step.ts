/**
 * What every engine's context shares: resolving and checking its options, and validating a batch and
 * writing it into the step-argument block the engine reads (the same layout for the C engine,
 * ingot_cpu.h, and the Metal kernels, shaders/kargs.h: a header, then tokens, positions, sequence ids
 * and output rows, `capacity` each).
 */
import { IngotError } from "../errors.ts";
import type { ModelConfig } from "../model/config.ts";
import type { Batch, ContextOptions } from "./types.ts";

/** Header words of the step block (INGOT_STEP_* in ingot_cpu.h, STEP_* in shaders/kargs.h). */
export const STEP = { N_TOKENS: 0, N_OUTPUTS: 1, HEADER: 4 } as const;

/** Int32 words of a step block for `capacity` tokens. */
export function stepWords(capacity: number): number {
  return STEP.HEADER + 4 * capacity;
}

export interface ResolvedContextOptions {
  contextLength: number;
  sequences: number;
  batchCapacity: number;
  outputCapacity: number;
  topK: number | undefined;
}

/** Applies the defaults documented on ContextOptions and rejects impossible values. */
export function resolveContextOptions(c: ModelConfig, opts: ContextOptions, topKMax: number): ResolvedContextOptions {
  const batchCapacity = opts.batchCapacity ?? 512;
  const r = {
    contextLength: opts.contextLength ?? c.contextLength,
    sequences: opts.sequences ?? 1,
    batchCapacity,
    outputCapacity: Math.min(opts.outputCapacity ?? batchCapacity, batchCapacity),
  };
  for (const [name, v] of Object.entries(r)) {
    if (!Number.isInteger(v) || v < 1) throw new IngotError("BAD_ARGUMENT", `${name} must be a positive integer, got ${v}`);
  }
  const topK = opts.topK;
  const max = Math.min(topKMax, c.vocabSize);
  if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1 && topK <= max)) {
    throw new IngotError("BAD_ARGUMENT", `topK must be an integer in 1..${max}, got ${topK}`);
  }
  return { ...r, topK };
}

export interface StepLimits {
  batchCapacity: number;
  outputCapacity: number;
  vocabSize: number;
  contextLength: number;
  sequences: number;
}

export class StepWriter {
  private readonly capacity: number;

  constructor(private readonly words: Int32Array, private readonly limits: StepLimits) {
    this.capacity = limits.batchCapacity;
    if (words.length < stepWords(this.capacity)) throw new RangeError("step block smaller than its capacity");
  }

  /** Validates the batch and writes it; returns the number of output rows. */
  write(batch: Batch): number {
    const l = this.limits;
    const n = batch.tokens.length;
    const outs = batch.outputs.length;
    if (n < 1 || n > l.batchCapacity) throw new IngotError("BAD_ARGUMENT", `a batch holds 1..${l.batchCapacity} tokens, got ${n}`);
    if (batch.positions.length !== n || batch.seqIds.length !== n) throw new IngotError("BAD_ARGUMENT", "batch tokens, positions and seqIds differ in length");
    if (outs < 1 || outs > l.outputCapacity) throw new IngotError("BAD_ARGUMENT", `a batch asks for 1..${l.outputCapacity} rows of logits, got ${outs}`);
    const w = this.words, cap = this.capacity, h = STEP.HEADER;
    for (let i = 0; i < n; i++) {
      const tok = batch.tokens[i]!, pos = batch.positions[i]!, seq = batch.seqIds[i]!;
      if (!(tok >= 0 && tok < l.vocabSize)) throw new IngotError("BAD_INPUT", `token id ${tok} at batch index ${i} is outside the vocabulary (0..${l.vocabSize - 1})`);
      if (!(pos >= 0 && pos < l.contextLength)) throw new IngotError("CONTEXT_OVERFLOW", `position ${pos} is beyond the context length ${l.contextLength}: use a larger --ctx or a shorter prompt`);
      if (!(seq >= 0 && seq < l.sequences)) throw new IngotError("BAD_ARGUMENT", `sequence id ${seq} outside 0..${l.sequences - 1}`);
      w[h + i] = tok;
      w[h + cap + i] = pos;
      w[h + 2 * cap + i] = seq;
    }
    let last = -1;
    for (let i = 0; i < outs; i++) {
      const row = batch.outputs[i]!;
      if (!(row > last && row < n)) throw new IngotError("BAD_ARGUMENT", "batch outputs must be ascending indices into the batch");
      w[h + 3 * cap + i] = last = row;
    }
    w[STEP.N_TOKENS] = n;
    w[STEP.N_OUTPUTS] = outs;
    return outs;
  }
}
