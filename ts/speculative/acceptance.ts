/**
 * Exact speculative acceptance (Leviathan et al. 2023, Chen et al. 2023): a token x drawn from the
 * draft's distribution q is kept with probability min(1, p(x)/q(x)); otherwise a replacement is drawn
 * from norm(max(0, p − q)). The emitted token is then distributed exactly as p, for any p and q.
 * With one-hot p and q (temperature 0) this is exact match, and the replacement is the target's argmax.
 */
import type { Distribution } from "../sampling/sampler.ts";

export class Acceptor {
  /** q by token id, filled and cleared around each rejection. */
  private readonly qById: Float64Array;

  constructor(vocabSize: number) {
    this.qById = new Float64Array(vocabSize);
  }

  /**
   * Judges drafted token `x` against the target's `p`; returns x when accepted, otherwise the
   * replacement (never x). `random` is uniform in [0, 1).
   */
  judge(p: Distribution, q: Distribution, x: number, random: () => number): number {
    const px = probabilityOf(p, x), qx = probabilityOf(q, x);
    // p(x) ≥ q(x) accepts with certainty: no random draw, so greedy runs consume no randomness here.
    if (px >= qx || random() * qx < px) return x;
    return this.residual(p, q, random);
  }

  /** Draws from norm(max(0, p − q)). */
  private residual(p: Distribution, q: Distribution, random: () => number): number {
    const qById = this.qById;
    for (let i = 0; i < q.count; i++) qById[q.ids[i]!] = q.probs[i]!;
    let sum = 0;
    for (let i = 0; i < p.count; i++) sum += Math.max(0, p.probs[i]! - qById[p.ids[i]!]!);
    let pick = p.ids[0]!;
    if (sum > 0) {
      let r = random() * sum;
      for (let i = 0; i < p.count; i++) {
        const excess = p.probs[i]! - qById[p.ids[i]!]!;
        if (excess <= 0) continue;
        pick = p.ids[i]!;
        r -= excess;
        if (r < 0) break;
      }
    }
    for (let i = 0; i < q.count; i++) qById[q.ids[i]!] = 0;
    return pick;
  }
}

/** p(x) in a distribution given as candidates (0 when x is not among them). */
export function probabilityOf(d: Distribution, x: number): number {
  for (let i = 0; i < d.count; i++) if (d.ids[i] === x) return d.probs[i]!;
  return 0;
}
