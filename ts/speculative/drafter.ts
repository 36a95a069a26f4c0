/** What proposes draft tokens: a small model, prompt lookup, or the two combined. */
import type { DraftBuffer } from "./draft-buffer.ts";

export interface Drafter {
  /** "model", "lookup" or "model+lookup": shown in statistics. */
  readonly kind: string;
  /**
   * Proposes up to `max` tokens to follow `history` (the prompt and every accepted token), each with
   * the distribution it was drawn from, into `out` (cleared first). May propose fewer, or none.
   */
  propose(history: readonly number[], max: number, out: DraftBuffer): void;
}

/** Prompt lookup first (free when it finds a match), the draft model otherwise. */
export class LookupThenModelDrafter implements Drafter {
  readonly kind = "model+lookup";

  constructor(private readonly lookup: Drafter, private readonly model: Drafter) {}

  propose(history: readonly number[], max: number, out: DraftBuffer): void {
    this.lookup.propose(history, max, out);
    if (out.length === 0) this.model.propose(history, max, out);
  }
}
