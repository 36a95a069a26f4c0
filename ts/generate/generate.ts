/**
 * Plain (non-speculative) generation on one sequence: prefill the prompt (reusing whatever prefix the
 * cache already holds), then sample and step until EOS, a stop string, the token budget or an abort.
 * Yields decoded text as it becomes valid UTF-8.
 */
import { IngotError } from "../errors.ts";
import { rowCandidates } from "../sampling/candidates.ts";
import { Sampler, type SamplingOptions } from "../sampling/sampler.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import type { Sequence } from "./sequence.ts";
import { TokenEmitter } from "./emitter.ts";

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate. Default 256. */
  maxTokens?: number;
  /** Strings that end generation; they are not part of the output. */
  stop?: string[];
  /** Keep going past end-of-generation tokens. */
  ignoreEos?: boolean;
  signal?: AbortSignal;
}

export type FinishReason = "stop" | "length" | "abort";

export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens actually run (the rest came from the cache). */
  prefillTokens: number;
  generatedTokens: number;
  prefillMs: number;
  decodeMs: number;
}

export interface GenerationChunk {
  /** Tokens sampled since the previous chunk. */
  tokens: number[];
  /** Text that became printable with them (possibly ""). */
  text: string;
}

export interface GenerationResult {
  text: string;
  tokens: number[];
  finishReason: FinishReason;
  stats: GenerationStats;
}

export function tokensPerSecond(tokens: number, ms: number): number {
  return ms > 0 ? (tokens * 1000) / ms : 0;
}

/**
 * Generates from `prompt` ids on `seq`. Iterate it for chunks; the iterator's return value is the
 * full result.
 */
export function* generate(
  tokenizer: Tokenizer,
  seq: Sequence,
  prompt: readonly number[],
  opts: GenerateOptions = {},
): Generator<GenerationChunk, GenerationResult> {
  const maxTokens = opts.maxTokens ?? 256;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new IngotError("BAD_ARGUMENT", `maxTokens must be a non-negative integer, got ${maxTokens}`);
  if (prompt.length === 0) throw new IngotError("BAD_ARGUMENT", "the prompt is empty: give at least one token");
  const sampler = new Sampler(tokenizer.vocabSize, opts);
  const out = new TokenEmitter(tokenizer, { maxTokens, stop: opts.stop, ignoreEos: opts.ignoreEos });
  const history: number[] = [...prompt];

  // Reuse the cached prefix; always re-run at least the last prompt token to get its logits.
  const t0 = performance.now();
  const reuse = Math.min(seq.commonPrefix(prompt), prompt.length - 1);
  seq.truncate(reuse);
  let logits = seq.prefill(prompt.slice(reuse));
  const prefillMs = performance.now() - t0;

  const t1 = performance.now();
  while (!out.done) {
    if (opts.signal?.aborted) {
      out.finish("abort");
      break;
    }
    const token = sampler.sample(logits, history, rowCandidates(seq.context, 0));
    const before = out.tokens.length;
    const text = out.push(token);
    if (out.tokens.length === before) break; // an end-of-generation token: not part of the output
    history.push(token);
    yield { tokens: [token], text };
    if (out.done) break;
    if (seq.length >= seq.context.contextLength) {
      out.finish("length"); // context full
      break;
    }
    logits = seq.step(token);
  }
  const rest = out.finish("length");
  if (rest) yield { tokens: [], text: rest };
  const { text, tokens } = out;
  const finishReason = out.finishReason!;
  return {
    text,
    tokens,
    finishReason,
    stats: {
      promptTokens: prompt.length,
      prefillTokens: prompt.length - reuse,
      generatedTokens: tokens.length,
      prefillMs,
      decodeMs: performance.now() - t1,
    },
  };
}
