/**
 * The tokens of one draft and, for each, the distribution q it was drawn from (what exact
 * acceptance compares with the target's p). Slots are reused from step to step.
 */
import type { Distribution } from "../sampling/sampler.ts";

export class DraftBuffer {
  readonly tokens: number[] = [];
  private readonly slots: Distribution[] = [];

  get length(): number {
    return this.tokens.length;
  }

  clear(): void {
    this.tokens.length = 0;
  }

  /** Appends `token`, drawn from `q` (copied: q usually lives in a sampler's buffers). */
  push(token: number, q: Distribution): void {
    const slot = this.slot(q.count);
    slot.ids.set(q.ids.subarray(0, q.count));
    slot.probs.set(q.probs.subarray(0, q.count));
    slot.count = q.count;
    this.tokens.push(token);
  }

  /** Appends a token proposed with certainty (q is a point mass on it), as prompt lookup does. */
  pushCertain(token: number): void {
    const slot = this.slot(1);
    slot.ids[0] = token;
    slot.probs[0] = 1;
    slot.count = 1;
    this.tokens.push(token);
  }

  /** The distribution the i-th token was drawn from. */
  distribution(i: number): Distribution {
    return this.slots[i]!;
  }

  private slot(count: number): Distribution {
    const i = this.tokens.length;
    let slot = this.slots[i];
    if (!slot || slot.ids.length < count) {
      const size = Math.max(count, 64);
      slot = { ids: new Int32Array(size), probs: new Float64Array(size), count: 0 };
      this.slots[i] = slot;
    }
    return slot;
  }
}
