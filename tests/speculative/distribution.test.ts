/**
 * Speculative sampling preserves the target's distribution: over seeded trials on a tiny target/draft
 * pair, the frequencies of the first two generated tokens match their exact probabilities, computed
 * from the target by enumerating the first token's support: P(a, b) = p₁(a) · p₂(b | a). Chi-square at
 * significance 0.001 with fixed seeds, so the test is deterministic. Two chains: one with top-k (the
 * sampler may work on device candidates) and one without, where every step goes through the sampler's
 * native whole-row step (ts/sampling/native.ts).
 */
import { expect, test } from "bun:test";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { join } from "node:path";
import { Sequence } from "../../ts/generate/sequence.ts";
import { Model } from "../../ts/model/model.ts";
import { Sampler, type SamplingOptions } from "../../ts/sampling/sampler.ts";
import { drain, SpeculativeRunner } from "../../ts/speculative/index.ts";
import { chiSquare } from "./chi-square.ts";

const fixtures = join(import.meta.dir, "../fixtures/models");
// One worker thread: these models are tiny, and a shared 2-core machine makes spinning workers wait.
// The target is the 3.6M-parameter KJV model; the draft a differently trained tiny Qwen2 with the
// same vocabulary, so drafts are often rejected and the residual path is exercised.
const target = Model.load(join(fixtures, "kjv-draft-f16.gguf"), { threads: 1 });
const draft = Model.load(join(fixtures, "qwen2-tiny-f16.gguf"), { threads: 1 });
const CHAINS: { name: string; settings: SamplingOptions; trials: number; minDf: number }[] = [
  { name: "top-k 40, top-p 0.9, min-p 0.05", settings: { temperature: 0.9, topP: 0.9, topK: 40, minP: 0.05, presencePenalty: 0.3 }, trials: 4000, minDf: 50 },
  { name: "no top-k: top-p 0.9, min-p 0.02", settings: { temperature: 0.9, topK: 0, topP: 0.9, minP: 0.02, presencePenalty: 0.3 }, trials: 3000, minDf: 30 },
];
const settings = CHAINS[0]!.settings;
const prompt = target.tokenizer.encode("And he said,");

function exactFirstTwo(settings: SamplingOptions): Map<string, number> {
  const ctx = target.createContext({ contextLength: 64, batchCapacity: 64, outputCapacity: 1 });
  const seq = new Sequence(ctx);
  const sampler = new Sampler(target.config.vocabSize, settings);
  const first = sampler.distribution(seq.prefill(prompt), prompt);
  const p1 = Array.from(first.ids.subarray(0, first.count), (id, i) => [id, first.probs[i]!] as const);
  const joint = new Map<string, number>();
  for (const [a, pa] of p1) {
    seq.truncate(prompt.length);
    const second = sampler.distribution(seq.step(a), [...prompt, a]);
    for (let i = 0; i < second.count; i++) joint.set(`${a},${second.ids[i]}`, pa * second.probs[i]!);
  }
  ctx.dispose();
  return joint;
}

for (const chain of CHAINS) {
  test(`${chain.name}: the first two tokens of speculative sampling follow the target's exact distribution`, () => {
    using runner = new SpeculativeRunner({ target, draft, draftMax: 4, contextLength: 64, sampling: chain.settings });
    const expected = exactFirstTwo(chain.settings);
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 9);
    const counts = new Map<string, number>();
    let drafted = 0, accepted = 0;
    for (let seed = 1; seed <= chain.trials; seed++) {
      const r = drain(runner.speculative(prompt, { ...chain.settings, seed, maxTokens: 4, draftLength: 3, ignoreEos: true }));
      const key = `${r.tokens[0]},${r.tokens[1]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      drafted += r.stats.speculative.drafted;
      accepted += r.stats.speculative.accepted;
    }
    const fit = chiSquare(counts, expected, chain.trials);
    console.log(`${chain.name}: chi-square ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} df, p = ${fit.pValue.toFixed(3)}; acceptance ${(accepted / drafted).toFixed(3)}`);
    expect(fit.degreesOfFreedom).toBeGreaterThan(chain.minDf);
    expect(fit.pValue).toBeGreaterThan(0.001);
    // Both paths ran: drafts were accepted and rejected.
    expect(accepted / drafted).toBeGreaterThan(0.1);
    expect(accepted / drafted).toBeLessThan(0.95);
  }, MODEL_TEST_TIMEOUT_MS);
}

test("without top-k the chain asks for no device candidates (the whole-row step runs)", () => {
  expect(new Sampler(target.config.vocabSize, CHAINS[1]!.settings).preferredTopK).toBe(0);
});

test("a draft identical to the target is always accepted", () => {
  using same = new SpeculativeRunner({ target, draft: target, draftMax: 4, contextLength: 64, sampling: settings });
  for (let seed = 1; seed <= 20; seed++) {
    const s = drain(same.speculative(prompt, { ...settings, seed, maxTokens: 12, draftLength: 4, ignoreEos: true })).stats.speculative;
    expect(s.accepted).toBe(s.drafted);
  }
}, MODEL_TEST_TIMEOUT_MS);
