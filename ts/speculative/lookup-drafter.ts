/**
 * Prompt-lookup drafting (Saxena 2023; llama.cpp's lookup): find the most recent earlier occurrence
 * of the context's last n tokens (longest n first) and propose the tokens that followed it. No model
 * runs, and each proposal is certain (q is a point mass), which exact acceptance handles like any q.
 */
import { IngotError } from "../errors.ts";
import type { DraftBuffer } from "./draft-buffer.ts";
import type { Drafter } from "./drafter.ts";

export interface LookupOptions {
  /** Shortest suffix worth matching. Default 2. */
  minNgram?: number;
  /** Longest suffix tried first. Default 4. */
  maxNgram?: number;
}

export class LookupDrafter implements Drafter {
  readonly kind = "lookup";
  private readonly minNgram: number;
  private readonly maxNgram: number;

  constructor(opts: LookupOptions = {}) {
    this.minNgram = opts.minNgram ?? 2;
    this.maxNgram = opts.maxNgram ?? 4;
    if (!(Number.isInteger(this.minNgram) && this.minNgram >= 1 && Number.isInteger(this.maxNgram) && this.maxNgram >= this.minNgram)) {
      throw new IngotError("BAD_ARGUMENT", `lookup n-gram sizes must be integers with 1 ≤ min ≤ max, got ${this.minNgram}..${this.maxNgram}`);
    }
  }

  propose(history: readonly number[], max: number, out: DraftBuffer): void {
    out.clear();
    const len = history.length;
    for (let n = Math.min(this.maxNgram, len - 1); n >= this.minNgram; n--) {
      const at = lastEarlierOccurrence(history, n);
      if (at < 0) continue;
      for (let i = at + n; i < len && out.length < max; i++) out.pushCertain(history[i]!);
      return;
    }
  }
}

/** Start of the latest earlier occurrence of the last n tokens (that has a token after it), or -1. */
function lastEarlierOccurrence(h: readonly number[], n: number): number {
  const len = h.length;
  outer: for (let start = len - n - 1; start >= 0; start--) {
    for (let j = 0; j < n; j++) if (h[start + j] !== h[len - n + j]) continue outer;
    return start;
  }
  return -1;
}
