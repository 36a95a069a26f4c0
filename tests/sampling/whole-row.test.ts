/**
 * Chains without top-k, which must look at every logit of the row: the native step
 * (Sources/IngotCPU/sample_select.c) against a direct computation over the whole row, the sampler's
 * distributions against the naive reference chain on 32k- and 128k-token rows of several shapes,
 * device candidates changing nothing, and the C file's scalar build against its SIMD one.
 */
import { useModelTestTimeout } from "../timeouts.ts";
useModelTestTimeout();

import { dlopen } from "bun:ffi";
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { minProbability, nucleus, softmaxInto, typical } from "../../ts/sampling/chain.ts";
import { Rng } from "../../ts/sampling/rng.ts";
import { candidateScratch, SAMPLE_SYMBOLS, wholeRowCandidates } from "../../ts/sampling/native.ts";
import { Sampler, type Distribution, type TopCandidates } from "../../ts/sampling/sampler.ts";
import { ensureBuilt, kernels } from "../native/helpers.ts";
import { referenceDistribution, type ReferenceSettings } from "./reference-chain.ts";

beforeAll(() => ensureBuilt());

// ---- rows ----

/** Like a language model's next-token logits: Zipf (logit = −1.5 · ln rank), ranks shuffled, a little noise. */
function peaked(vocab: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const rank = Int32Array.from({ length: vocab }, (_, i) => i + 1);
  for (let i = vocab - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  return Float32Array.from(rank, (r) => -1.5 * Math.log(r) + 0.1 * rng.next());
}

/** A wide bulk and a few strong tokens: nuclei from a handful to thousands of tokens. */
function flat(vocab: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const l = Float32Array.from({ length: vocab }, () => 3 * (rng.next() + rng.next() + rng.next() - 1.5));
  for (let i = 0; i < 20; i++) l[Math.floor(rng.next() * vocab)] = 8 + 6 * rng.next();
  return l;
}

/** Nearly uniform (a random-weights model): the nucleus holds most of the vocabulary. */
function uniform(vocab: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: vocab }, () => 0.5 * rng.next());
}

/** Logits on a grid of quarters: many exact ties, at the top and at the nucleus boundary. */
function ties(vocab: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: vocab }, () => Math.round(4 * 3 * (rng.next() + rng.next() - 1)) / 4);
}

/** `row` with every 7th token banned (−Infinity). */
function withBans(row: Float32Array): Float32Array {
  return row.map((v, i) => (i % 7 === 3 ? -Infinity : v));
}

const SHAPES: { name: string; row: (vocab: number, seed: number) => Float32Array }[] = [
  { name: "peaked", row: peaked },
  { name: "flat", row: flat },
  { name: "flat with -Infinity entries", row: (v, s) => withBans(flat(v, s)) },
  { name: "ties", row: ties },
];

/** The finite tokens by descending logit, ties lower id first. */
function ranking(row: Float32Array): number[] {
  const ids: number[] = [];
  row.forEach((v, i) => { if (v > -Infinity) ids.push(i); });
  return ids.sort((a, b) => row[b]! - row[a]! || a - b);
}

function asLists(d: Distribution): { ids: number[]; probs: number[] } {
  return { ids: Array.from(d.ids.subarray(0, d.count)), probs: Array.from(d.probs.subarray(0, d.count)) };
}

function deviceTopK(logits: Float32Array, k: number): TopCandidates {
  const values = new Float32Array(k), ids = new Int32Array(k);
  expect(kernels.topk(logits, k, values, ids)).toBe(k);
  return { values, ids };
}

// ---- the native step ----

describe("ingot_sample_candidates", () => {
  const VOCAB = 32000;
  const ids = new Int32Array(VOCAB), probs = new Float64Array(VOCAB), scratch = candidateScratch(VOCAB);

  /** Checks the step's output against the whole row sorted and normalised in TypeScript; returns the count. */
  function checkCandidates(row: Float32Array, topP: number, minP: number): number {
    const order = ranking(row);
    const max = row[order[0]!]!;
    const e = order.map((id) => Math.exp(row[id]! - max));
    const z = e.reduce((a, b) => a + b, 0);
    const count = wholeRowCandidates(row, topP, minP, ids, probs, scratch);
    // a prefix of the ranking, with probabilities over the whole row (to the rounding of z's sum) ...
    expect(Array.from(ids.subarray(0, count))).toEqual(order.slice(0, count));
    for (let i = 0; i < count; i++) expect(Math.abs(probs[i]! - e[i]! / z)).toBeLessThanOrEqual(1e-12 * (e[i]! / z));
    // ... holding the nucleus, less only what min-p drops
    let nucleusEnd = order.length, cum = 0;
    for (let i = 0; i < order.length; i++) if ((cum += e[i]! / z) >= topP) { nucleusEnd = i + 1; break; }
    const minPEnd = minP > 0 ? e.filter((x) => x >= minP).length : order.length;
    expect(count).toBeGreaterThanOrEqual(Math.min(nucleusEnd, minPEnd));
    return count;
  }

  for (const shape of SHAPES) {
    test(`candidates are the best-ranked prefix holding the nucleus: ${shape.name}`, () => {
      for (const seed of [1, 2]) {
        const row = shape.row(VOCAB, seed);
        for (const [topP, minP] of [[0.9, 0], [0.5, 0.05], [0.99, 0], [1, 0.02], [1, 0]] as const) {
          const count = checkCandidates(row, topP, minP);
          if (topP === 1 && minP === 0) expect(count).toBe(ranking(row).length); // nothing to cut on
        }
      }
    });
  }

  test("only a thin margin beyond the nucleus is gathered (peaked and flat rows)", () => {
    for (const row of [peaked(VOCAB, 3), flat(VOCAB, 3), flat(VOCAB, 4)]) {
      const order = ranking(row);
      const e = order.map((id) => Math.exp(row[id]! - row[order[0]!]!));
      const z = e.reduce((a, b) => a + b, 0);
      let nucleusEnd = 0;
      for (let cum = 0; cum < 0.9; nucleusEnd++) cum += e[nucleusEnd]! / z;
      expect(checkCandidates(row, 0.9, 0)).toBeLessThan(2 * nucleusEnd + 64);
    }
  });

  test("a nucleus of most of the vocabulary (nearly uniform row)", () => {
    expect(checkCandidates(uniform(VOCAB, 5), 0.9, 0)).toBeGreaterThan(0.85 * VOCAB);
  });

  test("edge rows: one token, all banned but one, none finite, row shorter than the buffers", () => {
    expect(wholeRowCandidates(new Float32Array([2.5]), 0.9, 0, ids, probs, scratch)).toBe(1);
    expect([ids[0], probs[0]]).toEqual([0, 1]);
    const banned = new Float32Array(1000).fill(-Infinity);
    banned[777] = -3;
    expect(wholeRowCandidates(banned, 0.9, 0.1, ids, probs, scratch)).toBe(1);
    expect([ids[0], probs[0]]).toEqual([777, 1]);
    expect(wholeRowCandidates(new Float32Array(50).fill(-Infinity), 0.9, 0, ids, probs, scratch)).toBe(1);
    expect([ids[0], probs[0]]).toEqual([0, 1]);
    checkCandidates(flat(4099, 6), 0.8, 0); // a length that is not a multiple of the SIMD width
  });

  test("refuses buffers smaller than the row", () => {
    expect(() => wholeRowCandidates(flat(100, 1), 0.9, 0, new Int32Array(99), probs, scratch)).toThrow(/too small/);
  });
});

// ---- the sampler against the reference chain ----

describe("Sampler without top-k", () => {
  const SETTINGS: (ReferenceSettings & { name: string })[] = [
    { name: "top-p 0.9, t 0.8", temperature: 0.8, topK: 0, topP: 0.9, minP: 0 },
    { name: "top-p 0.5 and min-p 0.05, t 1", temperature: 1, topK: 0, topP: 0.5, minP: 0.05 },
    { name: "min-p 0.05 only, t 1.3", temperature: 1.3, topK: 0, topP: 1, minP: 0.05 },
    {
      name: "top-p 0.95, min-p 0.01, penalties and bias, t 0.7", temperature: 0.7, topK: 0, topP: 0.95, minP: 0.01,
      repeatPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.5, logitBias: { 11: 9, 12: -Infinity, 13: -2 },
    },
  ];

  /** Recent tokens: the row's strongest (so the penalties change the nucleus) and a few others. */
  function historyFor(row: Float32Array): number[] {
    const best = ranking(row).slice(0, 6);
    return [...best, best[0]!, best[1]!, 500, 501, best[0]!].filter((id) => id < 11 || id > 13);
  }

  function expectReference(row: Float32Array, s: ReferenceSettings, history: number[]): void {
    const d = asLists(new Sampler(row.length, { ...s, typicalP: 1 }).distribution(row, history));
    const ref = referenceDistribution(row, history, s);
    // the same tokens in the same order, and the same probabilities bit for bit
    expect(d.ids).toEqual([...ref.keys()]);
    expect(d.probs).toEqual([...ref.values()]);
  }

  for (const shape of SHAPES) {
    for (const s of SETTINGS) {
      test(`equals the reference chain on 32k tokens: ${shape.name}, ${s.name}`, () => {
        for (const seed of [7, 8]) {
          const row = shape.row(32000, seed);
          expectReference(row, s, historyFor(row));
        }
      });
    }
  }

  test("equals the reference chain on Llama 3's 128256 tokens (peaked, flat, nearly uniform)", () => {
    for (const row of [peaked(128256, 9), flat(128256, 9), uniform(128256, 9)]) {
      expectReference(row, SETTINGS[0]!, []);
      expectReference(row, SETTINGS[3]!, historyFor(row));
    }
  });

  test("device top-k candidates change nothing (ids, probabilities, draws)", () => {
    for (const s of SETTINGS) {
      const row = flat(32000, 10), history = historyFor(row);
      const top = deviceTopK(row, 256);
      const withTop = new Sampler(row.length, { ...s, seed: 3 }), without = new Sampler(row.length, { ...s, seed: 3 });
      expect(withTop.preferredTopK).toBe(0); // the chain needs every logit: no top-k asked of the engine
      expect(asLists(withTop.distribution(row, history, top))).toEqual(asLists(without.distribution(row, history)));
      const draws = (sampler: Sampler, t?: TopCandidates) => Array.from({ length: 20 }, () => sampler.sample(row, history, t));
      expect(draws(withTop, top)).toEqual(draws(without));
      expect(withTop.candidateStats).toEqual({ used: 0, fellBack: 0 });
    }
  });

  test("the same seed gives the same tokens", () => {
    const row = flat(32000, 11);
    const run = (seed: number) => {
      const sampler = new Sampler(row.length, { topK: 0, topP: 0.99, minP: 0, temperature: 1, seed });
      return Array.from({ length: 200 }, () => sampler.sample(row));
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  test("typical-p without top-k: the chain's steps over the whole sorted row", () => {
    const row = peaked(5000, 12);
    const opts = { temperature: 0.9, topK: 0, topP: 0.9, minP: 0.05, typicalP: 0.8 };
    const ids = Int32Array.from(ranking(row)), p = new Float64Array(ids.length);
    softmaxInto(row, ids, ids.length, 1, p);
    let n = typical(ids, p, ids.length, opts.typicalP);
    n = nucleus(p, n, opts.topP);
    n = minProbability(p, n, opts.minP);
    softmaxInto(row, ids, n, opts.temperature, p);
    const d = asLists(new Sampler(row.length, opts).distribution(row));
    expect(d.ids).toEqual(Array.from(ids.subarray(0, n)));
    expect(d.probs).toEqual(Array.from(p.subarray(0, n)));
  });
});

// ---- the C file's builds ----

describe("sample_select.c builds", () => {
  const root = join(import.meta.dir, "..", "..");
  const outDir = join(root, "build", "sample-select");
  /** The flags of ts/engine/cpu/build.ts, warnings as errors. */
  const FLAGS = ["-std=c11", "-O3", "-fPIC", "-shared", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-math-errno", "-D_GNU_SOURCE", "-Werror"];
  const hostArch = process.arch === "x64" ? ["-march=native"] : process.arch === "arm64" && process.platform !== "darwin" ? ["-march=armv8.2-a+fp16+dotprod"] : [];
  const compilers = ["cc", "clang-16"].filter((cc) => Bun.which(cc));

  function build(cc: string, name: string, arch: string[]): string {
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, `${name}.${process.platform === "darwin" ? "dylib" : "so"}`);
    const args = [cc, ...FLAGS, ...arch, "-I", join(root, "Sources", "IngotCPU", "include"), join(root, "Sources", "IngotCPU", "sample_select.c"), "-o", out, "-lm"];
    const r = Bun.spawnSync(args, { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${args.join(" ")}\n${r.stderr.toString()}`);
    return out;
  }

  test("compiles without warnings for the host and for the baseline ISA (scalar path), with every compiler here", () => {
    expect(compilers.length).toBeGreaterThan(0);
    for (const cc of compilers) {
      build(cc, `${cc}-host`, hostArch);
      build(cc, `${cc}-baseline`, []);
    }
  });

  test("the scalar path gives the SIMD path's candidates, probabilities within rounding", () => {
    const simd = dlopen(build("cc", "cc-host", hostArch), SAMPLE_SYMBOLS).symbols;
    const scalar = dlopen(build("cc", "cc-baseline", []), SAMPLE_SYMBOLS).symbols;
    const n = 30011;
    const buffers = () => ({ ids: new Int32Array(n), probs: new Float64Array(n), scratch: candidateScratch(n) });
    const a = buffers(), b = buffers();
    for (const row of [peaked(n, 13), flat(n, 13), withBans(ties(n, 13)), uniform(n, 13)]) {
      for (const [topP, minP] of [[0.9, 0], [0.6, 0.05], [1, 0.01]] as const) {
        const logMinP = minP > 0 ? Math.log(minP) : -Infinity;
        const ca = simd.ingot_sample_candidates(row, n, topP, logMinP, a.ids, a.probs, a.scratch);
        const cb = scalar.ingot_sample_candidates(row, n, topP, logMinP, b.ids, b.probs, b.scratch);
        expect(cb).toBe(ca);
        expect(Array.from(b.ids.subarray(0, cb))).toEqual(Array.from(a.ids.subarray(0, ca)));
        for (let i = 0; i < ca; i++) expect(Math.abs(b.probs[i]! - a.probs[i]!)).toBeLessThanOrEqual(1e-14 * a.probs[i]!);
      }
    }
  });
});
