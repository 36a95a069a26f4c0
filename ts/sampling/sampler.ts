/**
 * The sampling chain, in llama.cpp's order: logit bias → repetition/frequency/presence penalties over
 * a window → top-k → typical-p → top-p → min-p → temperature → draw with a seeded PRNG.
 * Temperature 0 is greedy (argmax after bias and penalties).
 *
 * `distribution()` exposes the processed distribution (candidate ids and probabilities), which is
 * what exact speculative sampling compares between target and draft. When the engine computed the
 * top K logits of the row on the device, the chain works on those K (plus the biased and penalised
 * tokens) instead of scanning the whole vocabulary, whenever that provably gives the same result.
 * Chains without top-k must see every logit (top-p measures against the whole row's mass): a native
 * step (./native.ts) narrows the row to the few candidates top-p and min-p can keep, sorted, without
 * sorting the row; the chain's own steps then make every exact cut on them, as on any candidate list.
 * Work buffers are allocated once per sampler, never per token.
 */
import { IngotError } from "../errors.ts";
import { minProbability, nucleus, selectTopK, softmaxInto, sortByLogit, typical } from "./chain.ts";
import { candidateScratch, wholeRowCandidates } from "./native.ts";
import { Rng } from "./rng.ts";

export interface SamplingOptions {
  /** 0 = greedy. Default 0.8. */
  temperature?: number;
  /** Keep the k most likely tokens; 0 disables. Default 40. */
  topK?: number;
  /** Nucleus sampling; 1 disables. Default 0.95. */
  topP?: number;
  /** Drop tokens less likely than minP × the most likely; 0 disables. Default 0.05. */
  minP?: number;
  /** Locally typical sampling; 1 disables. Default 1. */
  typicalP?: number;
  /** Divide positive logits (multiply negative ones) of recent tokens; 1 disables. Default 1. */
  repeatPenalty?: number;
  /** Subtract count × this from recent tokens' logits. Default 0. */
  frequencyPenalty?: number;
  /** Subtract this from logits of tokens seen recently. Default 0. */
  presencePenalty?: number;
  /** How many recent tokens the penalties look at. Default 64. */
  penaltyWindow?: number;
  /** Added to the logits of the given token ids (-Infinity bans a token). */
  logitBias?: Record<number, number>;
  /** PRNG seed; the same seed and settings give the same tokens everywhere. Default 0. */
  seed?: number;
}

export const DEFAULT_SAMPLING: Required<Omit<SamplingOptions, "logitBias">> = {
  temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, typicalP: 1,
  repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, penaltyWindow: 64, seed: 0,
};

/** A processed distribution: `count` candidates, ids and probabilities (summing to 1), most likely first. */
export interface Distribution {
  ids: Int32Array;
  probs: Float64Array;
  count: number;
}

/** The engine's K largest raw logits of one row, best first (see InferenceContext.topK). */
export interface TopCandidates {
  values: Float32Array;
  ids: Int32Array;
}

/** Largest K the engine's top-k supports (ingot_topk). */
export const MAX_DEVICE_TOP_K = 256;
/** Extra device candidates beyond the chain's own top-k, so penalised tokens rarely force a full scan. */
const DEVICE_TOP_K_MARGIN = 16;

function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (!(v >= lo && v <= hi)) throw new IngotError("BAD_ARGUMENT", `${name} must be in [${lo}, ${hi}], got ${v}`);
}

export class Sampler {
  readonly options: Required<Omit<SamplingOptions, "logitBias">> & { logitBias: Record<number, number> };
  /** How often device candidates were used, and how often they could not be (full scan instead). */
  readonly candidateStats = { used: 0, fellBack: 0 };
  private readonly rng: Rng;
  private readonly work: Float32Array;
  private readonly ids: Int32Array;
  private readonly probs: Float64Array;
  private readonly heapIds: Int32Array;
  /** Work memory of the native whole-row step, allocated when first needed. */
  private scratch: BigUint64Array | undefined;
  private readonly bias: Map<number, number>;
  private readonly counts = new Map<number, number>();
  /** Tokens whose logit the bias or penalties change in the current call, and their adjusted logits. */
  private touched: Int32Array;
  private touchedValues: Float32Array;
  private touchedCount = 0;
  private readonly member: Uint8Array;

  constructor(readonly vocabSize: number, opts: SamplingOptions = {}) {
    const o = { ...DEFAULT_SAMPLING, ...stripUndefined(opts), logitBias: opts.logitBias ?? {} };
    checkRange("temperature", o.temperature, 0, 100);
    checkRange("topK", o.topK, 0, vocabSize);
    checkRange("topP", o.topP, 0, 1);
    checkRange("minP", o.minP, 0, 1);
    checkRange("typicalP", o.typicalP, 0, 1);
    checkRange("repeatPenalty", o.repeatPenalty, 0, 100);
    checkRange("penaltyWindow", o.penaltyWindow, 0, 1 << 20);
    if (!Number.isInteger(o.topK)) throw new IngotError("BAD_ARGUMENT", `topK must be an integer, got ${o.topK}`);
    this.bias = new Map();
    for (const [key, value] of Object.entries(o.logitBias)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new IngotError("BAD_ARGUMENT", `logit bias for token ${key}, outside the vocabulary`);
      if (value !== 0) this.bias.set(id, value);
    }
    this.options = o;
    this.rng = new Rng(o.seed);
    this.work = new Float32Array(vocabSize);
    this.ids = new Int32Array(vocabSize);
    this.probs = new Float64Array(vocabSize);
    this.heapIds = new Int32Array(Math.max(1, o.topK));
    this.touched = new Int32Array(64);
    this.touchedValues = new Float32Array(64);
    this.member = new Uint8Array(vocabSize);
  }

  get greedy(): boolean {
    return this.options.temperature === 0;
  }

  /**
   * The K worth asking the engine for (ContextOptions.topK) so that this chain can skip the full
   * vocabulary; 0 when the chain needs every logit (top-k off at temperature > 0, or larger than
   * the engine supports).
   */
  get preferredTopK(): number {
    const base = this.greedy ? 1 : this.options.topK;
    if (base === 0) return 0;
    const k = Math.min(MAX_DEVICE_TOP_K, this.vocabSize, base + DEVICE_TOP_K_MARGIN);
    return k >= base ? k : 0;
  }

  /** Uniform draw from the sampler's PRNG (speculative acceptance uses the same stream). */
  random(): number {
    return this.rng.next();
  }

  /**
   * The processed distribution after the whole chain (a one-hot argmax at temperature 0). The result
   * lives in the sampler's buffers: valid until the next call. `top` is the engine's top-K of this
   * logits row, if it has one.
   */
  distribution(logits: Float32Array, history: ArrayLike<number> = [], top?: TopCandidates): Distribution {
    const o = this.options;
    this.collectAdjustments(logits, history);
    const ids = this.ids, p = this.probs;
    if (o.temperature === 0) {
      ids[0] = this.argmax(logits, top);
      p[0] = 1;
      return { ids, probs: p, count: 1 };
    }
    // Candidates best first in ids, their probabilities at temperature 1 in p, their logits in w.
    let w = this.work, n: number;
    if (o.topK > 0 && o.topK < this.vocabSize) {
      n = (top && this.selectFromCandidates(top, o.topK)) || this.topKOfRow(logits);
      softmaxInto(w, ids, n, 1, p);
    } else {
      w = this.adjusted(logits);
      n = this.wholeRow(w);
    }
    if (o.typicalP < 1) n = typical(ids, p, n, o.typicalP);
    if (o.topP < 1) n = nucleus(p, n, o.topP);
    if (o.minP > 0) n = minProbability(p, n, o.minP);
    softmaxInto(w, ids, n, o.temperature, p);
    return { ids, probs: p, count: n };
  }

  /** Draws one token from a distribution. */
  draw(d: Distribution): number {
    let r = this.rng.next();
    for (let i = 0; i < d.count; i++) {
      r -= d.probs[i]!;
      if (r < 0) return d.ids[i]!;
    }
    return d.ids[d.count - 1]!;
  }

  /** Samples the next token. `history` holds the recent tokens (prompt and generated) for penalties. */
  sample(logits: Float32Array, history: ArrayLike<number> = [], top?: TopCandidates): number {
    if (this.options.temperature === 0) {
      this.collectAdjustments(logits, history);
      return this.argmax(logits, top);
    }
    return this.draw(this.distribution(logits, history, top));
  }

  /** Fills `touched`: the tokens bias and penalties change, with their adjusted logits. */
  private collectAdjustments(logits: Float32Array, history: ArrayLike<number>): void {
    const o = this.options;
    const counts = this.counts;
    counts.clear();
    const penalize = o.repeatPenalty !== 1 || o.frequencyPenalty !== 0 || o.presencePenalty !== 0;
    if (penalize && o.penaltyWindow > 0) {
      for (let i = Math.max(0, history.length - o.penaltyWindow); i < history.length; i++) {
        const id = history[i]!;
        if (id >= 0 && id < this.vocabSize) counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    this.touchedCount = 0;
    for (const [id, count] of counts) {
      let v = logits[id]! + (this.bias.get(id) ?? 0);
      v = v > 0 ? v / o.repeatPenalty : v * o.repeatPenalty;
      this.touch(id, v - count * o.frequencyPenalty - o.presencePenalty);
    }
    for (const [id, b] of this.bias) if (!counts.has(id)) this.touch(id, logits[id]! + b);
  }

  private touch(id: number, value: number): void {
    if (this.touchedCount === this.touched.length) {
      const ids = new Int32Array(this.touched.length * 2);
      const values = new Float32Array(ids.length);
      ids.set(this.touched);
      values.set(this.touchedValues);
      [this.touched, this.touchedValues] = [ids, values];
    }
    this.touched[this.touchedCount] = id;
    this.touchedValues[this.touchedCount++] = value;
  }

  /** work = logits with bias and penalties applied. */
  private adjustAll(logits: Float32Array): void {
    this.work.set(logits.subarray(0, this.vocabSize));
    for (let i = 0; i < this.touchedCount; i++) this.work[this.touched[i]!] = this.touchedValues[i]!;
  }

  /** The logits with bias and penalties applied: the row itself when nothing changes it (no copy). */
  private adjusted(logits: Float32Array): Float32Array {
    if (this.touchedCount === 0) return logits.length === this.vocabSize ? logits : logits.subarray(0, this.vocabSize);
    this.adjustAll(logits);
    return this.work;
  }

  /**
   * Candidates = the device's top-K ∪ the adjusted tokens, with their adjusted logits in `work`.
   * Every other token keeps a raw logit ≤ the K-th device value (`bound`), so the `need` best
   * candidates are the true top `need` exactly when the need-th of them lies strictly above it.
   * Returns how many candidates were written to `ids` (their best `need` first) or 0 when the
   * whole vocabulary must be scanned.
   */
  private selectFromCandidates(top: TopCandidates, need: number): number {
    const k = top.ids.length;
    if (need < 1 || k < need) return 0;
    const w = this.work, ids = this.ids, member = this.member;
    const bound = k >= this.vocabSize ? -Infinity : top.values[k - 1]!;
    for (let i = 0; i < k; i++) {
      const id = top.ids[i]!;
      ids[i] = id;
      w[id] = top.values[i]!;
      member[id] = 1;
    }
    let n = k;
    for (let i = 0; i < this.touchedCount; i++) {
      const id = this.touched[i]!;
      if (!member[id]) ids[n++] = id;
      w[id] = this.touchedValues[i]!;
    }
    for (let i = 0; i < k; i++) member[top.ids[i]!] = 0;
    sortByLogit(ids, w, n);
    if (!(w[ids[need - 1]!]! > bound)) {
      this.candidateStats.fellBack++;
      return 0;
    }
    this.candidateStats.used++;
    return need;
  }

  /** Argmax after bias and penalties (lowest id on ties), from the device candidates when they suffice. */
  private argmax(logits: Float32Array, top?: TopCandidates): number {
    if (top && this.selectFromCandidates(top, 1) === 1) return this.ids[0]!;
    let w = logits;
    if (this.touchedCount > 0) {
      this.adjustAll(logits);
      w = this.work;
    }
    let best = 0;
    for (let i = 1; i < this.vocabSize; i++) if (w[i]! > w[best]!) best = i;
    return best;
  }

  /** The chain's top-k over the whole row (a heap over every adjusted logit), sorted into ids. */
  private topKOfRow(logits: Float32Array): number {
    this.adjustAll(logits);
    const n = selectTopK(this.work, this.vocabSize, this.options.topK, this.heapIds, this.ids);
    sortByLogit(this.ids, this.work, n);
    return n;
  }

  /**
   * Top-k off: the native step narrows the whole row to the candidates the chain can keep, with
   * their probabilities over the whole row (what top-p measures against). Typical-p needs every
   * token, and changes which one min-p compares with, so it disables both pre-cuts. Device
   * candidates are not used here: the row's normaliser needs every logit anyway, and one native
   * pass costs about what the engine's top-256 would.
   */
  private wholeRow(row: Float32Array): number {
    const o = this.options;
    const cut = o.typicalP === 1;
    this.scratch ??= candidateScratch(this.vocabSize);
    return wholeRowCandidates(row, cut ? o.topP : 1, cut ? o.minP : 0, this.ids, this.probs, this.scratch);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
