/**
 * The pieces around acceptance: the vocabulary check, prompt-lookup proposals, the draft-length
 * controller's choices under known costs.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { encodeGguf, GgufFile } from "../../ts/gguf/index.ts";
import { IngotError } from "../../ts/errors.ts";
import { DEMO_DRAFT } from "../../ts/model/demo.ts";
import { Rng } from "../../ts/sampling/rng.ts";
import { Tokenizer } from "../../ts/tokenizer/index.ts";
import { checkSameVocabulary, DraftBuffer, DraftLength, LookupDrafter } from "../../ts/speculative/index.ts";

const demoFile = GgufFile.open(DEMO_DRAFT);
const demo = Tokenizer.fromGguf(demoFile);

/** The demo vocabulary with one token's text changed. */
function alteredVocabulary(id: number, text: string): Tokenizer {
  const entries = demoFile.entries.filter((e) => e.key.startsWith("tokenizer.") || e.key === "general.architecture").map((e) => {
    if (e.key !== "tokenizer.ggml.tokens") return e;
    const tokens = [...(e.value as string[])];
    tokens[id] = text;
    return { ...e, value: tokens };
  });
  return Tokenizer.fromGguf(GgufFile.fromBytes(encodeGguf({ metadata: entries, tensors: [] })));
}

describe("checkSameVocabulary", () => {
  test("accepts the demo pair's shared vocabulary", () => {
    expect(() => checkSameVocabulary(demo, Tokenizer.fromGguf(GgufFile.open(join(import.meta.dir, "../fixtures/models/kjv-target-f16.gguf"))))).not.toThrow();
  });

  test("a different vocabulary size is a clear error", () => {
    const gpt2 = Tokenizer.fromGguf(GgufFile.open(join(import.meta.dir, "../fixtures/vocab/ggml-vocab-gpt-2.gguf")));
    expect(() => checkSameVocabulary(demo, gpt2)).toThrow("the draft model has 50257 tokens but the target has 4096");
  });

  test("one token spelled differently is a clear error naming it", () => {
    let error: unknown;
    try {
      checkSameVocabulary(demo, alteredVocabulary(1000, "zzz"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IngotError);
    expect((error as IngotError).code).toBe("MODEL_MISMATCH");
    expect((error as IngotError).message).toContain(`token 1000 is ${JSON.stringify(demo.token(1000))} in the target but "zzz" in the draft`);
  });
});

describe("LookupDrafter", () => {
  const propose = (history: number[], max: number, opts = {}) => {
    const out = new DraftBuffer();
    new LookupDrafter(opts).propose(history, max, out);
    return { tokens: [...out.tokens], q: out.length ? out.distribution(0) : null };
  };

  test("continues the most recent earlier occurrence of the longest matching suffix", () => {
    // suffix [7, 8] occurred at 1 (followed by 9, 10) and at 5 (followed by 11, 12, 7): the latest wins.
    expect(propose([1, 7, 8, 9, 10, 7, 8, 11, 12, 7, 8], 3).tokens).toEqual([11, 12, 7]);
    // a longer suffix match beats a more recent shorter one
    expect(propose([5, 6, 7, 1, 9, 7, 2, 6, 7, 3, 5, 6, 7], 2).tokens).toEqual([1, 9]);
  });

  test("proposals are certain (q is a point mass) and capped by max and by the history", () => {
    const { tokens, q } = propose([4, 5, 6, 4, 5], 10);
    expect(tokens).toEqual([6, 4, 5]);
    expect(q!.count).toBe(1);
    expect(q!.probs[0]).toBe(1);
  });

  test("no match, no proposal", () => {
    expect(propose([1, 2, 3, 4, 5], 4).tokens).toEqual([]);
    expect(propose([1, 2, 3, 1], 4, { minNgram: 2 }).tokens).toEqual([]);
    expect(propose([1, 2, 3, 1], 4, { minNgram: 1 }).tokens).toEqual([2, 3, 1]);
  });
});

describe("DraftLength", () => {
  /** Simulates 200 steps with per-token acceptance `alpha` (seeded) and the given costs; returns the settled k. */
  function settle(alpha: number, draftMs: number, verifyMs: (n: number) => number): number {
    const lengths = new DraftLength({ max: 8 });
    const rng = new Rng(3);
    for (let step = 0; step < 200; step++) {
      const k = lengths.next();
      let accepted = 0;
      while (accepted < k && rng.next() < alpha) accepted++;
      lengths.record(k, accepted, k * draftMs, k + 1, verifyMs(k + 1));
    }
    return lengths.next();
  }

  test("fixed length is returned as given", () => {
    const d = new DraftLength({ max: 8, fixed: 3 });
    d.record(3, 0, 1, 4, 4);
    expect([d.next(), d.next()]).toEqual([3, 3]);
  });

  test("verification as costly as decoding each token: drafting does not pay, k falls to plain decoding", () => {
    expect(settle(0.6, 0.15, (n) => 1 * n)).toBeLessThanOrEqual(1);
  });

  test("once settled on plain decoding, other lengths are tried rarely (each try costs time)", () => {
    const lengths = new DraftLength({ max: 8 });
    const rng = new Rng(5);
    const chosen: number[] = [];
    for (let step = 0; step < 600; step++) {
      const k = lengths.next();
      chosen.push(k);
      let accepted = 0;
      while (accepted < k && rng.next() < 0.6) accepted++;
      lengths.record(k, accepted, k * 0.15, k + 1, k + 1);
    }
    const late = chosen.slice(200);
    expect(late.filter((k) => k > 0).length).toBeGreaterThan(0); // still tried now and then
    expect(late.filter((k) => k > 0).length / late.length).toBeLessThan(0.04);
  });

  test("verification nearly free (memory-bound target) and good acceptance: long drafts", () => {
    expect(settle(0.8, 0.05, (n) => 1 + 0.02 * n)).toBeGreaterThanOrEqual(4);
  });

  test("the acceptance estimate follows the outcomes", () => {
    const d = new DraftLength({ max: 4 });
    for (let i = 0; i < 50; i++) d.record(4, 4, 1, 5, 5);
    expect(d.acceptanceRate).toBeGreaterThan(0.95);
    for (let i = 0; i < 50; i++) d.record(4, 0, 1, 5, 5);
    expect(d.acceptanceRate).toBeLessThan(0.1);
  });
});
