/**
 * What one request turns logits into: its own sampler (seed, settings) and penalty history, and a
 * TokenEmitter for end-of-generation tokens, stop strings, the token budget and streaming text.
 * Independent of how the logits were computed, so a request gives the same tokens whether it ran
 * alone or batched with others.
 */
import type { FinishReason, GenerateOptions, GenerationChunk } from "../generate/generate.ts";
import { Sampler } from "../sampling/sampler.ts";
import { TokenEmitter } from "../generate/emitter.ts";
import type { Tokenizer } from "../tokenizer/index.ts";

export class Completion {
  private readonly sampler: Sampler;
  private readonly emitter: TokenEmitter;
  private readonly history: number[];

  constructor(tokenizer: Tokenizer, prompt: readonly number[], opts: GenerateOptions) {
    this.sampler = new Sampler(tokenizer.vocabSize, opts);
    this.emitter = new TokenEmitter(tokenizer, { maxTokens: opts.maxTokens ?? 256, stop: opts.stop, ignoreEos: opts.ignoreEos });
    this.history = [...prompt];
  }

  get tokens(): number[] {
    return this.emitter.tokens;
  }

  get text(): string {
    return this.emitter.text;
  }

  /** Set once generation has ended (end of text, stop string, budget); null while it goes on. */
  get finishReason(): FinishReason | null {
    return this.emitter.finishReason;
  }

  /** The last sampled token (what the next forward pass must feed). */
  get lastToken(): number {
    return this.history[this.history.length - 1]!;
  }

  /** Samples the next token from one row of logits; returns what became printable. */
  accept(logits: Float32Array): GenerationChunk {
    const token = this.sampler.sample(logits, this.history);
    this.history.push(token);
    const before = this.emitter.tokens.length;
    const text = this.emitter.push(token);
    return { tokens: this.emitter.tokens.slice(before), text };
  }

  /** Ends generation (for `reason` unless it already ended); returns the text still held back. */
  finish(reason: FinishReason): string {
    return this.emitter.finish(reason);
  }
}
