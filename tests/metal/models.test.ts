/**
 * Every model file in the fixtures through the Metal path (MSL emulator) against the CPU engine:
 * the other weight types at real shapes (Q8_0, Q6_K, Q5_K_M, Q4_0 targets, the F16 draft) and the other
 * architectures (qwen2: Q/K/V biases, NeoX rope, tied embeddings; Llama 3: rope frequency factors).
 * A 12-token prefill with logits at every position, two decode steps, then a speculative
 * verification batch (4 rows of logits: the verification program, matmuls through mul_mm).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { useModelTestTimeout } from "../timeouts.ts";
import { join } from "node:path";
import { createContext } from "../../ts/engine/backend.ts";
import { VERIFY_TOKENS, type MetalContext } from "../../ts/engine/metal/context.ts";
import type { InferenceContext } from "../../ts/engine/types.ts";
import { Model } from "../../ts/model/model.ts";
import { emuDevice } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

const dir = join(import.meta.dir, "..", "fixtures", "models");
// Largest |logit difference| allowed: the CPU engine quantises activations for its dot products
// (Q8_0/Q8_K), the Metal kernels keep them in float; F16 files differ only by summation order.
const CASES = [
  ["kjv-target-q8_0.gguf", 0.3], ["kjv-target-q6_k.gguf", 0.3], ["kjv-target-q5_k_m.gguf", 0.3], ["kjv-target-q4_0.gguf", 0.3],
  ["kjv-draft-f16.gguf", 0.02], ["qwen2-tiny-f16.gguf", 0.02], ["llama3-tiny-f16.gguf", 0.02],
] as const;

function argmax(x: ArrayLike<number>, from: number, n: number): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (x[i]! > x[best]!) best = i;
  return best - from;
}

beforeAll(async () => {
  (await emuDevice()).close();
});

describe.each(CASES)("%s", (file, tolerance) => {
  let model: Model, cpu: InferenceContext, metal: InferenceContext;
  beforeAll(() => {
    model = Model.load(join(dir, file), { threads: 2 });
    cpu = createContext(model, { backend: "cpu", contextLength: 32, batchCapacity: 16 });
    metal = createContext(model, { backend: "metal-emu", contextLength: 32, batchCapacity: 16 });
  });
  afterAll(() => {
    cpu?.dispose();
    metal?.dispose();
  });

  test("prefill logits at every position, two decode steps and a verification batch agree with the CPU engine", () => {
    const ids = model.tokenizer.encode("And God said, Let there be light: and there was light. And God saw").slice(0, 12);
    const vocab = model.config.vocabSize;
    const batch = { tokens: ids, positions: ids.map((_, i) => i), seqIds: ids.map(() => 0), outputs: ids.map((_, i) => i) };
    const c = Float32Array.from(cpu.forward(batch)), g = metal.forward(batch);
    let worst = 0, agree = 0;
    for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i]! - g[i]!));
    for (let r = 0; r < ids.length; r++) if (argmax(c, r * vocab, vocab) === argmax(g, r * vocab, vocab)) agree++;
    expect(worst).toBeLessThan(tolerance);
    expect(agree).toBeGreaterThanOrEqual(ids.length - 1);
    let next = argmax(c, (ids.length - 1) * vocab, vocab);
    for (let step = 0; step < 2; step++) {
      const one = { tokens: [next], positions: [ids.length + step], seqIds: [0], outputs: [0] };
      const cl = Float32Array.from(cpu.forward(one)), gl = metal.forward(one);
      expect(argmax(gl, 0, vocab)).toBe(argmax(cl, 0, vocab));
      next = argmax(cl, 0, vocab);
    }
    const rows = 4, base = ids.length + 2;
    const verify = { tokens: ids.slice(0, rows), positions: ids.slice(0, rows).map((_, i) => base + i), seqIds: Array(rows).fill(0), outputs: ids.slice(0, rows).map((_, i) => i) };
    const cv = Float32Array.from(cpu.forward(verify)), gv = metal.forward(verify);
    expect((metal as MetalContext).lastProgram()!.capacity).toBe(VERIFY_TOKENS);
    worst = 0;
    for (let i = 0; i < cv.length; i++) worst = Math.max(worst, Math.abs(cv[i]! - gv[i]!));
    expect(worst).toBeLessThan(tolerance);
    for (let r = 0; r < rows; r++) expect(argmax(gv, r * vocab, vocab)).toBe(argmax(cv, r * vocab, vocab));
  });
});
