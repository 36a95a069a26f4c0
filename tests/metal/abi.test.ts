/**
 * ingot_metal.h as the emulator implements it: record layouts (sizes and offsets measured by
 * compiling the header with clang), error reporting with the engine's message, and the byte
 * counters of the profiling build on a kernel whose traffic is known exactly.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { useModelTestTimeout } from "../timeouts.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVICE_INFO_BYTES, DISPATCH_BYTES, STAT_BYTES, Storage } from "../../ts/engine/metal/abi.ts";
import type { MetalDevice } from "../../ts/engine/metal/device.ts";
import { add, materialize } from "../../ts/engine/metal/dispatches.ts";
import { K } from "../../ts/engine/metal/kargs.ts";
import { repoRoot } from "../../ts/engine/metal/paths.ts";
import { emuDevice, readF32, stepBuffer, upload, zeros } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

let dev: MetalDevice, profiled: MetalDevice;
beforeAll(async () => {
  dev = await emuDevice();
  profiled = await emuDevice(true);
});
afterAll(() => {
  dev?.close();
  profiled?.close();
});

test("record layouts match the header as a C compiler lays it out", () => {
  const dir = mkdtempSync(join(tmpdir(), "ingot-abi-"));
  const src = join(dir, "layout.c");
  writeFileSync(src, `#include <stdio.h>
#include <stddef.h>
#include "ingot_metal.h"
int main(void) {
  printf("%zu %zu %zu %zu %zu %zu %zu\\n", sizeof(struct ingot_metal_dispatch), offsetof(struct ingot_metal_dispatch, bindings),
         sizeof(struct ingot_metal_stat), offsetof(struct ingot_metal_stat, bytes_loaded), sizeof(struct ingot_metal_device_info),
         offsetof(struct ingot_metal_device_info, max_threads_per_threadgroup), (size_t)INGOT_METAL_MAX_BINDINGS);
  return 0;
}
`);
  const exe = join(dir, "layout");
  const cc = Bun.spawnSync(["clang-16", "-I", join(repoRoot, "Sources/IngotMetalABI/include"), src, "-o", exe]);
  expect(cc.exitCode).toBe(0);
  const out = Bun.spawnSync([exe]).stdout.toString().trim().split(" ").map(Number);
  expect(out).toEqual([DISPATCH_BYTES, 40, STAT_BYTES, 16, DEVICE_INFO_BYTES, 136, 16]);
});

describe("errors carry the engine's message", () => {
  test("unknown kernel, bad geometry, file range, profiling without the profiling build", () => {
    expect(() => dev.pipeline("no_such_kernel")).toThrow(/no kernel named 'no_such_kernel'/);
    const y = zeros(dev, 64);
    const bad = { kernel: "add", grid: [1, 1, 1] as const, threads: [2048, 1, 1] as const, bindings: [y], label: "bad", layer: null };
    expect(() => dev.program([bad])).toThrow(/2048 threads per threadgroup \(limit 1024\)/);
    expect(() => dev.bufferFromFile(join(repoRoot, "package.json"), 0, 1 << 30)).toThrow(/outside the file/);
    expect(() => dev.bufferFromFile("/nonexistent/file", 0, 16)).toThrow(/cannot open/);
    const program = dev.program([{ ...bad, threads: [32, 1, 1] }]);
    expect(() => program.setProfiling(true)).toThrow(/profiling kernel library/);
    program.free();
    expect(() => y.buffer.read(60, new Uint8Array(16))).toThrow(/outside the buffer/);
  });

  test("a PRIVATE buffer has no host view; SHARED contents equal what was written", () => {
    const p = dev.buffer(64, Storage.PRIVATE);
    expect(() => p.bytes()).toThrow(/SHARED/);
    const s = upload(dev, Float32Array.of(1, 2, 3));
    expect(Array.from(new Float32Array(s.buffer.bytes().buffer, 0, 3))).toEqual([1, 2, 3]);
    expect(dev.info().isEmulator).toBe(true);
    expect(profiled.info().countsBytes).toBe(true);
    expect(dev.info().countsBytes).toBe(false);
  });
});

test("the profiling build counts every byte the shader loads and stores", () => {
  const dim = 300, tokens = 3, cap = 4; // the grid covers 4 rows and 512 columns: idle threads load nothing
  const a = upload(profiled, new Float32Array(dim * cap).fill(1)), b = upload(profiled, new Float32Array(dim * cap).fill(2));
  const y = zeros(profiled, 4 * dim * cap);
  const step = stepBuffer(profiled, cap, { nTokens: tokens });
  const call = add({ label: "add", layer: null, dim, a, b, y, stride: dim, bStride: dim, rows: K.ROWS_TOKENS, cap, rowCapacity: cap, step });
  const { dispatches, args } = materialize(profiled, [call]);
  const program = profiled.program(dispatches);
  program.setProfiling(true);
  program.run();
  expect(readF32(y, dim * tokens).every((v) => v === 3)).toBe(true);
  const stats = program.stats().filter((s) => s.dispatch === 0 && s.buffer);
  const of = (buf: typeof a) => stats.find((s) => s.buffer === buf.buffer)!;
  expect(of(a)).toMatchObject({ bytesLoaded: 4 * dim * tokens, bytesUnique: 4 * dim * tokens, bytesStored: 0 });
  expect(of(b)).toMatchObject({ bytesLoaded: 4 * dim * tokens, bytesUnique: 4 * dim * tokens, bytesStored: 0 });
  expect(of(y)).toMatchObject({ bytesLoaded: 0, bytesStored: 4 * dim * tokens });
  // Threads with a column below dim (dim per grid row, cap rows) read n_tokens once; those past dim stop first.
  expect(of(step).bytesUnique).toBe(4);
  expect(of(step).bytesLoaded).toBe(4 * dim * cap);
  program.free();
  args.free();
});
