/**
 * The eight-row interleaved weight layouts (Sources/IngotCPU/repack.c and one file per layout):
 * for every token count the matmul over a repacked matrix must give exactly what one token alone gives
 * (decode and speculative verification agree bit for bit), stay within float rounding of the scalar
 * reference dot product over the file's layout, leave rows outside the range untouched, and refuse
 * ranges that are not whole groups of eight.
 */
import { ptr } from "bun:ffi";
import { beforeAll, describe, expect, test } from "bun:test";
import { KernelError } from "../../ts/engine/cpu/kernels-ffi.ts";
import { cpuLibrary } from "../../ts/engine/cpu/native.ts";
import { GgmlType, Impl, check, ensureBuilt, gaussian, kernels, quantize, quantizeActs, vecDot } from "./helpers.ts";

beforeAll(() => ensureBuilt());

const AVX2 = 1;
/** vnniOnly: offered only where dpbusd is a VNNI instruction (an AVX2 build may lack it). */
const LAYOUTS = [
  { name: "Q4_0 x8", id: 1000, type: GgmlType.Q4_0, ks: [32, 96, 256, 608], vnniOnly: false },
  { name: "Q4_1 x8", id: 1008, type: GgmlType.Q4_1, ks: [32, 96, 256, 608], vnniOnly: false },
  { name: "Q5_1 x8", id: 1009, type: GgmlType.Q5_1, ks: [32, 96, 256, 608], vnniOnly: false },
  { name: "Q5_0 x8", id: 1007, type: GgmlType.Q5_0, ks: [32, 96, 256, 608], vnniOnly: false },
  { name: "Q2_K x8", id: 1005, type: GgmlType.Q2_K, ks: [256, 768, 2048], vnniOnly: false },
  { name: "Q3_K x8", id: 1006, type: GgmlType.Q3_K, ks: [256, 768, 2048], vnniOnly: false },
  { name: "Q4_K x8", id: 1001, type: GgmlType.Q4_K, ks: [256, 768, 2048], vnniOnly: false },
  { name: "Q5_K x8", id: 1004, type: GgmlType.Q5_K, ks: [256, 768, 2048], vnniOnly: false },
  { name: "Q6_K x8", id: 1002, type: GgmlType.Q6_K, ks: [256, 768, 2048], vnniOnly: false },
  { name: "Q8_0 x8", id: 1003, type: GgmlType.Q8_0, ks: [32, 96, 256, 608], vnniOnly: true },
];

function repack(layout: number, W: Uint8Array, rowBytes: number, rows: number, k: number): Uint8Array {
  const lib = cpuLibrary();
  const out = new Uint8Array(Number(lib.ingot_cpu_repacked_bytes(layout, rows, k)));
  const rc = lib.ingot_cpu_repack(layout, ptr(W), rowBytes, rows, k, ptr(out));
  if (rc !== 0) throw new Error(`repack failed: ${lib.ingot_cpu_last_error()}`);
  return out;
}

for (const { name, id, type, ks, vnniOnly } of LAYOUTS) {
  const offered = cpuLibrary().ingot_cpu_repacked_layout(type, 16, ks[0]!) === id;
  describe(`${name} layout`, () => {
    test("offered when the build has the kernels, for whole groups of eight rows only", () => {
      const lib = cpuLibrary();
      const k = ks[0]!;
      if (kernels.simd() !== AVX2) expect(offered).toBe(false);
      else if (!vnniOnly) expect(offered).toBe(true);
      expect(lib.ingot_cpu_repacked_layout(type, 12, k)).toBe(0);
      expect(lib.ingot_cpu_repacked_layout(GgmlType.F16, 16, 256)).toBe(0); // float types keep their layout
    });

    if (!offered) return;

    test("matmul over 1..9 tokens equals the one-token result bit for bit and the scalar reference closely", () => {
      const rows = 24, r0 = 8, r1 = 24;
      for (const k of ks) {
        const rowBytes = kernels.rowSize(type, k);
        const W = quantize(type, gaussian(rows * k, 500 + k, 0.05));
        const packed = repack(id, W, rowBytes, rows, k);
        for (let nTokens = 1; nTokens <= 9; nTokens++) {
          const xq = quantizeActs(type, gaussian(nTokens * k, 31 * nTokens + k, 1.0), nTokens);
          const xqRow = xq.length / nTokens;
          const ldy = rows + 1;
          const Y = new Float32Array(nTokens * ldy).fill(NaN);
          check(kernels.matmul(id, Impl.SIMD, packed, rowBytes, k, xq, xqRow, nTokens, Y, ldy, r0, r1), "matmul");
          for (let t = 0; t < nTokens; t++) {
            const x = xq.subarray(t * xqRow, (t + 1) * xqRow);
            const alone = new Float32Array(ldy).fill(NaN);
            check(kernels.matmul(id, Impl.SIMD, packed, rowBytes, k, x, xqRow, 1, alone, ldy, r0, r1), "matmul, one token");
            for (let r = 0; r < ldy; r++) {
              const got = Y[t * ldy + r]!;
              if (r < r0 || r >= r1) {
                expect(Number.isNaN(got)).toBe(true);
                continue;
              }
              if (!Object.is(got, alone[r]!)) throw new Error(`k=${k} tokens=${nTokens} t=${t} r=${r}: ${got} != one-token ${alone[r]}`);
              const ref = vecDot(type, Impl.SCALAR, k, W.subarray(r * rowBytes, (r + 1) * rowBytes), x);
              expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref)));
            }
          }
        }
      }
    });

    test("row ranges must be whole groups of eight", () => {
      const k = ks[0]!, rows = 16, rowBytes = kernels.rowSize(type, k);
      const packed = repack(id, quantize(type, gaussian(rows * k, 3, 0.05)), rowBytes, rows, k);
      const xq = quantizeActs(type, gaussian(k, 4, 1.0), 1);
      const Y = new Float32Array(rows);
      expect(kernels.matmul(id, Impl.SIMD, packed, rowBytes, k, xq, xq.length, 1, Y, rows, 4, 16)).toBe(KernelError.BAD_ARG);
      expect(kernels.matmul(id, Impl.SIMD, packed, rowBytes, k, xq, xq.length, 1, Y, rows, 0, 12)).toBe(KernelError.BAD_ARG);
    });

    test("repacking refuses matrices it cannot hold", () => {
      const lib = cpuLibrary();
      const k = ks[0]!, rowBytes = kernels.rowSize(type, k);
      const W = new Uint8Array(rowBytes * 12);
      expect(lib.ingot_cpu_repack(id, ptr(W), rowBytes, 12, k, ptr(new Uint8Array(2 * W.length)))).toBeLessThan(0);
      expect(String(lib.ingot_cpu_last_error())).toContain("does not apply");
    });
  });
}
