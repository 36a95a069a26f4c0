/**
 * Host and shaders agree: the constants and argument structs of shaders/kargs.h against
 * ts/engine/metal/kargs.ts, the weight policies of shaders/dequant.h against the kernel table and
 * GGUF's block sizes, and the generated instantiation file against the table that generates it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { useModelTestTimeout } from "../timeouts.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ggmlTypeInfo } from "../../ts/gguf/index.ts";
import type { MetalDevice } from "../../ts/engine/metal/device.ts";
import { ALL_STRUCTS, K } from "../../ts/engine/metal/kargs.ts";
import { allKernelNames, renderInstances, WEIGHT_KERNELS } from "../../ts/engine/metal/kernel-table.ts";
import { shaderDir } from "../../ts/engine/metal/paths.ts";
import { emuDevice } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

const header = readFileSync(join(shaderDir, "kargs.h"), "utf8").replace(/\/\/[^\n]*/g, "");

test("every constant of kargs.h has the same value on the host, and no other", () => {
  const body = /enum\s*\{([\s\S]*?)\};/.exec(header)![1]!;
  const consts = Object.fromEntries([...body.matchAll(/(\w+)\s*=\s*(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
  expect(consts).toEqual({ ...K });
});

test("every argument struct has the host's fields, types and order", () => {
  const structs = [...header.matchAll(/struct\s+(\w+)\s*\{([\s\S]*?)\};/g)];
  expect(structs.map((m) => m[1]).sort()).toEqual(ALL_STRUCTS.map((s) => s.name).sort());
  for (const [, name, body] of structs) {
    const fields = [...body!.matchAll(/(int|float)\s+(\w+)(?:\[(\d+)\])?;/g)].map((m) => ({
      name: m[2]!, ...(m[1] === "float" ? { float: true } : {}), ...(m[3] ? { count: Number(m[3]) } : {}),
    }));
    const host = ALL_STRUCTS.find((s) => s.name === name)!;
    expect(fields).toEqual(host.fields.map((f) => ({ ...f })));
  }
});

test("each dequantisation policy's block geometry equals the table's and GGUF's", () => {
  const dequant = readFileSync(join(shaderDir, "dequant.h"), "utf8");
  for (const w of WEIGHT_KERNELS) {
    const m = new RegExp(`struct ${w.policy} \\{\\s*enum \\{ BLOCK = (\\d+), BYTES = (\\d+) \\};`).exec(dequant);
    expect(m).not.toBeNull();
    expect([Number(m![1]), Number(m![2])]).toEqual([w.block, w.bytes]);
    const info = ggmlTypeInfo(w.type);
    expect(w.bytes / w.block).toBe(info.typeSize / info.blockSize);
  }
});

let dev: MetalDevice;
beforeAll(async () => {
  dev = await emuDevice();
});
afterAll(() => dev?.close());

test("shaders/instances.metal is what the kernel table generates, and every kernel exists", () => {
  expect(readFileSync(join(shaderDir, "instances.metal"), "utf8")).toBe(renderInstances());
  for (const name of allKernelNames()) expect(dev.pipeline(name)).toBeGreaterThanOrEqual(0);
});
