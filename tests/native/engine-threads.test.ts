/**
 * The CPU executor's work split must not change results: a row of a matmul, a token's norm or an
 * attention head is computed the same way whichever worker owns it, so logits are bit-identical for
 * 1, 2 and 3 threads (3 > cores here, which also exercises preempted workers). A missing barrier would
 * let a worker read half-written activations and break this (intermittently, hence several steps).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Model } from "../../ts/model/model.ts";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";

const repo = join(import.meta.dir, "..", "..");
const MODELS = ["models/kjv-draft-q8_0.gguf", "tests/fixtures/models/kjv-draft-f16.gguf"];

/** Logits of a 37-token batch (every row) followed by 6 single-token steps, all concatenated. */
function run(path: string, threads: number): Float32Array {
  const model = Model.load(path, { threads });
  const ctx = model.createContext({ contextLength: 64, batchCapacity: 40 });
  try {
    const ids = Array.from({ length: 37 }, (_, i) => 300 + ((i * 7919) % 3700));
    const parts: Float32Array[] = [];
    parts.push(ctx.forward({ tokens: ids, positions: ids.map((_, i) => i), seqIds: ids.map(() => 0), outputs: ids.map((_, i) => i) }).slice());
    for (let s = 0; s < 6; s++) {
      parts.push(ctx.forward({ tokens: [500 + s], positions: [37 + s], seqIds: [0], outputs: [0] }).slice());
    }
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  } finally {
    ctx.dispose();
  }
}

describe("CPU executor threading", () => {
  for (const file of MODELS) {
    test(`${file}: logits are bit-identical with 1, 2 and 3 worker threads`, () => {
      const path = join(repo, file);
      const one = run(path, 1);
      expect(one.every(Number.isFinite)).toBe(true);
      for (const threads of [2, 3]) {
        for (let rep = 0; rep < 3; rep++) {
          const got = run(path, threads);
          let diff = 0;
          for (let i = 0; i < one.length; i++) if (!Object.is(got[i], one[i])) diff++;
          expect(diff).toBe(0);
        }
      }
    }, MODEL_TEST_TIMEOUT_MS);
  }
});
