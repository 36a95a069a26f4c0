/**
 * Speculative generation on one target sequence: each step a drafter proposes k tokens, the target
 * scores the last accepted token and the k drafts in one batched forward (k + 1 rows of logits),
 * and exact acceptance keeps a prefix of the drafts and adds one token of the target's own (the
 * replacement of the first rejected draft, or a bonus token when all k pass). The target cache is
 * then truncated to the accepted prefix. The tokens produced are distributed exactly as plain
 * sampling with the same settings; at temperature 0 they are plain greedy decoding, token for token.
 */
import { IngotError } from "../errors.ts";
import { tokensPerSecond, type GenerateOptions, type GenerationChunk, type GenerationResult, type GenerationStats } from "../generate/generate.ts";
import type { Sequence } from "../generate/sequence.ts";
import { rowCandidates } from "../sampling/candidates.ts";
import { Sampler } from "../sampling/sampler.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import { Acceptor, probabilityOf } from "./acceptance.ts";
import { DraftBuffer } from "./draft-buffer.ts";
import { DraftLength } from "./draft-length.ts";
import type { Drafter } from "./drafter.ts";
import { TokenEmitter } from "../generate/emitter.ts";

export interface SpeculativeOptions extends GenerateOptions {
  /** Largest draft per step. Default 8. */
  draftMax?: number;
  /** Draft exactly this many tokens per step (capped by draftMax); adaptive when absent. */
  draftLength?: number;
}

export interface SpeculativeStats {
  /** What drafted: "model", "lookup" or "model+lookup". */
  drafter: string;
  /** Target forwards (verification steps). */
  steps: number;
  drafted: number;
  accepted: number;
  /** accepted / drafted (0 when nothing was drafted). */
  acceptanceRate: number;
  meanAcceptedPerStep: number;
  /** Generated tokens per second of the decode phase. */
  tokensPerSecond: number;
  draftMs: number;
  verifyMs: number;
  /** Drafted tokens the target judged (the rest followed a rejection in the same step). */
  judged: number;
  /** Mean over judged drafts of min(1, p(x)/q(x)): the chance exact rejection sampling keeps each. */
  acceptProbability: number;
  /**
   * Mean over the same drafts of p(x): the chance that exact-match verification (the target samples
   * its own token and compares, as llama.cpp does) would keep each. Equal at temperature 0.
   */
  exactMatchProbability: number;
  /** Tokens per second of plain decoding of the same prompt and settings, when it was measured. */
  baselineTokensPerSecond: number | null;
  /** tokensPerSecond / baselineTokensPerSecond, when the baseline was measured. */
  speedup: number | null;
}

export interface SpeculativeResult extends GenerationResult {
  stats: GenerationStats & { speculative: SpeculativeStats };
}

export function* generateSpeculative(
  tokenizer: Tokenizer,
  seq: Sequence,
  drafter: Drafter,
  prompt: readonly number[],
  opts: SpeculativeOptions = {},
): Generator<GenerationChunk, SpeculativeResult> {
  const maxTokens = opts.maxTokens ?? 256;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new IngotError("BAD_ARGUMENT", `maxTokens must be a non-negative integer, got ${maxTokens}`);
  if (prompt.length === 0) throw new IngotError("BAD_ARGUMENT", "the prompt is empty: give at least one token");
  const ctx = seq.context;
  const vocab = tokenizer.vocabSize;
  const sampler = new Sampler(vocab, opts);
  const random = () => sampler.random();
  const acceptor = new Acceptor(vocab);
  const lengths = new DraftLength({ max: opts.draftMax, fixed: opts.draftLength });
  const draft = new DraftBuffer();
  const emitter = new TokenEmitter(tokenizer, { maxTokens, stop: opts.stop, ignoreEos: opts.ignoreEos });
  const batchLimit = Math.min(ctx.batchCapacity, ctx.outputCapacity) - 1;
  // The prompt and every accepted token; the target cache holds all but the last of them.
  const history: number[] = [...prompt];
  const sp = { steps: 0, drafted: 0, accepted: 0, draftMs: 0, verifyMs: 0, judged: 0 };
  let sumAccept = 0, sumExactMatch = 0;

  const t0 = performance.now();
  const reuse = Math.min(seq.commonPrefix(prompt), prompt.length - 1);
  seq.truncate(reuse);
  if (reuse < prompt.length - 1) seq.prefill(prompt.slice(reuse, -1));
  const prefillMs = performance.now() - t0;

  const t1 = performance.now();
  while (!emitter.done) {
    if (opts.signal?.aborted) {
      emitter.finishReason = "abort";
      break;
    }
    const room = ctx.contextLength - history.length;
    if (room < 0) break;
    const k = Math.min(lengths.next(), maxTokens - emitter.tokens.length - 1, room, batchLimit);
    const td = performance.now();
    if (k > 0) drafter.propose(history, k, draft);
    else draft.clear();
    const tv = performance.now();
    const batch = [history[history.length - 1]!, ...draft.tokens];
    const logits = seq.evaluateAll(batch);
    const row = (i: number) => logits.subarray(i * vocab, (i + 1) * vocab);
    let accepted = 0;
    let own = -1;
    for (; accepted < draft.length; accepted++) {
      const p = sampler.distribution(row(accepted), history, rowCandidates(ctx, accepted));
      const x = draft.tokens[accepted]!;
      const q = draft.distribution(accepted);
      const px = probabilityOf(p, x);
      sumAccept += Math.min(1, px / probabilityOf(q, x));
      sumExactMatch += px;
      sp.judged++;
      const y = acceptor.judge(p, q, x, random);
      if (y !== x) {
        own = y;
        break;
      }
      history.push(x);
    }
    if (own < 0) own = sampler.draw(sampler.distribution(row(draft.length), history, rowCandidates(ctx, draft.length)));
    history.push(own);
    seq.truncate(history.length - 1);
    const te = performance.now();
    lengths.record(draft.length, accepted, tv - td, batch.length, te - tv);
    sp.steps++;
    sp.drafted += draft.length;
    sp.accepted += accepted;
    sp.draftMs += tv - td;
    sp.verifyMs += te - tv;

    const produced = history.slice(history.length - accepted - 1);
    const before = emitter.tokens.length;
    let text = "";
    for (const token of produced) {
      text += emitter.push(token);
      if (emitter.done) break;
    }
    yield { tokens: emitter.tokens.slice(before), text };
  }
  const rest = emitter.finish("length");
  if (rest) yield { tokens: [], text: rest };
  const decodeMs = performance.now() - t1;
  const generated = emitter.tokens.length;
  return {
    text: emitter.text,
    tokens: emitter.tokens,
    finishReason: emitter.finishReason!,
    stats: {
      promptTokens: prompt.length,
      prefillTokens: prompt.length - 1 - reuse,
      generatedTokens: generated,
      prefillMs,
      decodeMs,
      speculative: {
        drafter: drafter.kind,
        ...sp,
        acceptanceRate: sp.drafted > 0 ? sp.accepted / sp.drafted : 0,
        meanAcceptedPerStep: sp.steps > 0 ? sp.accepted / sp.steps : 0,
        acceptProbability: sp.judged > 0 ? sumAccept / sp.judged : 0,
        exactMatchProbability: sp.judged > 0 ? sumExactMatch / sp.judged : 0,
        tokensPerSecond: tokensPerSecond(generated, decodeMs),
        baselineTokensPerSecond: null,
        speedup: null,
      },
    },
  };
}
