/**
 * One sequence's view of an inference context: which tokens its KV cache holds, prefill in chunks,
 * single-token steps, and truncation (rejected drafts, a new chat turn that shares a prefix).
 */
import { IngotError } from "../errors.ts";
import type { InferenceContext } from "../engine/types.ts";

export class Sequence {
  /** Tokens whose keys and values are in the cache, in position order. */
  readonly tokens: number[] = [];
  private readonly one = { tokens: [0], positions: [0], seqIds: [0], outputs: [0] };

  constructor(readonly context: InferenceContext, readonly id = 0) {
    if (!(id >= 0 && id < context.sequences)) throw new IngotError("BAD_ARGUMENT", `sequence ${id} outside 0..${context.sequences - 1}`);
    this.one.seqIds[0] = id;
  }

  get length(): number {
    return this.tokens.length;
  }

  /** Forgets cached positions from `length` on. */
  truncate(length: number): void {
    if (length < this.tokens.length) this.tokens.length = Math.max(0, length);
  }

  /** Tokens shared with the start of `ids` (what a new prompt can reuse from the cache). */
  commonPrefix(ids: readonly number[]): number {
    let n = 0;
    while (n < ids.length && n < this.tokens.length && ids[n] === this.tokens[n]) n++;
    return n;
  }

  private checkRoom(extra: number): void {
    if (this.tokens.length + extra > this.context.contextLength) {
      throw new IngotError(
        "CONTEXT_OVERFLOW",
        `${this.tokens.length + extra} tokens do not fit the context of ${this.context.contextLength}: shorten the prompt or raise the context size`,
      );
    }
  }

  /**
   * Appends `ids` to the cache and returns the logits after the last one (a view valid until the next
   * forward). Long inputs run in chunks of the context's batch capacity.
   */
  prefill(ids: readonly number[]): Float32Array {
    if (ids.length === 0) throw new IngotError("BAD_ARGUMENT", "nothing to prefill");
    this.checkRoom(ids.length);
    const cap = this.context.batchCapacity;
    let logits: Float32Array | null = null;
    for (let start = 0; start < ids.length; start += cap) {
      const chunk = ids.slice(start, start + cap);
      const base = this.tokens.length;
      logits = this.context.forward({
        tokens: chunk,
        positions: chunk.map((_, i) => base + i),
        seqIds: chunk.map(() => this.id),
        outputs: [chunk.length - 1],
      });
      this.tokens.push(...chunk);
    }
    return logits!;
  }

  /** Appends one token and returns the logits after it. */
  step(token: number): Float32Array {
    this.checkRoom(1);
    this.one.tokens[0] = token;
    this.one.positions[0] = this.tokens.length;
    const logits = this.context.forward(this.one);
    this.tokens.push(token);
    return logits;
  }

  /** Appends `ids` and returns the logits after every one of them (speculative verification, perplexity). */
  evaluateAll(ids: readonly number[]): Float32Array {
    if (ids.length === 0 || ids.length > this.context.batchCapacity || ids.length > this.context.outputCapacity) {
      throw new IngotError("BAD_ARGUMENT", `evaluateAll takes 1..${Math.min(this.context.batchCapacity, this.context.outputCapacity)} tokens, got ${ids.length}`);
    }
    this.checkRoom(ids.length);
    const base = this.tokens.length;
    const logits = this.context.forward({
      tokens: ids,
      positions: ids.map((_, i) => base + i),
      seqIds: ids.map(() => this.id),
      outputs: ids.map((_, i) => i),
    });
    this.tokens.push(...ids);
    return logits;
  }
}
