/**
 * Greedy speculative decoding on the demo pair is plain greedy decoding, token for token, whatever
 * drafts (draft model with fixed or adaptive k, prompt lookup, both) — and both equal llama.cpp's
 * greedy continuation of the same prompts (tests/fixtures/speculative, 64 tokens, same Q4_K_M file).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_DRAFT, DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { drain, SpeculativeRunner } from "../../ts/speculative/index.ts";

const reference = readFileSync(join(import.meta.dir, "../fixtures/speculative/llamacpp-greedy-q4_k_m.jsonl"), "utf8")
  .trim().split("\n").map((l) => JSON.parse(l) as { prompt: string; n_predict: number; output: string });

const target = Model.load(DEMO_MODEL, { threads: 1 });
const draft = Model.load(DEMO_DRAFT, { threads: 1 });
const greedy = { temperature: 0 };
const withModel = new SpeculativeRunner({ target, draft, draftMax: 8, sampling: greedy });
const withLookup = new SpeculativeRunner({ target, lookup: true, draftMax: 8, sampling: greedy });
const withBoth = new SpeculativeRunner({ target, draft, lookup: true, draftMax: 8, sampling: greedy });
afterAll(() => [withModel, withLookup, withBoth].forEach((r) => r.dispose()));

describe("greedy speculative = plain greedy = llama.cpp", () => {
  for (const ref of reference) {
    test(JSON.stringify(ref.prompt), () => {
      const prompt = target.tokenizer.encode(ref.prompt);
      const opts = { ...greedy, maxTokens: ref.n_predict, ignoreEos: true };
      const plain = drain(withModel.plain(prompt, opts));
      expect(ref.prompt + plain.text).toBe(ref.output);
      const runs = [
        ...[1, 3, 6].map((k) => ({ name: `model k=${k}`, r: drain(withModel.speculative(prompt, { ...opts, draftLength: k })) })),
        { name: "model adaptive", r: drain(withModel.speculative(prompt, opts)) },
        { name: "lookup", r: drain(withLookup.speculative(prompt, { ...opts, draftLength: 4 })) },
        { name: "model+lookup", r: drain(withBoth.speculative(prompt, { ...opts, draftLength: 5 })) },
      ];
      for (const { name, r } of runs) {
        expect({ name, tokens: r.tokens }).toEqual({ name, tokens: plain.tokens });
        const s = r.stats.speculative;
        // Every step emits its accepted drafts plus one token of the target's own.
        expect(s.accepted + s.steps).toBe(r.tokens.length);
        expect(s.accepted).toBeLessThanOrEqual(s.drafted);
      }
      // The fixed-k model runs drafted, and the draft agrees with the target often on this text.
      expect(runs[1]!.r.stats.speculative.acceptanceRate).toBeGreaterThan(0.3);
    }, MODEL_TEST_TIMEOUT_MS);
  }

  test("greedy with repetition penalties: speculative still equals plain", () => {
    const prompt = target.tokenizer.encode("And the LORD said unto Moses,");
    const opts = { temperature: 0, repeatPenalty: 1.3, presencePenalty: 0.5, penaltyWindow: 32, maxTokens: 80, ignoreEos: true };
    const plain = drain(withModel.plain(prompt, opts));
    expect(drain(withModel.speculative(prompt, { ...opts, draftLength: 4 })).tokens).toEqual(plain.tokens);
    expect(drain(withBoth.speculative(prompt, { ...opts, draftLength: 4 })).tokens).toEqual(plain.tokens);
  }, MODEL_TEST_TIMEOUT_MS);

  test("stop strings end speculative output like plain output, never emitted", () => {
    const prompt = target.tokenizer.encode("And the LORD said unto Moses,");
    const opts = { temperature: 0, maxTokens: 100, stop: ["the words"] };
    const plain = drain(withModel.plain(prompt, opts));
    const spec = drain(withModel.speculative(prompt, { ...opts, draftLength: 6 }));
    expect(plain.text).toBe(" Go up, and tell me, and I will do all ");
    expect(spec.text).toBe(plain.text);
    expect(spec.finishReason).toBe("stop");
  }, MODEL_TEST_TIMEOUT_MS);
});
