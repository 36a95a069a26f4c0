/**
 * The whole Metal path (lowering, programs, the real shaders) through the MSL emulator on the demo
 * target, F16 and Q4_K_M: greedy tokens equal the CPU engine's and llama.cpp's continuation, logits
 * agree with the CPU engine within tolerance (Metal keeps activations in float where the CPU
 * quantises them for its dot products), speculative verification of k+1 tokens runs its matmuls
 * through mul_mm (simdgroup_matrix) and gives the CPU engine's logits and argmax on every row, greedy
 * speculative decoding with the draft model gives plain greedy's tokens, and several sequences per
 * batch and on-device argmax/top-k go through the same programs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../ts/engine/backend.ts";
import { VERIFY_TOKENS, type MetalContext, type ProgramRun } from "../../ts/engine/metal/context.ts";
import type { Batch, InferenceContext } from "../../ts/engine/types.ts";
import { generate } from "../../ts/generate/generate.ts";
import { Sequence } from "../../ts/generate/sequence.ts";
import { DEMO_DRAFT, DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { Sampler } from "../../ts/sampling/sampler.ts";
import { drain, generateSpeculative, ModelDrafter } from "../../ts/speculative/index.ts";
import { useModelTestTimeout } from "../timeouts.ts";
import { emuDevice } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

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

/** The weight kernels of a program's matmuls (mul_mv or mul_mm). */
function matmulKernels(run: ProgramRun): string[] {
  return run.calls.map((c) => c.kernel).filter((k) => /^mul_m[mv]_/.test(k));
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

    for (const rows of [5, VERIFY_TOKENS]) {
      test(`speculative verification of k+1 = ${rows} tokens: mul_mm, and the CPU engine's logits and argmax on every row`, () => {
        const ids = model.tokenizer.encode(PROMPTS[1]!);
        const { tokens } = greedy(metal, ids, rows + 1);
        const draft = tokens.slice(0, rows); // k drafted tokens after the last accepted one
        const batch = { tokens: draft, positions: draft.map((_, i) => ids.length + i), seqIds: draft.map(() => 0), outputs: draft.map((_, i) => i) };
        const verify = Float32Array.from(metal.forward(batch));
        const run = metal.lastProgram()!;
        expect(run.capacity).toBe(VERIFY_TOKENS);
        const kernels = matmulKernels(run);
        expect(kernels.length).toBe(7 * model.config.layers + 1);
        expect(kernels.every((k) => k.startsWith("mul_mm_"))).toBe(true);
        // The CPU engine verifies the same batch (after the same prompt) to the same tokens, with close logits.
        cpu.forward({ tokens: ids, positions: ids.map((_, i) => i), seqIds: ids.map(() => 0), outputs: [ids.length - 1] });
        const c = cpu.forward(batch);
        const vocab = model.config.vocabSize;
        for (let i = 0; i < rows; i++) {
          expect(argmax(verify, i * vocab, vocab)).toBe(tokens[i + 1]!); // = the single steps' tokens
          expect(argmax(verify, i * vocab, vocab)).toBe(argmax(c, i * vocab, vocab));
        }
        expect(maxAbsDiff(c, verify)).toBeLessThan(2 * m.logitTolerance);
      });
    }

    test("greedy speculative decoding with the draft model equals plain greedy decoding", () => {
      const draftModel = Model.load(DEMO_DRAFT, { threads: 2 });
      using draftCtx = createContext(draftModel, { backend: "metal-emu", contextLength: 96, batchCapacity: 48, outputCapacity: 1 });
      const prompt = model.tokenizer.encode(PROMPTS[1]!);
      const opts = { temperature: 0, maxTokens: 24, ignoreEos: true };
      const plain = drain(generate(model.tokenizer, new Sequence(metal), prompt, opts));
      // Every target forward whose rows all give logits is a verification: note the program it ran.
      const verifications: { rows: number; run: ProgramRun }[] = [];
      const forward = metal.forward;
      metal.forward = (batch: Batch) => {
        const logits = forward.call(metal, batch);
        if (batch.outputs.length > 1) verifications.push({ rows: batch.outputs.length, run: metal.lastProgram()! });
        return logits;
      };
      try {
        const drafter = new ModelDrafter(new Sequence(draftCtx), new Sampler(draftModel.config.vocabSize, { temperature: 0 }));
        const spec = drain(generateSpeculative(model.tokenizer, new Sequence(metal), drafter, prompt, { ...opts, draftMax: 4, draftLength: 4 }));
        expect(spec.tokens).toEqual(plain.tokens);
        expect(spec.stats.speculative.accepted).toBeGreaterThan(0);
        expect(verifications.length).toBeGreaterThan(0);
        expect(verifications.some((v) => v.rows === 5)).toBe(true);
        for (const { run } of verifications) {
          expect(run.capacity).toBe(VERIFY_TOKENS);
          expect(matmulKernels(run).every((k) => k.startsWith("mul_mm_"))).toBe(true);
        }
      } finally {
        delete (metal as { forward?: unknown }).forward; // back to the prototype's method
      }
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
