/**
 * Draft-model drafting: a small model with the target's vocabulary samples k tokens one step at a
 * time, through the same sampling chain as the target, on its own context and sequence. Its cache
 * is brought back in line with the accepted history at the start of each draft (rollback =
 * truncating to the common prefix, then catching up on the tokens it has not seen in one batch).
 */
import type { Sequence } from "../generate/sequence.ts";
import { rowCandidates } from "../sampling/candidates.ts";
import type { Sampler } from "../sampling/sampler.ts";
import type { DraftBuffer } from "./draft-buffer.ts";
import type { Drafter } from "./drafter.ts";

export class ModelDrafter implements Drafter {
  readonly kind = "model";
  /** The recent history plus the tokens drafted so far (what penalties see at each drafted position). */
  private readonly scratch: number[] = [];

  constructor(private readonly seq: Sequence, private readonly sampler: Sampler) {}

  propose(history: readonly number[], max: number, out: DraftBuffer): void {
    out.clear();
    if (max < 1) return;
    const seq = this.seq;
    // Keep the shared prefix, minus at least one token so there are fresh logits after the last.
    seq.truncate(Math.min(seq.commonPrefix(history), history.length - 1));
    let logits = seq.prefill(history.slice(seq.length));
    const h = this.scratch;
    h.length = 0;
    for (let i = Math.max(0, history.length - this.sampler.options.penaltyWindow); i < history.length; i++) h.push(history[i]!);
    for (;;) {
      const q = this.sampler.distribution(logits, h, rowCandidates(seq.context, 0));
      const token = this.sampler.draw(q);
      out.push(token, q);
      h.push(token);
      if (out.length >= max) return;
      logits = seq.step(token);
    }
  }
}
