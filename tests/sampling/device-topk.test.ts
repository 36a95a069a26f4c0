/**
 * The CPU context's on-device top-k (ContextOptions.topK): for every output row of a forward, the K
 * largest logits of that row, best first, with their ids — checked against a sort of the logits.
 */
import { afterAll, expect, test } from "bun:test";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { rowCandidates } from "../../ts/sampling/candidates.ts";

const model = Model.load(DEMO_MODEL, { threads: 2 });
const K = 24;
const ctx = model.createContext({ contextLength: 128, batchCapacity: 16, outputCapacity: 4, topK: K });
afterAll(() => ctx.dispose());

test("top-k rows equal a sort of the logits rows", () => {
  const ids = model.tokenizer.encode("In the beginning God created the heaven and the earth.");
  const logits = ctx.forward({ tokens: ids, positions: ids.map((_, i) => i), seqIds: ids.map(() => 0), outputs: [2, 5, 9, ids.length - 1] });
  const vocab = model.config.vocabSize;
  const top = ctx.topK!()!;
  expect(top.k).toBe(K);
  expect(top.values.length).toBe(4 * K);
  for (let row = 0; row < 4; row++) {
    const l = logits.subarray(row * vocab, (row + 1) * vocab);
    const sorted = Array.from(l, (v, id) => ({ v, id })).sort((a, b) => b.v - a.v || a.id - b.id).slice(0, K);
    const c = rowCandidates(ctx, row)!;
    expect(Array.from(c.ids)).toEqual(sorted.map((x) => x.id));
    expect(Array.from(c.values)).toEqual(sorted.map((x) => x.v));
  }
}, MODEL_TEST_TIMEOUT_MS);

test("a context without top-k reports none; out-of-range K is refused", () => {
  const plain = model.createContext({ contextLength: 16, batchCapacity: 4 });
  expect(plain.topK?.() ?? null).toBeNull();
  plain.dispose();
  expect(() => model.createContext({ contextLength: 16, topK: 257 })).toThrow(/topK must be an integer in 1\.\.256/);
}, MODEL_TEST_TIMEOUT_MS);
