/**
 * The sampling chain, in llama.cpp's order: logit bias → repetition/frequency/presence penalties over
 * a window → top-k → typical-p → top-p → min-p → temperature → draw with a seeded PRNG.
 * Temperature 0 is greedy (argmax after bias and penalties).
 *
 * `distribution()` exposes the processed distribution (candidate ids and probabilities), which is
 * what exact speculative sampling compares between target and draft. When the engine computed the
 * top K logits of the row on the device, the chain works on those K (plus the biased and penalised
 * tokens) instead of scanning the whole vocabulary, whenever that provably gives the same result.
 * Work buffers are allocated once per sampler, never per token.
 */
import { IngotError } from "../errors.ts";
import { minProbability, nucleus, selectTopK, softmaxInto, sortByLogit, typical } from "./chain.ts";
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
/** Candidate counts above which top-p selects a sorted prefix instead of sorting everything. */
const PARTIAL_SORT_FROM = 2048;
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
  private heapIds: Int32Array;
  private prefix = new Int32Array(0);
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
    const w = this.work;
    let n = top ? this.selectFromCandidates(top, o.topK) : 0;
    let nucleusDone = false, massKept = 1;
    if (n === 0) {
      this.adjustAll(logits);
      if (o.topK > 0 && o.topK < this.vocabSize) n = selectTopK(w, this.vocabSize, o.topK, this.heapIds, ids);
      else {
        const all = this.selectAll(w, o.topP < 1);
        ({ n, massKept } = all);
        if (o.topP < 1 && o.typicalP === 1 && n > PARTIAL_SORT_FROM) {
          n = this.nucleusPrefix(n, o.topP / massKept, all.max, all.keptMass);
          nucleusDone = true;
        }
      }
    }
    sortByLogit(ids, w, n);
    softmaxInto(w, ids, n, 1, p);
    if (o.typicalP < 1) n = typical(ids, p, n, o.typicalP);
    if (o.topP < 1 && !nucleusDone) n = nucleus(p, n, o.topP / massKept);
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

  /**
   * Top-p over many candidates (ids[0..n), top-k off) without sorting them all: select and sort the
   * best m, and stop once they hold `threshold` of the probability mass (doubling m, × 4, until they
   * do). Writes the sorted nucleus to ids and returns its size.
   */
  private nucleusPrefix(n: number, threshold: number, max: number, z: number): number {
    const w = this.work, ids = this.ids;
    for (let m = PARTIAL_SORT_FROM / 4; m < n; m *= 4) {
      if (this.heapIds.length < m) this.heapIds = new Int32Array(m);
      if (this.prefix.length < m) this.prefix = new Int32Array(m);
      selectTopK(w, n, m, this.heapIds, this.prefix, ids);
      sortByLogit(this.prefix, w, m);
      let cum = 0;
      for (let i = 0; i < m; i++) {
        cum += Math.exp(w[this.prefix[i]!]! - max) / z;
        if (cum >= threshold) {
          ids.set(this.prefix.subarray(0, i + 1));
          return i + 1;
        }
      }
    }
    sortByLogit(ids, w, n);
    let cum = 0;
    for (let i = 0; i < n; i++) if ((cum += Math.exp(w[ids[i]!]! - max) / z) >= threshold) return i + 1;
    return n;
  }

  /**
   * Every token — minus, when min-p is on and typical-p is off, those min-p would drop anyway
   * (cheaper sorting). With `needMass`: the candidates' summed exp(logit − max) (`keptMass`) and
   * their share of the whole distribution at temperature 1 (`massKept`), so that top-p still
   * measures its threshold against the whole distribution.
   */
  private selectAll(w: Float32Array, needMass: boolean): { n: number; massKept: number; max: number; keptMass: number } {
    const o = this.options;
    let max = -Infinity;
    for (let i = 0; i < this.vocabSize; i++) if (w[i]! > max) max = w[i]!;
    const prefilter = o.minP > 0 && o.typicalP === 1;
    const floor = prefilter ? max + Math.log(o.minP) : -Infinity;
    let n = 0, kept = 0, total = 0;
    for (let i = 0; i < this.vocabSize; i++) {
      const v = w[i]!;
      if (!(v > -Infinity)) continue;
      const e = needMass ? Math.exp(v - max) : 0;
      total += e;
      if (v >= floor) {
        this.ids[n++] = i;
        kept += e;
      }
    }
    return { n: Math.max(n, 1), massKept: total > 0 ? kept / total : 1, max, keptMass: kept };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
