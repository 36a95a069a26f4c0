/**
 * The whole Metal path (lowering, programs, the real shaders) through the MSL emulator on the demo
 * target, F16 and Q4_K_M: greedy tokens equal the CPU engine's and llama.cpp's continuation, logits
 * agree with the CPU engine within tolerance (Metal keeps activations in float where the CPU
 * quantises them for its dot products), and speculative verification of k+1 tokens, several
 * sequences per batch and on-device argmax/top-k go through the same programs.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../ts/engine/backend.ts";
import type { MetalContext } from "../../ts/engine/metal/context.ts";
import type { InferenceContext } from "../../ts/engine/types.ts";
import { DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { emuDevice } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
setDefaultTimeout(600_000);

const fixtures = join(import.meta.dir, "..", "fixtures");
const PROMPTS = ["In the beginning God created", "And the LORD said unto Moses,", "Blessed are the"];
const NEW_TOKENS = 16;
const reference = readFileSync(join(fixtures, "metal", "llamacpp-greedy-target.jsonl"), "utf8").trim().split("\n")
  .map((l) => JSON.parse(l) as { model: string; prompt: string; output: string });

function argmax(x: ArrayLike<number>, from = 0, n = x.length): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (x[i]! > x[best]!) best = i;
  return best - from;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Greedy continuation: prefill in one batch, then one token per step. Returns tokens and first logits. */
function greedy(ctx: InferenceContext, prompt: number[], n: number, seq = 0): { tokens: number[]; first: Float32Array } {
  let tokens = prompt, pos = 0;
  const out: number[] = [];
  let first: Float32Array | null = null;
  for (let i = 0; i < n; i++) {
    const logits = ctx.forward({ tokens, positions: tokens.map((_, j) => pos + j), seqIds: tokens.map(() => seq), outputs: [tokens.length - 1] });
    first ??= Float32Array.from(logits);
    pos += tokens.length;
    out.push(argmax(logits));
    tokens = [out[out.length - 1]!];
  }
  return { tokens: out, first: first! };
}

beforeAll(async () => {
  (await emuDevice()).close(); // builds the emulator once
});

const MODELS = [
  { file: "kjv-target-f16.gguf", path: join(fixtures, "models", "kjv-target-f16.gguf"), logitTolerance: 0.02 },
  { file: "kjv-target-q4_k_m.gguf", path: DEMO_MODEL, logitTolerance: 0.2 },
];

for (const m of MODELS) {
  describe(`${m.file} on metal-emu`, () => {
    let model: Model, cpu: InferenceContext, metal: MetalContext;
    beforeAll(() => {
      model = Model.load(m.path, { threads: 2 });
      cpu = createContext(model, { backend: "cpu", contextLength: 96, batchCapacity: 48, sequences: 2 });
      metal = createContext(model, { backend: "metal-emu", contextLength: 96, batchCapacity: 48, sequences: 2, topK: 8 }) as MetalContext;
    });
    afterAll(() => {
      cpu?.dispose();
      metal?.dispose();
    });

    for (const prompt of PROMPTS) {
      test(`greedy ${NEW_TOKENS} tokens after "${prompt}" equal the CPU engine's and llama.cpp's`, () => {
        const ids = model.tokenizer.encode(prompt);
        const c = greedy(cpu, ids, NEW_TOKENS), g = greedy(metal, ids, NEW_TOKENS);
        expect(g.tokens).toEqual(c.tokens);
        const llama = reference.find((r) => r.model === m.file && r.prompt === prompt)!;
        expect(llama.output.startsWith(prompt + model.tokenizer.decode(g.tokens))).toBe(true);
        expect(maxAbsDiff(c.first, g.first)).toBeLessThan(m.logitTolerance);
      });
    }

    test("a 40-token prefill through mul_mm gives the CPU engine's logits at every position", () => {
      const ids = model.tokenizer.encode("And it came to pass after these things, that God did tempt Abraham, and said unto him, Abraham: and he said, Behold, here I am.").slice(0, 40);
      const batch = { tokens: ids, positions: ids.map((_, i) => i), seqIds: ids.map(() => 0), outputs: ids.map((_, i) => i) };
      const c = Float32Array.from(cpu.forward(batch)), g = metal.forward(batch);
      const vocab = model.config.vocabSize;
      let agree = 0;
      for (let r = 0; r < ids.length; r++) if (argmax(c, r * vocab, vocab) === argmax(g, r * vocab, vocab)) agree++;
      expect(agree).toBeGreaterThanOrEqual(ids.length - 1);
      expect(maxAbsDiff(c, g)).toBeLessThan(2 * m.logitTolerance);
      expect(metal.lastProgram()!.calls.some((call) => call.kernel.startsWith("mul_mm_"))).toBe(true);
    });

    test("speculative verification: k+1 tokens in one batch give the logits of k+1 single steps", () => {
      const ids = model.tokenizer.encode(PROMPTS[1]!);
      const { tokens } = greedy(metal, ids, 6);
      const draft = tokens.slice(0, 5); // k = 4 drafted tokens plus the last accepted one
      const verify = metal.forward({ tokens: draft, positions: draft.map((_, i) => ids.length + i), seqIds: draft.map(() => 0), outputs: draft.map((_, i) => i) });
      const vocab = model.config.vocabSize;
      for (let i = 0; i < 5; i++) expect(argmax(verify, i * vocab, vocab)).toBe(tokens[i + 1]!);
      expect(metal.lastProgram()!.capacity).toBe(8);
      // The CPU engine verifies the same batch to the same tokens, with close logits.
      greedy(cpu, ids, 6);
      const c = cpu.forward({ tokens: draft, positions: draft.map((_, i) => ids.length + i), seqIds: draft.map(() => 0), outputs: draft.map((_, i) => i) });
      expect(maxAbsDiff(c, verify)).toBeLessThan(2 * m.logitTolerance);
    });

    test("two sequences in one batch, device argmax and top-k", () => {
      const a = model.tokenizer.encode(PROMPTS[0]!), b = model.tokenizer.encode(PROMPTS[2]!);
      const batch = {
        tokens: [...a, ...b], positions: [...a.map((_, i) => i), ...b.map((_, i) => i)], seqIds: [...a.map(() => 0), ...b.map(() => 1)],
        outputs: [a.length - 1, a.length + b.length - 1],
      };
      const ids = metal.forwardGreedy(batch);
      const logits = Float32Array.from(cpu.forward(batch));
      const vocab = model.config.vocabSize;
      expect(Array.from(ids)).toEqual([argmax(logits, 0, vocab), argmax(logits, vocab, vocab)]);
      expect(ids[0]).toBe(greedy(cpu, a, 1).tokens[0]!);
      const top = metal.topK()!;
      expect(top.k).toBe(8);
      expect(top.ids[0]).toBe(ids[0]!);
      expect(top.ids[8]).toBe(ids[1]!);
      for (let i = 1; i < 8; i++) expect(top.values[i]!).toBeLessThanOrEqual(top.values[i - 1]!);
    });
  });
}
