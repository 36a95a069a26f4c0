/**
 * Validates a batch and writes it into a step-argument block (layout of shaders/kargs.h and
 * ingot_cpu.h: header, then tokens, positions, sequence ids and output rows, `capacity` each).
 */
import { IngotError } from "../../errors.ts";
import type { Batch } from "../types.ts";
import { K } from "./kargs.ts";

export interface StepLimits {
  batchCapacity: number;
  outputCapacity: number;
  vocabSize: number;
  contextLength: number;
  sequences: number;
}

export class StepWriter {
  constructor(private readonly words: Int32Array, private readonly capacity: number) {
    if (words.length < K.STEP_HEADER + 4 * capacity) throw new RangeError("step block smaller than its capacity");
  }

  /** Writes the batch; returns the number of output rows. */
  write(batch: Batch, l: StepLimits): number {
    const n = batch.tokens.length;
    const outs = batch.outputs.length;
    if (n < 1 || n > l.batchCapacity) throw new IngotError("BAD_ARGUMENT", `a batch holds 1..${l.batchCapacity} tokens, got ${n}`);
    if (batch.positions.length !== n || batch.seqIds.length !== n) throw new IngotError("BAD_ARGUMENT", "batch tokens, positions and seqIds differ in length");
    if (outs < 1 || outs > l.outputCapacity) throw new IngotError("BAD_ARGUMENT", `a batch asks for 1..${l.outputCapacity} rows of logits, got ${outs}`);
    const w = this.words, cap = this.capacity, h = K.STEP_HEADER;
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
    w[K.STEP_N_TOKENS] = n;
    w[K.STEP_N_OUTPUTS] = outs;
    return outs;
  }
}
