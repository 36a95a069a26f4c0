/**
 * The sampler against a naive reference chain (tests/sampling/reference-chain.ts), the engine's
 * top-k kernel as device candidates (same results, with and without fallbacks), and its PRNG.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { Rng } from "../../ts/sampling/rng.ts";
import { Sampler, type Distribution, type SamplingOptions, type TopCandidates } from "../../ts/sampling/sampler.ts";
import { chiSquare } from "../speculative/chi-square.ts";
import { ensureBuilt, kernels } from "../native/helpers.ts";
import { referenceDistribution, type ReferenceSettings } from "./reference-chain.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

const VOCAB = 3000;

/** Logits like a language model's: a few strong candidates, a long tail, some exact ties. */
function fakeLogits(seed: number): Float32Array {
  const rng = new Rng(seed);
  const l = new Float32Array(VOCAB);
  for (let i = 0; i < VOCAB; i++) l[i] = Math.fround(4 * (rng.next() + rng.next() + rng.next() - 1.5) - 2 * (i % 7 === 0 ? 1 : 0));
  for (let i = 0; i < 8; i++) l[Math.floor(rng.next() * VOCAB)] = 6 + 3 * rng.next();
  l[10] = l[20] = 9.5; // a tie at the top: lower id first
  return l;
}

function asMap(d: Distribution): Map<number, number> {
  return new Map(Array.from(d.ids.subarray(0, d.count), (id, i) => [id, d.probs[i]!]));
}

function expectSameDistribution(actual: Map<number, number>, expected: Map<number, number>): void {
  expect([...actual.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
  for (const [id, p] of expected) expect(actual.get(id)!).toBeCloseTo(p, 12);
}

function deviceTopK(logits: Float32Array, k: number): TopCandidates {
  const values = new Float32Array(k), ids = new Int32Array(k);
  expect(kernels.topk(logits, k, values, ids)).toBe(k);
  return { values, ids };
}

const history = [10, 10, 33, 500, 10, 2999, 33, 7];
const SETTINGS: (ReferenceSettings & { name: string })[] = [
  { name: "llama.cpp defaults", temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 },
  { name: "top-k only, hot", temperature: 1.5, topK: 10, topP: 1, minP: 0 },
  { name: "top-p over the whole vocabulary", temperature: 0.7, topK: 0, topP: 0.9, minP: 0 },
  { name: "top-p and min-p, no top-k", temperature: 1, topK: 0, topP: 0.6, minP: 0.1 },
  { name: "min-p only", temperature: 1, topK: 0, topP: 1, minP: 0.02 },
  { name: "penalties and bias", temperature: 0.9, topK: 50, topP: 0.9, minP: 0.05, repeatPenalty: 1.3, frequencyPenalty: 0.4, presencePenalty: 0.5, logitBias: { 5: 12, 10: -Infinity, 1234: 3 } },
  { name: "greedy with penalties", temperature: 0, topK: 40, topP: 1, minP: 0, repeatPenalty: 1.5, presencePenalty: 2 },
];

beforeAll(() => ensureBuilt());

describe("Sampler.distribution", () => {
  for (const s of SETTINGS) {
    test(`equals the reference chain: ${s.name}`, () => {
      for (const seed of [1, 2, 3]) {
        const logits = fakeLogits(seed);
        const sampler = new Sampler(VOCAB, { ...s, typicalP: 1 });
        expectSameDistribution(asMap(sampler.distribution(logits, history)), referenceDistribution(logits, history, s));
      }
    });

    test(`device top-k candidates give the same distribution: ${s.name}`, () => {
      const sampler = new Sampler(VOCAB, { ...s, typicalP: 1 });
      const k = sampler.preferredTopK;
      if (s.topK === 0 && s.temperature > 0) {
        expect(k).toBe(0); // the chain needs every logit
        return;
      }
      expect(k).toBeGreaterThan(0);
      for (const seed of [4, 5, 6]) {
        const logits = fakeLogits(seed);
        const full = asMap(new Sampler(VOCAB, s).distribution(logits, history));
        expectSameDistribution(asMap(sampler.distribution(logits, history, deviceTopK(logits, k))), full);
      }
      expect(sampler.candidateStats.used).toBe(3);
    });
  }

  test("top-p over a large, flat vocabulary (nuclei of thousands of tokens)", () => {
    const vocab = 40_000;
    const rng = new Rng(8);
    for (const spread of [0.5, 3]) {
      const logits = Float32Array.from({ length: vocab }, () => spread * (rng.next() - 0.5));
      for (const s of [{ temperature: 1, topK: 0, topP: 0.9, minP: 0 }, { temperature: 0.7, topK: 0, topP: 0.3, minP: 0.5 }]) {
        expectSameDistribution(asMap(new Sampler(vocab, s).distribution(logits)), referenceDistribution(logits, [], s));
      }
    }
  });

  test("typical-p: candidates and full scan agree", () => {
    const opts: SamplingOptions = { temperature: 0.9, topK: 60, topP: 0.95, minP: 0.01, typicalP: 0.7 };
    const a = new Sampler(VOCAB, opts), b = new Sampler(VOCAB, opts);
    const logits = fakeLogits(9);
    expectSameDistribution(asMap(a.distribution(logits, history, deviceTopK(logits, a.preferredTopK))), asMap(b.distribution(logits, history)));
  });

  test("falls back to the full vocabulary when penalties push the device's candidates below its K-th value", () => {
    const logits = new Float32Array(VOCAB).fill(0);
    for (let i = 0; i < 60; i++) logits[i] = 10 - i * 0.01; // the device's top 56 are ids 0..55
    const opts: SamplingOptions = { temperature: 1, topK: 40, topP: 1, minP: 0, presencePenalty: 20, penaltyWindow: 100 };
    const penalised = Array.from({ length: 50 }, (_, i) => i); // 0..49 drop to about -10
    const sampler = new Sampler(VOCAB, opts);
    const d = asMap(sampler.distribution(logits, penalised, deviceTopK(logits, sampler.preferredTopK)));
    expect(sampler.candidateStats).toEqual({ used: 0, fellBack: 1 });
    expectSameDistribution(d, referenceDistribution(logits, penalised, { temperature: 1, topK: 40, topP: 1, minP: 0, presencePenalty: 20, penaltyWindow: 100 }));
  });

  test("greedy is the argmax, lowest id on ties, after bias", () => {
    const logits = fakeLogits(1);
    expect(new Sampler(VOCAB, { temperature: 0 }).sample(logits)).toBe(10);
    expect(new Sampler(VOCAB, { temperature: 0, logitBias: { 10: -1 } }).sample(logits)).toBe(20);
    expect(new Sampler(VOCAB, { temperature: 0, logitBias: { 77: 100 } }).sample(logits, [], deviceTopK(logits, 17))).toBe(77);
  });
});

describe("Sampler draws", () => {
  test("the same seed gives the same tokens; another seed other tokens", () => {
    const logits = fakeLogits(3);
    const run = (seed: number) => {
      const s = new Sampler(VOCAB, { seed, temperature: 1.2, topK: 100, topP: 0.98, minP: 0 });
      return Array.from({ length: 50 }, () => s.sample(logits));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  test("draw frequencies follow the distribution (chi-square, fixed seed)", () => {
    const sampler = new Sampler(VOCAB, { seed: 5, temperature: 1, topK: 30, topP: 1, minP: 0 });
    const d = sampler.distribution(fakeLogits(2));
    const expected = asMap(d);
    const counts = new Map<string, number>();
    const trials = 50_000;
    for (let i = 0; i < trials; i++) {
      const id = String(sampler.draw(d));
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const fit = chiSquare(counts, new Map([...expected].map(([id, p]) => [String(id), p])), trials);
    expect(fit.pValue).toBeGreaterThan(0.001);
  });

  test("Rng: uniform in [0, 1), same stream on every run", () => {
    const a = new Rng(2024), b = new Rng(2024);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.015); // 5 standard errors of a uniform mean
  });
});
