/**
 * Multi-token tile kernels (tile_avx2.c, tile_avx2_k.c) through the matmul entry point: every output
 * must be bit-identical to the single-token SIMD vec_dot, for every token count a tile can take (1..4
 * and remainders), block counts that do and do not fill the kernels' groups of 8 scales, odd
 * F16 lengths, and row ranges that start and end mid-matrix. The SIMD vec_dot itself is held to the
 * scalar reference elsewhere (kernels-dot.test.ts); here it is also checked to stay close to it.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { GgmlType, Impl, check, ensureBuilt, gaussian, kernels, quantize, quantizeActs, vecDot } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

beforeAll(() => ensureBuilt());

const TILED = [
  { name: "F16", id: GgmlType.F16, ks: [8, 100, 96, 520] },
  { name: "Q8_0", id: GgmlType.Q8_0, ks: [32, 96, 256, 608] },
  { name: "Q4_0", id: GgmlType.Q4_0, ks: [32, 96, 256, 608] },
  { name: "Q5_0", id: GgmlType.Q5_0, ks: [32, 96, 256, 608] },
  { name: "Q4_K", id: GgmlType.Q4_K, ks: [256, 768] },
  { name: "Q6_K", id: GgmlType.Q6_K, ks: [256, 768] },
];

describe("tile kernels", () => {
  for (const { name, id, ks } of TILED) {
    test(`${name}: matmul over 1..9 tokens is bit-identical to vec_dot`, () => {
      for (const k of ks) {
        const nRows = 13;
        const rowBytes = kernels.rowSize(id, k);
        const W = quantize(id, gaussian(nRows * k, 1000 + k + id, 0.05));
        for (let nTokens = 1; nTokens <= 9; nTokens++) {
          const xq = quantizeActs(id, gaussian(nTokens * k, 77 * nTokens + k, 1.0), nTokens);
          const xqRow = xq.length / nTokens;
          const ldy = nRows + 1;
          const r0 = 2, r1 = nRows - 1;
          const Y = new Float32Array(nTokens * ldy).fill(NaN);
          check(kernels.matmul(id, Impl.SIMD, W, rowBytes, k, xq, xqRow, nTokens, Y, ldy, r0, r1), "matmul");
          for (let t = 0; t < nTokens; t++) {
            for (let r = 0; r < ldy; r++) {
              const got = Y[t * ldy + r]!;
              if (r < r0 || r >= r1) {
                expect(Number.isNaN(got)).toBe(true);
                continue;
              }
              const w = W.subarray(r * rowBytes, (r + 1) * rowBytes), x = xq.subarray(t * xqRow, (t + 1) * xqRow);
              const want = vecDot(id, Impl.SIMD, k, w, x);
              if (!Object.is(got, want)) throw new Error(`${name} k=${k} tokens=${nTokens} t=${t} r=${r}: ${got} != ${want}`);
              const ref = vecDot(id, Impl.SCALAR, k, w, x);
              expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref)));
            }
          }
        }
      }
    });
  }

  test("Q8_0 blocks holding -128 (possible in files from other tools) still match the scalar reference", () => {
    const k = 256, nRows = 3;
    const rowBytes = kernels.rowSize(GgmlType.Q8_0, k);
    const W = quantize(GgmlType.Q8_0, gaussian(nRows * k, 5, 0.05));
    for (let b = 0; b < (nRows * k) / 32; b++) W[b * 34 + 2 + (b % 32)] = 0x80; // one -128 per block
    const xq = quantizeActs(GgmlType.Q8_0, gaussian(4 * k, 6, 1), 4);
    const Y = new Float32Array(4 * nRows);
    check(kernels.matmul(GgmlType.Q8_0, Impl.SIMD, W, rowBytes, k, xq, xq.length / 4, 4, Y, nRows, 0, nRows), "matmul");
    for (let t = 0; t < 4; t++) {
      for (let r = 0; r < nRows; r++) {
        const ref = vecDot(GgmlType.Q8_0, Impl.SCALAR, k, W.subarray(r * rowBytes, (r + 1) * rowBytes), xq.subarray((t * xq.length) / 4, ((t + 1) * xq.length) / 4));
        expect(Math.abs(Y[t * nRows + r]! - ref)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref)));
      }
    }
  });
});
