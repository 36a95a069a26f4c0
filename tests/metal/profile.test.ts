/**
 * `ingot bench --backend metal-emu --profile` measured on the demo target: at most 8 dispatches per
 * layer in decode, and every weight byte decode needs is read — none twice across dispatches and
 * none that decode does not need (distinct weight bytes loaded per token = the bytes of the matrices,
 * norms and one embedding row). Also runs the bench command's --profile mode.
 */
import { describe, expect, test } from "bun:test";
import { useModelTestTimeout } from "../timeouts.ts";
import { Command } from "commander";
import { registerBench } from "../../ts/cli/commands/bench.ts";
import { formatProfile, profileDecode } from "../../ts/engine/metal/profile.ts";
import { DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { emuDevice } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

describe("decode profile (byte-counting build)", () => {
  test("demo target Q4_K_M: dispatches per layer and weight bytes per token", async () => {
    (await emuDevice(true)).close();
    const model = Model.load(DEMO_MODEL, { threads: 1 });
    const p = profileDecode(model, model.tokenizer.encode("Blessed are the"), 1);
    expect(p.dispatchesPerLayer.length).toBe(model.config.layers);
    for (const n of p.dispatchesPerLayer) expect(n).toBeLessThanOrEqual(8);
    expect(p.dispatchesPerToken).toBe(p.dispatchesPerLayer.reduce((a, b) => a + b, 0) + p.dispatchesOutsideLayers);
    expect(p.weightBytes.unique).toBe(p.weightBytes.expected);
    // Loads count every repeat (neighbouring lanes re-reading a block's scales, a byte's two nibbles):
    // those hit the cache on a GPU; the figure is reported, and bounded here so a regression shows.
    expect(p.weightBytes.loaded / p.weightBytes.unique).toBeLessThan(3.5);
    const mv = p.kernels.find((k) => k.kernel === "mul_mv_q4_K")!;
    expect(mv.weightUnique).toBeGreaterThan(0.7 * p.weightBytes.expected);
    expect(formatProfile(p)).toContain("dispatches per token");
  });

  test("`ingot bench --backend metal-emu --profile --json` prints it", async () => {
    const program = new Command().exitOverride();
    registerBench(program);
    let printed = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => ((printed += String(chunk)), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(["bench", "--backend", "metal-emu", "--profile", "--tokens", "1", "--json"], { from: "user" });
    } finally {
      process.stdout.write = write;
    }
    const out = JSON.parse(printed) as { dispatchesPerLayer: number[]; weightBytes: { unique: number; expected: number } };
    expect(out.weightBytes.unique).toBe(out.weightBytes.expected);
    expect(Math.max(...out.dispatchesPerLayer)).toBeLessThanOrEqual(8);
    await expect(program.parseAsync(["bench", "--backend", "cpu", "--profile"], { from: "user" })).rejects.toThrow(/use --backend metal-emu/);
  });
});
