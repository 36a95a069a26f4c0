/**
 * Everything one speculative setup needs, built once: the target's context and sequence (room for
 * k + 1 rows of logits per forward, on-device top-k when the sampling chain can use it), the draft
 * model's own context and sequence, the vocabulary check. Runs speculative generation, plain
 * generation on the same target (the baseline), or both to measure the speed-up.
 */
import type { InferenceContext } from "../engine/types.ts";
import { IngotError } from "../errors.ts";
import { generate, tokensPerSecond, type GenerateOptions, type GenerationChunk, type GenerationResult } from "../generate/generate.ts";
import { Sequence } from "../generate/sequence.ts";
import type { Model } from "../model/model.ts";
import { Sampler, type SamplingOptions } from "../sampling/sampler.ts";
import { generateSpeculative, type SpeculativeOptions, type SpeculativeResult } from "./decoder.ts";
import { LookupThenModelDrafter, type Drafter } from "./drafter.ts";
import { LookupDrafter, type LookupOptions } from "./lookup-drafter.ts";
import { ModelDrafter } from "./model-drafter.ts";
import { checkSameVocabulary } from "./vocabulary.ts";

export interface RunnerOptions {
  target: Model;
  /** A draft model with the target's vocabulary. */
  draft?: Model;
  /** Draft by prompt lookup (first, when a draft model is given too). */
  lookup?: boolean | LookupOptions;
  /** Largest draft per step; sizes the target's logits rows. Default 8. */
  draftMax?: number;
  /** Positions per sequence (default: the target's training context). */
  contextLength?: number;
  /** The settings the runs will use: they decide whether on-device top-k is worth computing. */
  sampling?: SamplingOptions;
}

const DEFAULT_DRAFT_MAX = 8;

export class SpeculativeRunner implements Disposable {
  readonly draftMax: number;
  private readonly targetContext: InferenceContext;
  private readonly draftContext: InferenceContext | null;
  private readonly targetSeq: Sequence;
  private readonly draftSeq: Sequence | null;

  constructor(private readonly opts: RunnerOptions) {
    const { target, draft } = opts;
    if (!draft && !opts.lookup) throw new IngotError("BAD_ARGUMENT", "speculative decoding needs a draft model or prompt lookup");
    if (draft) checkSameVocabulary(target.tokenizer, draft.tokenizer);
    this.draftMax = opts.draftMax ?? DEFAULT_DRAFT_MAX;
    if (!(Number.isInteger(this.draftMax) && this.draftMax >= 1 && this.draftMax <= 64)) {
      throw new IngotError("BAD_ARGUMENT", `draft max must be an integer in 1..64, got ${this.draftMax}`);
    }
    const contextLength = opts.contextLength ?? target.config.contextLength;
    const topK = new Sampler(target.config.vocabSize, opts.sampling).preferredTopK || undefined;
    this.targetContext = target.createContext({ contextLength, batchCapacity: 512, outputCapacity: this.draftMax + 1, topK });
    this.targetSeq = new Sequence(this.targetContext);
    this.draftContext = draft ? draft.createContext({ contextLength, batchCapacity: 512, outputCapacity: 1, topK }) : null;
    this.draftSeq = this.draftContext ? new Sequence(this.draftContext) : null;
  }

  get target(): Model {
    return this.opts.target;
  }

  /** Speculative generation from `prompt` ids. */
  speculative(prompt: readonly number[], opts: SpeculativeOptions = {}): Generator<GenerationChunk, SpeculativeResult> {
    return generateSpeculative(this.target.tokenizer, this.targetSeq, this.drafter(opts), prompt, { draftMax: this.draftMax, ...opts });
  }

  /** Plain generation on the same target context (the baseline). */
  plain(prompt: readonly number[], opts: GenerateOptions = {}): Generator<GenerationChunk, GenerationResult> {
    return generate(this.target.tokenizer, this.targetSeq, prompt, opts);
  }

  /**
   * Plain decoding of the same prompt with the same settings for as many tokens as `result` holds;
   * fills in its baseline and speed-up (decode-phase tokens per second, same process).
   */
  measureBaseline(prompt: readonly number[], result: SpeculativeResult, opts: SpeculativeOptions = {}): GenerationResult {
    const plain = drain(this.plain(prompt, { ...opts, maxTokens: result.tokens.length, stop: [], ignoreEos: true, signal: undefined }));
    const s = result.stats.speculative;
    s.baselineTokensPerSecond = tokensPerSecond(plain.stats.generatedTokens, plain.stats.decodeMs);
    s.speedup = s.baselineTokensPerSecond > 0 ? s.tokensPerSecond / s.baselineTokensPerSecond : null;
    return plain;
  }

  /** Speculative generation, then its baseline. */
  compare(prompt: readonly number[], opts: SpeculativeOptions = {}): { speculative: SpeculativeResult; plain: GenerationResult } {
    const speculative = drain(this.speculative(prompt, opts));
    return { speculative, plain: this.measureBaseline(prompt, speculative, opts) };
  }

  private drafter(opts: SamplingOptions): Drafter {
    const { draft, lookup } = this.opts;
    const lookupDrafter = lookup ? new LookupDrafter(typeof lookup === "object" ? lookup : {}) : null;
    if (!draft || !this.draftSeq) return lookupDrafter!;
    // The draft samples with the target's settings from its own PRNG stream.
    const seed = ((opts.seed ?? 0) ^ 0x9e3779b9) >>> 0;
    const modelDrafter = new ModelDrafter(this.draftSeq, new Sampler(draft.config.vocabSize, { ...opts, seed }));
    return lookupDrafter ? new LookupThenModelDrafter(lookupDrafter, modelDrafter) : modelDrafter;
  }

  dispose(): void {
    this.targetContext.dispose();
    this.draftContext?.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Runs a generation to the end and returns its result. */
export function drain<R>(run: Generator<GenerationChunk, R>): R {
  let step = run.next();
  while (!step.done) step = run.next();
  return step.value;
}
