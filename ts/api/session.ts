/**
 * A completion session: one inference context with one sequence. Each `generate()` reuses the
 * longest prefix its prompt shares with what the KV cache already holds, so a prompt that extends
 * the previous prompt and answer only prefills the new tokens. Speculative decoding gets a context
 * per draft model, kept for the session's life so the draft cache is reused too.
 */
import { createContext } from "../engine/backend.ts";
import type { InferenceContext } from "../engine/types.ts";
import { IngotError } from "../errors.ts";
import { generate } from "../generate/generate.ts";
import { Sequence } from "../generate/sequence.ts";
import { Sampler, type SamplingOptions } from "../sampling/sampler.ts";
import {
  checkSameVocabulary, generateSpeculative, LookupDrafter, LookupThenModelDrafter, ModelDrafter, type Drafter,
} from "../speculative/index.ts";
import { Generation, type GenerateOptions, type GenerationChunk, type GenerationResult, type SpeculativeGenerateOptions } from "./generation.ts";
import type { IngotModel } from "./model.ts";
import { Resource } from "./resource.ts";

export interface SessionOptions {
  /** Positions the KV cache holds. Default: the model's `contextLength` load option, else its training context. */
  contextLength?: number;
  /** Most tokens run in one forward pass while prefilling. Default 512. */
  batchCapacity?: number;
  /** Largest speculative draft a step can verify (sizes the logits buffer to draftMax + 1 rows). Default 8. */
  draftMax?: number;
}

const DEFAULT_DRAFT_MAX = 8;

interface DraftState {
  context: InferenceContext;
  seq: Sequence;
}

export class Session extends Resource {
  /** Positions the KV cache holds. */
  readonly contextLength: number;
  readonly draftMax: number;
  readonly #context: InferenceContext;
  readonly #seq: Sequence;
  readonly #drafts = new Map<IngotModel, DraftState>();
  #busy = false;

  /** @internal Use `model.createSession()`. */
  constructor(readonly model: IngotModel, options: SessionOptions = {}) {
    super("session");
    this.contextLength = options.contextLength ?? model.contextLength;
    this.draftMax = options.draftMax ?? DEFAULT_DRAFT_MAX;
    if (!(Number.isInteger(this.draftMax) && this.draftMax >= 0 && this.draftMax <= 64)) {
      throw new IngotError("BAD_ARGUMENT", `draftMax must be an integer in 0..64, got ${this.draftMax}`);
    }
    this.#context = createContext(model.model, {
      backend: model.backend,
      contextLength: this.contextLength,
      batchCapacity: options.batchCapacity ?? 512,
      outputCapacity: this.draftMax + 1,
    });
    this.#seq = new Sequence(this.#context);
  }

  /** Tokens whose keys and values the cache holds, in order (what the next prompt can reuse). */
  get cachedTokens(): readonly number[] {
    return this.#seq.tokens;
  }

  /** Empties the KV cache. */
  reset(): void {
    this.assertAlive();
    this.#seq.truncate(0);
  }

  /**
   * Generates a continuation of `prompt` (text, tokenized with the vocabulary's BOS and special-token
   * text left as plain text; or token ids as they are). Iterate the result for chunks as they are
   * produced; `await generation.result` for the text, finish reason and stats. One generation at a
   * time per session (SESSION_BUSY otherwise).
   */
  generate(prompt: string | readonly number[], options: GenerateOptions = {}): Generation {
    this.assertAlive();
    const { signal, ...rest } = options;
    return new Generation((aborted) => this.run(prompt, { ...rest, signal: aborted }), signal);
  }

  /** @internal The synchronous generation behind `generate()` (chat turns run it inside their own). */
  *run(prompt: string | readonly number[], options: GenerateOptions): Generator<GenerationChunk, GenerationResult> {
    this.assertAlive();
    const { speculative } = options;
    if (this.#busy) throw new IngotError("SESSION_BUSY", "this session is already generating: finish or abort that generation first");
    this.#busy = true;
    try {
      const ids = typeof prompt === "string" ? this.model.tokenize(prompt) : [...prompt];
      const tokenizer = this.model.tokenizer;
      const inner = speculative && (speculative.draft || speculative.lookup)
        ? generateSpeculative(tokenizer, this.#seq, this.drafter(speculative, options), ids, {
          ...options, draftMax: Math.min(speculative.draftMax ?? this.draftMax, this.draftMax), draftLength: speculative.draftLength,
        })
        : generate(tokenizer, this.#seq, ids, options);
      // Re-check between chunks: a session disposed mid-generation must not touch freed memory.
      let step = inner.next();
      while (!step.done) {
        yield step.value;
        this.assertAlive();
        step = inner.next();
      }
      return step.value;
    } finally {
      this.#busy = false;
    }
  }

  /** Same drafter assembly as SpeculativeRunner: lookup first, then the draft model on its own PRNG stream. */
  private drafter(spec: SpeculativeGenerateOptions, sampling: SamplingOptions): Drafter {
    if (this.draftMax < 1) throw new IngotError("BAD_ARGUMENT", "this session was created with draftMax 0: create it with draftMax ≥ 1 to decode speculatively");
    const lookup = spec.lookup ? new LookupDrafter(typeof spec.lookup === "object" ? spec.lookup : {}) : null;
    if (!spec.draft) return lookup!;
    const draft = this.draftState(spec.draft);
    const seed = ((sampling.seed ?? 0) ^ 0x9e3779b9) >>> 0;
    const modelDrafter = new ModelDrafter(draft.seq, new Sampler(spec.draft.config.vocabSize, { ...sampling, seed }));
    return lookup ? new LookupThenModelDrafter(lookup, modelDrafter) : modelDrafter;
  }

  private draftState(draft: IngotModel): DraftState {
    draft.ensureAlive();
    const existing = this.#drafts.get(draft);
    if (existing) return existing;
    checkSameVocabulary(this.model.tokenizer, draft.tokenizer);
    const context = createContext(draft.model, {
      backend: draft.backend, contextLength: this.contextLength, batchCapacity: this.#context.batchCapacity, outputCapacity: 1,
    });
    const state = { context, seq: new Sequence(context) };
    this.#drafts.set(draft, state);
    return state;
  }

  protected release(): void {
    this.#context.dispose();
    for (const d of this.#drafts.values()) d.context.dispose();
    this.#drafts.clear();
    this.model.forget(this);
  }
}
