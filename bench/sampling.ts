/**
 * Sampling time per token on a 128k vocabulary (Llama 3's 128256), against one decode step of the
 * Llama-3.2-1B-shaped model on this machine (budget: under 5%). For each chain: the full scan (the
 * chain over the whole row: a heap top-k in TypeScript, or for chains without top-k the native
 * whole-row step), and the on-device path (the engine's top-k kernel on the row, then the chain over
 * its K candidates). The decode step is measured with the context's top-k op on, as generation runs
 * it. Times per token: median (and minimum) over CALLS calls.
 * Usage: bun bench/sampling.ts [threads]   → prints a table, writes bench/results/sampling.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kernels } from "../ts/engine/cpu/kernels-ffi.ts";
import { Sequence } from "../ts/generate/sequence.ts";
import { Model } from "../ts/model/model.ts";
import { rowCandidates } from "../ts/sampling/candidates.ts";
import { Rng } from "../ts/sampling/rng.ts";
import { Sampler, type SamplingOptions } from "../ts/sampling/sampler.ts";
import { median, oneBShapeModel } from "./one-b-shape.ts";

const VOCAB = 128256;
const THREADS = Number(process.argv[2] ?? navigator.hardwareConcurrency);
const ROWS = 16, CALLS = 400;

/**
 * Two kinds of 128k-logit rows: "peaked" like a language model's next-token distribution (Zipf:
 * logit = −1.5 · ln rank, ranks shuffled, small noise) and "flat", a wide Gaussian bulk with a few
 * strong candidates — the worst case for top-p without top-k, whose nucleus then spans tens of
 * thousands of tokens.
 */
function logitRows(kind: "peaked" | "flat"): Float32Array[] {
  const rng = new Rng(kind === "flat" ? 11 : 12);
  return Array.from({ length: ROWS }, () => {
    const l = new Float32Array(VOCAB);
    if (kind === "flat") {
      for (let i = 0; i < VOCAB; i++) l[i] = 3 * (rng.next() + rng.next() + rng.next() - 1.5);
      for (let i = 0; i < 20; i++) l[Math.floor(rng.next() * VOCAB)] = 8 + 6 * rng.next();
    } else {
      const rank = Int32Array.from({ length: VOCAB }, (_, i) => i + 1);
      for (let i = VOCAB - 1; i > 0; i--) {
        const j = Math.floor(rng.next() * (i + 1));
        [rank[i], rank[j]] = [rank[j]!, rank[i]!];
      }
      for (let i = 0; i < VOCAB; i++) l[i] = -1.5 * Math.log(rank[i]!) + 0.1 * rng.next();
    }
    return l;
  });
}

const CHAINS: { name: string; opts: SamplingOptions }[] = [
  { name: "greedy", opts: { temperature: 0 } },
  { name: "defaults (t 0.8, top-k 40, top-p 0.95, min-p 0.05)", opts: {} },
  { name: "defaults + repeat/presence penalties", opts: { repeatPenalty: 1.1, presencePenalty: 0.3 } },
  { name: "top-k 40 + typical 0.9", opts: { typicalP: 0.9 } },
  { name: "top-p 0.9 only (needs every logit)", opts: { topK: 0, minP: 0, topP: 0.9 } },
  { name: "min-p 0.05 only (needs every logit)", opts: { topK: 0, topP: 1, minP: 0.05 } },
];

/** Median and minimum of one call's time, in ms. */
type Timing = { median: number; min: number };

function timePerCall(fn: (i: number) => void): Timing {
  for (let i = 0; i < 50; i++) fn(i); // warm-up (JIT)
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    fn(i);
    times.push(performance.now() - t0);
  }
  return { median: median(times), min: Math.min(...times) };
}

// Decode step of the 1B shape, with the context's top-k op (K = 56, the defaults' preferred K) on.
const modelPath = oneBShapeModel();
const model = Model.load(modelPath, { threads: THREADS });
const ctx = model.createContext({ contextLength: 256, batchCapacity: 64, outputCapacity: 1, topK: 56 });
const seq = new Sequence(ctx);
const prompt = Array.from({ length: 16 }, (_, i) => 300 + i * 7);
seq.prefill(prompt);
const stepMs: number[] = [];
for (let i = 0; i < 24; i++) {
  const t0 = performance.now();
  seq.step(400 + i);
  stepMs.push(performance.now() - t0);
}
const decodeStepMs = median(stepMs.slice(4));
// The engine's top-k of that row is real: check the sampler agrees with its full scan on it.
const deviceCheck = new Sampler(VOCAB, { temperature: 0 });
const lastLogits = seq.step(1000);
const agree = deviceCheck.sample(lastLogits, [], rowCandidates(ctx, 0)) === deviceCheck.sample(lastLogits);
ctx.dispose();

const history = Array.from({ length: 64 }, (_, i) => (i * 7919) % VOCAB);
const results = (["peaked", "flat"] as const).flatMap((kind) => {
  const rows = logitRows(kind);
  return CHAINS.map(({ name, opts }) => {
    const fullScan = new Sampler(VOCAB, { ...opts, seed: 1 });
    const full = timePerCall((i) => fullScan.sample(rows[i % ROWS]!, history));
    const withCandidates = new Sampler(VOCAB, { ...opts, seed: 1 });
    const k = withCandidates.preferredTopK;
    let topk: Timing | null = null, chain: Timing | null = null;
    if (k > 0) {
      const values = new Float32Array(k), ids = new Int32Array(k);
      topk = timePerCall((i) => kernels.topk(rows[i % ROWS]!, k, values, ids));
      const tops = rows.map((r) => {
        const v = new Float32Array(k), d = new Int32Array(k);
        kernels.topk(r, k, v, d);
        return { values: v, ids: d };
      });
      chain = timePerCall((i) => withCandidates.sample(rows[i % ROWS]!, history, tops[i % ROWS]!));
    }
    const device = topk && chain ? { median: topk.median + chain.median, min: topk.min + chain.min } : null;
    const best = device && device.median < full.median ? device : full;
    return {
      logits: kind, chain: name, device_k: k || null, full_scan_ms: full.median, full_scan_min_ms: full.min,
      device_topk_ms: topk?.median ?? null, chain_on_candidates_ms: chain?.median ?? null,
      best_ms: best.median, best_min_ms: best.min, percent_of_decode_step: (100 * best.median) / decodeStepMs,
      candidate_fallbacks: withCandidates.candidateStats.fellBack,
    };
  });
});

console.log(`1B-shape decode step (${modelPath.split("/").pop()}, ${THREADS} threads, top-k op on): ${decodeStepMs.toFixed(2)} ms; device top-k argmax = full-scan argmax: ${agree}`);
console.log(["logits", "chain", "K", "full scan ms (min)", "device top-k ms", "chain on K ms", "best ms (min)", "% of step"].join("\t"));
for (const r of results) {
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(3));
  console.log([r.logits, r.chain, r.device_k ?? "-", `${f(r.full_scan_ms)} (${f(r.full_scan_min_ms)})`, f(r.device_topk_ms), f(r.chain_on_candidates_ms), `${f(r.best_ms)} (${f(r.best_min_ms)})`, r.percent_of_decode_step.toFixed(2)].join("\t"));
}
mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(join(import.meta.dir, "results", "sampling.json"), `${JSON.stringify({
  bench: "sampling", date: new Date().toISOString(), vocab: VOCAB, threads: THREADS, model: modelPath.split("/").pop(),
  decode_step_ms: decodeStepMs, device_argmax_agrees: agree, calls_per_median: CALLS, results,
}, null, 2)}\n`);
