/**
 * The MSL emulator itself: the generator's source transformations, and the semantics the shaders
 * rely on (threadgroup memory and barriers, simdgroup exchanges, simdgroup_matrix, deadlock reports),
 * checked on a small library of self-test kernels built from tools/metal-emu/selftest.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { useModelTestTimeout } from "../timeouts.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildKernelLibrary } from "../../tools/metal-emu/build.ts";
import { parseInstances, parseKernels, transformSource } from "../../tools/metal-emu/gen.ts";
import { MetalDevice } from "../../ts/engine/metal/device.ts";
import { emuPaths, repoRoot } from "../../ts/engine/metal/paths.ts";
import { emuDevice, readF32, readI32, upload, zeros } from "./helpers.ts";

// Builds the emulator on first use and runs models: bun resets the preload's timeout per file.
useModelTestTimeout();

describe("generator", () => {
  test("threadgroup arrays declared in a body become shared storage, consecutive ones too", () => {
    const out = transformSource("kernel void k(device float *x [[buffer(0)]]) {\n  threadgroup float a[4];\n  threadgroup half b[2][8];\n  a[0] = 1;\n}");
    expect(out).toContain("float (&a)[4] = *emu::tg_array<float[4]>();");
    expect(out).toContain("half (&b)[2][8] = *emu::tg_array<half[2][8]>();");
    expect(out).not.toContain("[[");
  });

  test("kernel signatures and explicit instantiations are parsed with their attributes", () => {
    const src = `template <typename P>
kernel void mul(constant Args &a [[buffer(0)]], device const float *x [[ buffer(2) ]], uint2 tg [[threadgroup_position_in_grid]]) {}
template [[host_name("mul_q4_K")]] kernel mul_t mul<WQ4_K>;`;
    const [k] = parseKernels(src);
    expect(k).toEqual({
      name: "mul", templated: true,
      params: [
        { decl: "constant Args &a", attribute: "buffer(0)" },
        { decl: "device const float *x", attribute: "buffer(2)" },
        { decl: "uint2 tg", attribute: "threadgroup_position_in_grid" },
      ],
    });
    expect(parseInstances(src)).toEqual([{ hostName: "mul_q4_K", kernel: "mul", templateArgs: "WQ4_K" }]);
    expect(transformSource(src)).not.toContain("host_name");
  });
});

describe("self-test kernels", () => {
  let dev: MetalDevice;
  beforeAll(async () => {
    (await emuDevice()).close();
    const out = join(emuPaths.selftest, "selftest.so");
    await buildKernelLibrary({ shaders: join(repoRoot, "tools/metal-emu/selftest"), workDir: emuPaths.selftest, out });
    expect(existsSync(out)).toBe(true);
    dev = MetalDevice.open(emuPaths.runtime, out);
  });
  afterAll(() => dev?.close());

  const run = (kernel: string, grid: number, threads: number, bindings: ReturnType<typeof zeros>[]) => {
    const p = dev.program([{ kernel, grid: [grid, 1, 1], threads: [threads, 1, 1], bindings, label: kernel, layer: null }]);
    try {
      p.run();
    } finally {
      p.free();
    }
  };

  test("threadgroup memory is shared by a threadgroup and separate between threadgroups", () => {
    const out = zeros(dev, 4 * 3 * 64);
    run("barrier_rotate", 3, 64, [out]);
    const got = readI32(out, 3 * 64);
    for (let g = 0; g < 3; g++) for (let t = 0; t < 64; t++) expect(got[g * 64 + t]).toBe(((t + 1) % 64) + 1000 * g);
  });

  test("simd_sum/max/shuffle_down/broadcast over full and partial simdgroups", () => {
    const threads = 40; // one full simdgroup and one of 8 lanes
    const out = zeros(dev, 16 * threads);
    run("simd_ops", 1, threads, [out]);
    const got = readF32(out, 4 * threads);
    for (let t = 0; t < threads; t++) {
      const lanes = t < 32 ? 32 : 8, lane = t % 32;
      expect(Array.from(got.subarray(4 * t, 4 * t + 4))).toEqual([
        (lanes * (lanes - 1)) / 2, lanes - 1, lane + 1 < lanes ? lane + 1 : lane, 3,
      ]);
    }
  });

  test("simdgroup_matrix load (plain and transposed), multiply-accumulate, store", () => {
    const a = Float32Array.from({ length: 64 }, (_, i) => (i % 7) - 3), b = Float32Array.from({ length: 64 }, (_, i) => (i % 5) * 0.5);
    const c = zeros(dev, 4 * 64);
    run("matrix_8x8", 1, 32, [upload(dev, a), upload(dev, b), c]);
    const got = readF32(c, 64);
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) {
        let s = 0;
        for (let k = 0; k < 8; k++) s += a[i * 8 + k]! * b[j * 8 + k]!;
        expect(got[i * 8 + j]).toBe(s);
      }
  });

  test("a deadlock is reported with where the threads wait, and the device stays usable", () => {
    expect(() => run("deadlock", 1, 64, [zeros(dev, 16)])).toThrow(
      "deadlock in threadgroup (0,0,0): 63 threads (from 0) wait at threadgroup_barrier; thread 32 waits at a simdgroup operation");
    const out = zeros(dev, 4 * 64);
    run("barrier_rotate", 1, 64, [out]);
    expect(readI32(out, 1)[0]).toBe(1);
  });
});
