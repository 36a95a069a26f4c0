/**
 * The lowering's decisions, read off the programs a context builds: dispatches per layer, kernel
 * choice by batch shape, fusions, and that each weight tensor is read by exactly one decode dispatch.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { join } from "node:path";
import { createContext } from "../../ts/engine/backend.ts";
import type { MetalContext } from "../../ts/engine/metal/context.ts";
import { DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { emuDevice } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
setDefaultTimeout(600_000);

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

  test("batch shapes: verification keeps mul_mv, prefill switches to mul_mm", () => {
    expect(ctx.programFor(5).capacity).toBe(8);
    expect(ctx.programFor(5).calls.some((c) => c.kernel.startsWith("mul_mm_"))).toBe(false);
    const prefill = ctx.programFor(40);
    expect(prefill.capacity).toBe(64);
    const layer0 = perLayer(ctx, 40).get(0)!;
    expect(layer0.filter((k) => k.startsWith("mul_mm_")).length).toBe(7);
    expect(layer0).toContain("rmsnorm");
    expect(layer0).toContain("swiglu");
  });
});
