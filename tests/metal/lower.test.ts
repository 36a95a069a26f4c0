/**
 * The lowering's decisions, read off the programs a context builds: dispatches per layer, kernel
 * choice by batch shape (mul_mv for one row, mul_mm for verification and prefill), fusions, and that
 * each weight tensor is read by exactly one decode dispatch.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createContext } from "../../ts/engine/backend.ts";
import { VERIFY_TOKENS, type MetalContext } from "../../ts/engine/metal/context.ts";
import { DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { useModelTestTimeout } from "../timeouts.ts";
import { emuDevice } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

const models = join(import.meta.dir, "..", "fixtures", "models");

beforeAll(async () => {
  (await emuDevice()).close();
});

function perLayer(ctx: MetalContext, n: number): Map<number, string[]> {
  const layers = new Map<number, string[]>();
  for (const call of ctx.programFor(n).calls) {
    if (call.layer === null) continue;
    layers.set(call.layer, [...(layers.get(call.layer) ?? []), call.kernel]);
  }
  return layers;
}

describe.each([
  ["kjv-target-q4_k_m", DEMO_MODEL],
  ["kjv-target-f16", join(models, "kjv-target-f16.gguf")],
  ["qwen2-tiny-f16 (biases, neox rope, tied embeddings)", join(models, "qwen2-tiny-f16.gguf")],
])("%s", (_name, path) => {
  let model: Model, ctx: MetalContext;
  beforeAll(() => {
    model = Model.load(path, { threads: 1 });
    ctx = createContext(model, { backend: "metal-emu", contextLength: 512, batchCapacity: 64 }) as MetalContext;
  });
  afterAll(() => ctx?.dispose());

  test("decode: at most 8 dispatches per layer, 3 outside the layers", () => {
    const layers = perLayer(ctx, 1);
    expect(layers.size).toBe(model.config.layers);
    for (const kernels of layers.values()) expect(kernels.length).toBeLessThanOrEqual(8);
    const outside = ctx.programFor(1).calls.filter((c) => c.layer === null).map((c) => c.kernel);
    expect(outside.length).toBe(3); // embedding, output projection (norm + gather fused), argmax
    expect(outside[0]).toStartWith("get_rows_");
    expect(outside[1]).toStartWith("mul_mv_");
    expect(outside[2]).toBe("argmax");
  });

  test("decode reads every weight tensor in exactly one dispatch, all through mul_mv", () => {
    const calls = ctx.programFor(1).calls;
    const weights = calls[0]!.buffers[1]!.buffer; // get_rows reads the table from the weights buffer
    for (const t of model.file.tensors) {
      if (t.dims.length !== 2 || t.name === "token_embd.weight") continue;
      const readers = calls.filter((c) => c.buffers.some((b) => b?.buffer === weights && b.offset === t.offset));
      expect(readers.length).toBe(1);
      expect(readers[0]!.kernel).toStartWith("mul_mv_");
    }
  });

  test("fusions: norm, SwiGLU and residual folded into mul_mv; one rope_kv; context > 256 adds a reduce", () => {
    const kernels = perLayer(ctx, 1).get(0)!;
    expect(kernels).not.toContain("rmsnorm");
    expect(kernels).not.toContain("swiglu");
    expect(kernels).not.toContain("add");
    expect(kernels.filter((k) => k === "rope_kv").length).toBe(1);
    expect(kernels).toContain("attn_reduce"); // contextLength 512 = 2 splits
    const labels = ctx.programFor(1).calls.map((c) => c.label);
    expect(labels.some((l) => l.includes("swiglu"))).toBe(true);
    expect(labels.filter((l) => l.includes("residual")).length).toBe(2 * model.config.layers);
  });

  test("batch shapes: verification (2..8 tokens) and prefill run every matmul through mul_mm", () => {
    const matmuls = (calls: readonly { kernel: string }[]) => calls.filter((c) => /^mul_m[mv]_/.test(c.kernel)).map((c) => c.kernel);
    const verify = ctx.programFor(5);
    expect(verify.capacity).toBe(VERIFY_TOKENS);
    for (const n of [2, VERIFY_TOKENS]) expect(ctx.programFor(n)).toBe(verify);
    // 7 matrices per layer and the output projection (k+1 rows of logits), none through mul_mv.
    const mm = verify.calls.filter((c) => c.kernel.startsWith("mul_mm_"));
    expect(matmuls(verify.calls).every((k) => k.startsWith("mul_mm_"))).toBe(true);
    expect(mm.length).toBe(7 * model.config.layers + 1);
    expect(mm.every((c) => c.grid[1] === 1)).toBe(true); // one token tile covers the bucket
    const layer0 = perLayer(ctx, 5).get(0)!;
    expect(layer0.filter((k) => k.startsWith("mul_mm_")).length).toBe(7);
    expect(layer0).toContain("rmsnorm");
    expect(layer0).toContain("swiglu");
    expect(layer0).not.toContain("add"); // bias and residual stay epilogues of mul_mm
    expect(verify.calls.filter((c) => c.label.includes("residual")).length).toBe(2 * model.config.layers);

    const prefill = ctx.programFor(40);
    expect(prefill.capacity).toBe(64);
    expect(matmuls(prefill.calls).every((k) => k.startsWith("mul_mm_"))).toBe(true);
    expect(perLayer(ctx, 40).get(0)!).toEqual(layer0); // the same kernels, larger grids
    expect(prefill.calls.find((c) => c.kernel.startsWith("mul_mm_"))!.grid[1]).toBe(2);
  });

  test("a program asked for one row of logits keeps its output projection on mul_mv (norm and gather fused)", () => {
    using one = createContext(model, { backend: "metal-emu", contextLength: 64, batchCapacity: 64, outputCapacity: 1 }) as MetalContext;
    for (const n of [5, 40]) {
      const calls = one.programFor(n).calls;
      const outside = calls.filter((c) => c.layer === null).map((c) => c.kernel);
      expect(outside.filter((k) => k.startsWith("mul_mv_")).length).toBe(1);
      expect(outside).not.toContain("rmsnorm");
      expect(calls.filter((c) => c.layer !== null && c.kernel.startsWith("mul_mv_")).length).toBe(0);
    }
  });
});
