/**
 * The sampling chain, in llama.cpp's order: logit bias → repetition/frequency/presence penalties over
 * a window → top-k → typical-p → top-p → min-p → temperature → draw with a seeded PRNG.
 * Temperature 0 is greedy (argmax after bias and penalties).
 *
 * `distribution()` exposes the processed distribution (candidate ids and probabilities), which is
 * what exact speculative sampling compares between target and draft. Work buffers are allocated once
 * per sampler, never per token.
 */
import { IngotError } from "../errors.ts";
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

function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (!(v >= lo && v <= hi)) throw new IngotError("BAD_ARGUMENT", `${name} must be in [${lo}, ${hi}], got ${v}`);
}

export class Sampler {
  readonly options: Required<Omit<SamplingOptions, "logitBias">> & { logitBias: Record<number, number> };
  private readonly rng: Rng;
  private readonly work: Float32Array;
  private readonly ids: Int32Array;
  private readonly probs: Float64Array;
  private readonly heapIds: Int32Array;
  private readonly counts = new Map<number, number>();

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
    for (const key of Object.keys(o.logitBias)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new IngotError("BAD_ARGUMENT", `logit bias for token ${key}, outside the vocabulary`);
    }
    this.options = o;
    this.rng = new Rng(o.seed);
    this.work = new Float32Array(vocabSize);
    this.ids = new Int32Array(vocabSize);
    this.probs = new Float64Array(vocabSize);
    this.heapIds = new Int32Array(Math.max(1, o.topK));
  }

  get greedy(): boolean {
    return this.options.temperature === 0;
  }

  /** Uniform draw from the sampler's PRNG (speculative acceptance uses the same stream). */
  random(): number {
    return this.rng.next();
  }

  /** Applies bias and penalties; returns the adjusted logits (a work buffer, valid until the next call). */
  private adjusted(logits: Float32Array, history: ArrayLike<number>): Float32Array {
    const o = this.options;
    const w = this.work;
    w.set(logits.subarray(0, this.vocabSize));
    for (const [key, bias] of Object.entries(o.logitBias)) w[Number(key)]! += bias;
    const penalize = o.repeatPenalty !== 1 || o.frequencyPenalty !== 0 || o.presencePenalty !== 0;
    if (penalize && o.penaltyWindow > 0 && history.length > 0) {
      const counts = this.counts;
      counts.clear();
      for (let i = Math.max(0, history.length - o.penaltyWindow); i < history.length; i++) {
        const id = history[i]!;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      for (const [id, count] of counts) {
        if (id < 0 || id >= this.vocabSize) continue;
        let v = w[id]!;
        v = v > 0 ? v / o.repeatPenalty : v * o.repeatPenalty;
        w[id] = v - count * o.frequencyPenalty - o.presencePenalty;
      }
    }
    return w;
  }

  /** The processed distribution after the whole chain (temperature > 0). */
  distribution(logits: Float32Array, history: ArrayLike<number> = []): Distribution {
    const o = this.options;
    if (o.temperature === 0) {
      const id = this.argmax(logits, history);
      this.ids[0] = id;
      this.probs[0] = 1;
      return { ids: this.ids, probs: this.probs, count: 1 };
    }
    const w = this.adjusted(logits, history);
    let n = o.topK > 0 && o.topK < this.vocabSize ? this.selectTopK(w, o.topK) : this.selectAll(w, o.minP);
    sortByLogit(this.ids, w, n);
    const ids = this.ids, p = this.probs;
    softmaxInto(w, ids, n, 1, p);
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
  sample(logits: Float32Array, history: ArrayLike<number> = []): number {
    if (this.options.temperature === 0) return this.argmax(logits, history);
    return this.draw(this.distribution(logits, history));
  }

  private argmax(logits: Float32Array, history: ArrayLike<number>): number {
    const o = this.options;
    const plain = o.repeatPenalty === 1 && o.frequencyPenalty === 0 && o.presencePenalty === 0 && Object.keys(o.logitBias).length === 0;
    const w = plain ? logits : this.adjusted(logits, history);
    let best = 0;
    for (let i = 1; i < this.vocabSize; i++) if (w[i]! > w[best]!) best = i;
    return best;
  }

  /** The k largest logits (a min-heap of ids), written to this.ids; returns k. */
  private selectTopK(w: Float32Array, k: number): number {
    const heap = this.heapIds;
    for (let i = 0; i < k; i++) {
      heap[i] = i;
      siftUp(heap, w, i);
    }
    for (let i = k; i < this.vocabSize; i++) {
      if (w[i]! > w[heap[0]!]!) {
        heap[0] = i;
        siftDown(heap, w, k);
      }
    }
    this.ids.set(heap.subarray(0, k));
    return k;
  }

  /** Every token (minus, when min-p is on, those min-p would drop anyway: cheaper sorting). */
  private selectAll(w: Float32Array, minP: number): number {
    let max = -Infinity;
    for (let i = 0; i < this.vocabSize; i++) if (w[i]! > max) max = w[i]!;
    const floor = minP > 0 ? max + Math.log(minP) : -Infinity;
    let n = 0;
    for (let i = 0; i < this.vocabSize; i++) if (w[i]! >= floor && w[i]! > -Infinity) this.ids[n++] = i;
    return Math.max(n, 1);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function siftUp(h: Int32Array, w: Float32Array, i: number): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (w[h[i]!]! >= w[h[parent]!]!) break;
    [h[i], h[parent]] = [h[parent]!, h[i]!];
    i = parent;
  }
}

function siftDown(h: Int32Array, w: Float32Array, n: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = i;
    if (l < n && w[h[l]!]! < w[h[m]!]!) m = l;
    if (r < n && w[h[r]!]! < w[h[m]!]!) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m]!, h[i]!];
    i = m;
  }
}

/** Sorts ids[0..n) by descending logit (ties: lower id first, so results are deterministic). */
function sortByLogit(ids: Int32Array, w: Float32Array, n: number): void {
  const view = ids.subarray(0, n);
  view.sort((a, b) => w[b]! - w[a]! || a - b);
}

/** p[i] = softmax(w[ids[i]] / temperature) over the first n candidates (sorted, so ids[0] is the max). */
function softmaxInto(w: Float32Array, ids: Int32Array, n: number, temperature: number, p: Float64Array): void {
  const max = w[ids[0]!]! / temperature;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(w[ids[i]!]! / temperature - max);
    p[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) p[i]! /= sum;
}

/** Smallest prefix whose probability reaches topP (at least one). */
function nucleus(p: Float64Array, n: number, topP: number): number {
  let cum = 0;
  for (let i = 0; i < n; i++) {
    cum += p[i]!;
    if (cum >= topP) return i + 1;
  }
  return n;
}

function minProbability(p: Float64Array, n: number, minP: number): number {
  const floor = p[0]! * minP;
  let k = 1;
  while (k < n && p[k]! >= floor) k++;
  return k;
}

/** Locally typical sampling (Meister et al.): keep tokens whose surprise is closest to the entropy. */
function typical(ids: Int32Array, p: Float64Array, n: number, typicalP: number): number {
  let entropy = 0;
  for (let i = 0; i < n; i++) if (p[i]! > 0) entropy -= p[i]! * Math.log(p[i]!);
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => Math.abs(-Math.log(p[a]!) - entropy) - Math.abs(-Math.log(p[b]!) - entropy) || a - b,
  );
  let cum = 0, keep = 0;
  for (; keep < n; keep++) {
    cum += p[order[keep]!]!;
    if (cum >= typicalP) {
      keep++;
      break;
    }
  }
  // Keep the chosen tokens in their original (descending-logit) order.
  const chosen = order.slice(0, Math.max(1, keep)).sort((a, b) => a - b);
  const keptIds = chosen.map((i) => ids[i]!);
  const keptP = chosen.map((i) => p[i]!);
  keptIds.forEach((id, i) => { ids[i] = id; p[i] = keptP[i]!; });
  return chosen.length;
}
