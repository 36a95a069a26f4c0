/**
 * Turns sampled tokens into output text with the usual endings: end-of-generation tokens (not
 * emitted unless ignored), stop strings matched across token boundaries (never emitted) and the
 * token budget. Speculative steps produce several tokens at once; this decides how many count.
 */
import type { FinishReason } from "./generate.ts";
import { StopMatcher } from "./stop.ts";
import type { StreamDecoder, Tokenizer } from "../tokenizer/index.ts";

export interface EmitterOptions {
  maxTokens: number;
  stop?: string[];
  ignoreEos?: boolean;
}

export class TokenEmitter {
  readonly tokens: number[] = [];
  text = "";
  /** Set once generation has ended; null while it may go on. */
  finishReason: FinishReason | null = null;
  private readonly stop: StopMatcher;
  private stoppedByString = false;
  private readonly decoder: StreamDecoder;

  constructor(private readonly tokenizer: Tokenizer, private readonly opts: EmitterOptions) {
    this.stop = new StopMatcher(opts.stop ?? []);
    this.decoder = tokenizer.createStreamDecoder();
    if (opts.maxTokens === 0) this.finishReason = "length";
  }

  get done(): boolean {
    return this.finishReason !== null;
  }

  /** Feeds one token; returns the text that became printable. Ignored once done. */
  push(token: number): string {
    if (this.done) return "";
    if (!this.opts.ignoreEos && this.tokenizer.isEog(token)) {
      this.finishReason = "stop";
      return "";
    }
    this.tokens.push(token);
    const { emit, stopped } = this.stop.push(this.decoder.push(token));
    this.text += emit;
    if (stopped) [this.finishReason, this.stoppedByString] = ["stop", true];
    else if (this.tokens.length >= this.opts.maxTokens) this.finishReason = "length";
    return emit;
  }

  /**
   * Ends generation (for `reason` unless it already ended); returns the text still held back, which
   * is released unless a stop string ended generation.
   */
  finish(reason: FinishReason): string {
    this.finishReason ??= reason;
    if (this.stoppedByString) return "";
    const rest = this.stop.push(this.decoder.flush()).emit + this.stop.flush();
    this.text += rest;
    return rest;
  }
}
