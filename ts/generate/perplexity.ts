/**
 * Perplexity by llama.cpp's method (llama-perplexity), so figures are comparable with its own:
 * tokenize the whole text (with BOS when the vocabulary adds one), cut it into consecutive chunks of
 * `chunkSize` tokens, evaluate each chunk from an empty cache (its first token replaced by BOS when the
 * vocabulary adds one), and score only the second half: logits at positions chunk/2 .. chunk-2 each
 * predict the next token. PPL = exp(mean negative log-likelihood).
 */
import { IngotError } from "../errors.ts";
import type { Model } from "../model/model.ts";

export interface PerplexityOptions {
  /** Tokens per chunk (llama-perplexity's -c). Default 512. */
  chunkSize?: number;
  /** Score at most this many chunks (default: all that fit). */
  maxChunks?: number;
  onProgress?: (chunksDone: number, chunks: number, pplSoFar: number) => void;
}

export interface PerplexityResult {
  ppl: number;
  tokensScored: number;
  chunks: number;
  chunkSize: number;
  /** Perplexity after each chunk, as llama-perplexity prints it. */
  perChunk: number[];
  seconds: number;
}

/** Negative log-likelihood of `target` under softmax(row), computed in double precision. */
export function negativeLogLikelihood(row: Float32Array, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  return Math.log(sum) + max - row[target]!;
}

export function perplexity(model: Model, text: string, opts: PerplexityOptions = {}): PerplexityResult {
  const chunkSize = opts.chunkSize ?? 512;
  if (!Number.isInteger(chunkSize) || chunkSize < 4) throw new IngotError("BAD_ARGUMENT", `chunk size must be an integer >= 4, got ${chunkSize}`);
  const tokenizer = model.tokenizer;
  const tokens = tokenizer.encode(text);
  if (tokens.length < 2 * chunkSize) {
    throw new IngotError("BAD_INPUT", `the text has ${tokens.length} tokens; perplexity with -c ${chunkSize} needs at least ${2 * chunkSize}`);
  }
  const chunks = Math.min(Math.floor(tokens.length / chunkSize), opts.maxChunks ?? Infinity);
  const first = Math.floor(chunkSize / 2);
  const scoredRows = chunkSize - 1 - first;
  const outputs = Array.from({ length: scoredRows }, (_, i) => first + i);
  const vocab = model.config.vocabSize;
  const ctx = model.createContext({ contextLength: chunkSize, batchCapacity: chunkSize, outputCapacity: scoredRows });
  const start = performance.now();
  try {
    let nll = 0;
    let count = 0;
    const perChunk: number[] = [];
    for (let c = 0; c < chunks; c++) {
      const chunk = tokens.slice(c * chunkSize, (c + 1) * chunkSize);
      if (tokenizer.addBos && tokenizer.bos !== null) chunk[0] = tokenizer.bos;
      // Positions restart at 0 each chunk, so the chunk overwrites and never sees the previous one.
      const logits = ctx.forward({
        tokens: chunk,
        positions: chunk.map((_, i) => i),
        seqIds: chunk.map(() => 0),
        outputs,
      });
      for (let r = 0; r < scoredRows; r++) {
        nll += negativeLogLikelihood(logits.subarray(r * vocab, (r + 1) * vocab), chunk[first + r + 1]!);
        count++;
      }
      perChunk.push(Math.exp(nll / count));
      opts.onProgress?.(c + 1, chunks, Math.exp(nll / count));
    }
    return { ppl: Math.exp(nll / count), tokensScored: count, chunks, chunkSize, perChunk, seconds: (performance.now() - start) / 1000 };
  } finally {
    ctx.dispose();
  }
}
