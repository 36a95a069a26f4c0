/**
 * Exact acceptance on synthetic distributions: whatever q proposes, the emitted token is distributed
 * as p (chi-square against p itself), and the acceptance probability is Σ min(p, q) (Leviathan et
 * al., eq. 1). Fixed seeds: the outcome is deterministic.
 */
import { describe, expect, test } from "bun:test";
import type { Distribution } from "../../ts/sampling/sampler.ts";
import { Rng } from "../../ts/sampling/rng.ts";
import { Acceptor, probabilityOf } from "../../ts/speculative/acceptance.ts";
import { chiSquare, chiSquareSurvival } from "./chi-square.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

function dist(entries: [number, number][]): Distribution {
  return { ids: Int32Array.from(entries.map(([id]) => id)), probs: Float64Array.from(entries.map(([, p]) => p)), count: entries.length };
}

function drawFrom(d: Distribution, rng: Rng): number {
  let r = rng.next();
  for (let i = 0; i < d.count; i++) if ((r -= d.probs[i]!) < 0) return d.ids[i]!;
  return d.ids[d.count - 1]!;
}

describe("chi-square helper", () => {
  test("matches tabulated critical values", () => {
    // Standard χ² table: P(X ≥ 3.841 | k=1) = 0.05, P(X ≥ 29.588 | k=10) = 0.001, P(X ≥ 18.307 | k=10) = 0.05.
    expect(chiSquareSurvival(3.841, 1)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(29.588, 10)).toBeCloseTo(0.001, 5);
    expect(chiSquareSurvival(18.307, 10)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(124.342, 100)).toBeCloseTo(0.05, 4);
  });
});

describe("Acceptor", () => {
  const cases: { name: string; p: Distribution; q: Distribution }[] = [
    { name: "overlapping supports", p: dist([[3, 0.5], [7, 0.3], [1, 0.2]]), q: dist([[7, 0.6], [3, 0.2], [9, 0.2]]) },
    { name: "q a point mass on an unlikely token", p: dist([[0, 0.7], [1, 0.2], [2, 0.1]]), q: dist([[2, 1]]) },
    { name: "q outside p's support", p: dist([[4, 0.6], [5, 0.4]]), q: dist([[6, 0.5], [4, 0.5]]) },
  ];
  for (const { name, p, q } of cases) {
    test(`emits p exactly: ${name}`, () => {
      const acceptor = new Acceptor(16);
      const rng = new Rng(12345);
      const random = () => rng.next();
      const trials = 100_000;
      const counts = new Map<string, number>();
      let accepted = 0;
      for (let t = 0; t < trials; t++) {
        const x = drawFrom(q, rng);
        const y = acceptor.judge(p, q, x, random);
        if (y === x) accepted++;
        counts.set(String(y), (counts.get(String(y)) ?? 0) + 1);
      }
      const expected = new Map(Array.from(p.ids.subarray(0, p.count), (id, i) => [String(id), p.probs[i]!]));
      const fit = chiSquare(counts, expected, trials);
      expect(fit.pValue).toBeGreaterThan(0.001);
      let overlap = 0;
      for (let i = 0; i < q.count; i++) overlap += Math.min(q.probs[i]!, probabilityOf(p, q.ids[i]!));
      // Binomial standard error at 1e5 trials is ≤ 0.0016: 5 sigma.
      expect(Math.abs(accepted / trials - overlap)).toBeLessThan(0.008);
    });
  }

  test("the test has power: emitting the draft's token unjudged is rejected", () => {
    const p = dist([[3, 0.5], [7, 0.3], [1, 0.2]]);
    const q = dist([[7, 0.6], [3, 0.2], [1, 0.2]]);
    const rng = new Rng(99);
    const counts = new Map<string, number>();
    for (let t = 0; t < 20_000; t++) {
      const x = String(drawFrom(q, rng));
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    const expected = new Map(Array.from(p.ids.subarray(0, p.count), (id, i) => [String(id), p.probs[i]!]));
    expect(chiSquare(counts, expected, 20_000).pValue).toBeLessThan(1e-6);
  });

  test("one-hot p and q: exact match, the replacement is p's token, no randomness used", () => {
    const acceptor = new Acceptor(8);
    const noRandom = () => { throw new Error("greedy acceptance must not draw"); };
    const p = dist([[5, 1]]);
    expect(acceptor.judge(p, dist([[5, 1]]), 5, noRandom)).toBe(5);
    // A rejection draws once for the accept test (p(x) = 0 < u·q(x) for any u > 0) and once for the residual.
    let draws = 0;
    const counted = () => (draws++, 0.5);
    expect(acceptor.judge(p, dist([[2, 1]]), 2, counted)).toBe(5);
    expect(draws).toBe(2);
  });

  test("the residual never returns the rejected token", () => {
    const acceptor = new Acceptor(8);
    const p = dist([[1, 0.5], [2, 0.5]]);
    const q = dist([[1, 0.9], [2, 0.1]]);
    const rng = new Rng(7);
    for (let i = 0; i < 1000; i++) {
      const y = acceptor.judge(p, q, 1, () => rng.next());
      expect(y === 1 || y === 2).toBe(true);
      if (y !== 1) expect(y).toBe(2);
    }
  });
});
