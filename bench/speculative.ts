/**
 * Speculative decoding on the demo pair (CPU), side by side with plain decoding in the same process:
 *  1. forward-pass cost by batch size (what verification of k + 1 tokens costs against one step);
 *  2. greedy, fixed k and adaptive: tokens/s (min/median over repeats) and speed-up; the output is
 *     checked to equal plain greedy decoding;
 *  3. temperature 0.8: acceptance under exact rejection sampling next to exact-match acceptance on
 *     the same drafted tokens;
 *  4. the same forward-cost profile on the Llama-3.2-1B-shaped model, where decode is memory-bound.
 * Usage: bun bench/speculative.ts [repeats=5] [threads=all]   → writes bench/results/speculative.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_DRAFT, DEMO_MODEL } from "../ts/model/demo.ts";
import { Model } from "../ts/model/model.ts";
import { SpeculativeRunner } from "../ts/speculative/index.ts";
import { median, oneBShapeModel } from "./one-b-shape.ts";

const REPEATS = Number(process.argv[2] ?? 5);
const THREADS = Number(process.argv[3] ?? navigator.hardwareConcurrency);
const PROMPT = "And the LORD said unto Moses,";
const OTHER_PROMPTS = ["Blessed are the", "In the beginning God created"];
const N = 128;
const K_FIXED = [1, 2, 3, 4, 6];

/** Min forward time (ms) for batches of 1..maxN tokens, every row producing logits. */
function forwardProfile(model: Model, maxN: number, reps: number): number[] {
  const ctx = model.createContext({ contextLength: 256, batchCapacity: 16, outputCapacity: 16 });
  const out: number[] = [];
  for (let n = 1; n <= maxN; n++) {
    const idx = Array.from({ length: n }, (_, i) => i);
    const batch = { tokens: idx.map((i) => 100 + i), positions: idx.map((i) => 40 + i), seqIds: idx.map(() => 0), outputs: idx };
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      ctx.forward(batch);
      times.push(performance.now() - t0);
    }
    out.push(Math.min(...times));
  }
  ctx.dispose();
  return out;
}

const target = Model.load(DEMO_MODEL, { threads: THREADS });
const draft = Model.load(DEMO_DRAFT, { threads: THREADS });
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

// 1. Forward cost by batch size.
const targetMs = forwardProfile(target, 9, 40);
const draftMs = forwardProfile(draft, 2, 40);
console.log(`target forward ms by batch size 1..9: ${targetMs.map((x) => x.toFixed(3)).join(" ")}`);
console.log(`  relative to one token: ${targetMs.map((x) => (x / targetMs[0]!).toFixed(2)).join(" ")}`);
console.log(`draft forward ms (1 token): ${draftMs[0]!.toFixed(3)} (${(targetMs[0]! / draftMs[0]!).toFixed(1)}× cheaper than the target)`);

// 2. Greedy: plain vs speculative, interleaved, on the benchmark prompt.
using runner = new SpeculativeRunner({ target, draft, draftMax: 8, sampling: { temperature: 0 } });
const promptIds = target.tokenizer.encode(PROMPT);
const cells: { k: number | "auto"; specMs: number[]; plainMs: number[]; drafted: number; accepted: number; steps: number; identical: boolean }[] =
  [...K_FIXED, "auto" as const].map((k) => ({ k, specMs: [], plainMs: [], drafted: 0, accepted: 0, steps: 0, identical: true }));
for (let r = 0; r < REPEATS; r++) {
  for (const c of cells) {
    const { speculative, plain } = runner.compare(promptIds, { temperature: 0, maxTokens: N, ignoreEos: true, draftLength: c.k === "auto" ? undefined : c.k });
    c.specMs.push(speculative.stats.decodeMs);
    c.plainMs.push(plain.stats.decodeMs);
    const s = speculative.stats.speculative;
    [c.drafted, c.accepted, c.steps] = [c.drafted + s.drafted, c.accepted + s.accepted, c.steps + s.steps];
    c.identical &&= speculative.tokens.join() === plain.tokens.join();
  }
}
const greedy = cells.map((c) => {
  const acceptance = c.accepted / Math.max(1, c.drafted);
  const k = c.k === "auto" ? null : c.k;
  // What the cost profile predicts: tokens per step over the time of k drafts and one verify of k + 1.
  const predicted = k === null ? null : ((c.accepted + c.steps) / c.steps) * targetMs[0]! / (k * draftMs[0]! + targetMs[k]!);
  return {
    draft_length: c.k, identical_to_plain: c.identical, acceptance_rate: round(acceptance), mean_accepted_per_step: round(c.accepted / c.steps),
    spec_tokens_per_s_median: round((1000 * N) / median(c.specMs), 0), spec_tokens_per_s_best: round((1000 * N) / Math.min(...c.specMs), 0),
    plain_tokens_per_s_median: round((1000 * N) / median(c.plainMs), 0), plain_tokens_per_s_best: round((1000 * N) / Math.min(...c.plainMs), 0),
    speedup_median: round(median(c.plainMs) / median(c.specMs)), speedup_best: round(Math.min(...c.plainMs) / Math.min(...c.specMs)),
    speedup_predicted_from_forward_costs: predicted === null ? null : round(predicted),
  };
});
console.log(`\ngreedy, "${PROMPT}", ${N} tokens, ${REPEATS} repeats (plain and speculative interleaved)`);
console.log(["k", "same as plain", "acceptance", "accepted/step", "spec tok/s med (best)", "plain tok/s med (best)", "speed-up med (best)", "predicted"].join("\t"));
for (const g of greedy) {
  console.log([g.draft_length, g.identical_to_plain, g.acceptance_rate, g.mean_accepted_per_step, `${g.spec_tokens_per_s_median} (${g.spec_tokens_per_s_best})`,
    `${g.plain_tokens_per_s_median} (${g.plain_tokens_per_s_best})`, `${g.speedup_median} (${g.speedup_best})`, g.speedup_predicted_from_forward_costs ?? "-"].join("\t"));
}

// 3. Acceptance at temperature 0.8 next to exact match, same runs (k = 6 as llama.cpp's draft-max 6).
const acceptance = [0, 0.8].map((temperature) => {
  using r = new SpeculativeRunner({ target, draft, draftMax: 6, sampling: { temperature } });
  let drafted = 0, accepted = 0, judged = 0, keep = 0, match = 0;
  for (const [i, text] of [PROMPT, ...OTHER_PROMPTS].entries()) {
    for (let seed = 1; seed <= REPEATS; seed++) {
      const s = r.compare(target.tokenizer.encode(text), { temperature, seed: seed * 31 + i, maxTokens: N, ignoreEos: true, draftLength: 6 }).speculative.stats.speculative;
      [drafted, accepted, judged] = [drafted + s.drafted, accepted + s.accepted, judged + s.judged];
      keep += s.acceptProbability * s.judged;
      match += s.exactMatchProbability * s.judged;
    }
  }
  return {
    temperature, drafted, accepted, acceptance_rate: round(accepted / drafted),
    p_keep_rejection_sampling: round(keep / judged), p_keep_exact_match: round(match / judged),
  };
});
console.log(`\nacceptance, draft length 6, 3 prompts × ${REPEATS} seeds (llama.cpp exact-match: 51% at temp 0, 69% at 0.8)`);
console.log(["temp", "accepted/drafted", "acceptance", "P(keep) rejection sampling", "P(keep) exact match"].join("\t"));
for (const a of acceptance) console.log([a.temperature, `${a.accepted}/${a.drafted}`, a.acceptance_rate, a.p_keep_rejection_sampling, a.p_keep_exact_match].join("\t"));

// 4. The same profile on the 1B shape: verification is almost free when decode is memory-bound.
const oneB = Model.load(oneBShapeModel(), { threads: THREADS });
const oneBMs = forwardProfile(oneB, 5, 5);
console.log(`\n1B-shape forward ms by batch size 1..5: ${oneBMs.map((x) => x.toFixed(1)).join(" ")} (relative: ${oneBMs.map((x) => (x / oneBMs[0]!).toFixed(2)).join(" ")})`);

mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(join(import.meta.dir, "results", "speculative.json"), `${JSON.stringify({
  bench: "speculative", date: new Date().toISOString(), threads: THREADS, repeats: REPEATS, n_predict: N,
  target: "kjv-target-q4_k_m", draft: "kjv-draft-q8_0", prompt: PROMPT,
  forward_ms_by_batch: { target: targetMs.map((x) => round(x)), draft: draftMs.map((x) => round(x)), one_b_shape: oneBMs.map((x) => round(x, 1)) },
  greedy, acceptance,
}, null, 2)}\n`);
