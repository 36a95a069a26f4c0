/**
 * How many tokens to draft next. Fixed, or adaptive: from the running acceptance rate α and the
 * measured costs, pick the k that maximises expected tokens per millisecond,
 *   E(k) = (1 − α^(k+1)) / (1 − α)   tokens per step (accepted drafts + the target's own token)
 *   T(k) = k · draft cost + verify cost of k + 1 tokens.
 * k = 0 (plain decoding) wins when drafting does not pay. A neighbouring k is tried now and then so
 * the estimates stay current: every 8 steps after the best k changes, then half as often each time a
 * try leaves it unchanged (down to every 64 steps), since every try of a worse k costs time.
 */
import { IngotError } from "../errors.ts";

export interface DraftLengthOptions {
  /** Largest draft. Default 8. */
  max?: number;
  /** Always draft exactly this many (capped by max); adaptive when absent. */
  fixed?: number;
}

/** Weight of the past in the running estimates (per step). */
const DECAY = 0.9;
/** Steps between tries of a neighbouring k: at first, and at most. */
const EXPLORE_MIN = 8;
const EXPLORE_MAX = 64;

export class DraftLength {
  readonly max: number;
  readonly fixed: number | null;
  /** Decayed counts of accepted drafts and of rejections (a rejection ends a step). */
  private accepted = 0;
  private rejected = 0;
  private draftMsPerToken = 0;
  private draftSamples = 0;
  /** Decayed mean verify time per batch size (index = tokens verified), NaN until seen. */
  private readonly verifyMs: Float64Array;
  private steps = 0;
  private current: number;
  /** Exploration schedule: the best k it is for, steps since the last try, steps between tries. */
  private settledBest = -1;
  private sinceTry = 0;
  private exploreEvery = EXPLORE_MIN;
  private tries = 0;

  constructor(opts: DraftLengthOptions = {}) {
    this.max = opts.max ?? 8;
    this.fixed = opts.fixed ?? null;
    if (!(Number.isInteger(this.max) && this.max >= 1 && this.max <= 64)) throw new IngotError("BAD_ARGUMENT", `draft max must be an integer in 1..64, got ${this.max}`);
    if (this.fixed !== null && !(Number.isInteger(this.fixed) && this.fixed >= 0)) throw new IngotError("BAD_ARGUMENT", `a fixed draft length must be a non-negative integer, got ${this.fixed}`);
    this.verifyMs = new Float64Array(this.max + 2).fill(NaN);
    this.current = this.fixed !== null ? Math.min(this.fixed, this.max) : Math.min(4, this.max);
  }

  /** Running per-token acceptance estimate (Laplace-smoothed). */
  get acceptanceRate(): number {
    return (this.accepted + 1) / (this.accepted + this.rejected + 2);
  }

  /** The draft length for the next step. */
  next(): number {
    if (this.fixed !== null) return this.current;
    this.steps++;
    const best = this.best();
    if (best !== this.settledBest) [this.settledBest, this.exploreEvery, this.sinceTry] = [best, EXPLORE_MIN, 0];
    if (++this.sinceTry >= this.exploreEvery) {
      // Try a neighbour, above and below in turn; if the best k survives, wait longer for the next try.
      const neighbour = best + (this.tries++ % 2 === 0 ? 1 : -1);
      this.current = Math.max(0, Math.min(this.max, neighbour));
      this.sinceTry = 0;
      this.exploreEvery = Math.min(EXPLORE_MAX, this.exploreEvery * 2);
    } else {
      this.current = best;
    }
    return this.current;
  }

  /** Reports one step: drafted and accepted counts, time spent drafting and verifying (`verified` tokens). */
  record(drafted: number, accepted: number, draftMs: number, verified: number, verifyMs: number): void {
    if (drafted > 0) {
      this.accepted = this.accepted * DECAY + accepted;
      this.rejected = this.rejected * DECAY + (accepted < drafted ? 1 : 0);
      const perToken = draftMs / drafted;
      this.draftMsPerToken = this.draftSamples === 0 ? perToken : this.draftMsPerToken * DECAY + perToken * (1 - DECAY);
      this.draftSamples++;
    }
    const v = this.verifyMs;
    if (verified < v.length) v[verified] = Number.isNaN(v[verified]!) ? verifyMs : v[verified]! * DECAY + verifyMs * (1 - DECAY);
  }

  private best(): number {
    if (this.draftSamples === 0) return this.current;
    const a = Math.min(this.acceptanceRate, 0.999);
    let best = 0, bestRate = -1;
    for (let k = 0; k <= this.max; k++) {
      const cost = k * this.draftMsPerToken + this.estimatedVerifyMs(k + 1);
      const rate = (1 - a ** (k + 1)) / (1 - a) / cost;
      if (rate > bestRate) [best, bestRate] = [k, rate];
    }
    return best;
  }

  /** Measured verify time for n tokens, or scaled from the nearest measured size (linear in n). */
  private estimatedVerifyMs(n: number): number {
    const v = this.verifyMs;
    if (!Number.isNaN(v[n]!)) return v[n]!;
    for (let d = 1; d < v.length; d++) {
      for (const m of [n - d, n + d]) if (m >= 1 && m < v.length && !Number.isNaN(v[m]!)) return (v[m]! * n) / m;
    }
    return n;
  }
}
