/**
 * Blocked matmul (row ranges × token batches) against per-element vec_dot, for every type;
 * activation quantisation of token batches; quantize -> dequantize error bounds per type.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import {
  ALL_TYPES, GgmlType, Impl, check, dequantize, ensureBuilt, gaussian, kernels, quantize, quantizeActs, relRmse, vecDot,
} from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

beforeAll(() => ensureBuilt());

describe("matmul", () => {
  for (const { name, id } of ALL_TYPES) {
    test(`${name}: blocked matmul equals vec_dot per element`, () => {
      const info = kernels.typeInfo(id)!;
      const k = info.blockSize === 1 ? 96 : info.blockSize === 32 ? 160 : 512;
      const rowBytes = kernels.rowSize(id, k);
      for (const nRows of [7, 33]) {
        const W = quantize(id, gaussian(nRows * k, 9 + id + nRows, 0.05));
        for (const nTokens of [1, 2, 5, 17, 64]) {
          const x = gaussian(nTokens * k, 31 * nTokens + id, 1.0);
          const xq = quantizeActs(id, x, nTokens);
          const xqRow = xq.length / nTokens;
          // per-token quantisation equals quantising the token alone
          if (nTokens > 1) expect(xq.subarray(xqRow, 2 * xqRow)).toEqual(quantizeActs(id, x.subarray(k, 2 * k)));
          const ldy = nRows + 3;
          for (const impl of [Impl.SIMD, Impl.SCALAR]) {
            const Y = new Float32Array(nTokens * ldy).fill(NaN);
            const r0 = nRows > 10 ? 3 : 0, r1 = nRows > 10 ? nRows - 2 : nRows;
            check(kernels.matmul(id, impl, W, rowBytes, k, xq, xqRow, nTokens, Y, ldy, r0, r1), "matmul");
            for (let t = 0; t < nTokens; t++) {
              for (let r = 0; r < ldy; r++) {
                const got = Y[t * ldy + r]!;
                if (r < r0 || r >= r1) {
                  expect(Number.isNaN(got)).toBe(true); // outside the row range: untouched
                  continue;
                }
                const want = vecDot(id, impl, k, W.subarray(r * rowBytes, (r + 1) * rowBytes), xq.subarray(t * xqRow, (t + 1) * xqRow));
                if (got !== want) throw new Error(`${name} rows=${nRows} tokens=${nTokens} impl=${impl} t=${t} r=${r}: ${got} != ${want}`);
              }
            }
          }
        }
      }
    });
  }

  test("argument errors", () => {
    const b = new Uint8Array(1 << 16);
    const y = new Float32Array(64);
    expect(kernels.matmul(GgmlType.Q4_K, Impl.SIMD, b, 144, 100, b, 292, 1, y, 8, 0, 4)).toBe(-2);
    expect(kernels.matmul(GgmlType.Q4_K, Impl.SIMD, b, 144, 256, b, 292, 1, y, 8, 4, 2)).toBe(-3);
    expect(kernels.matmul(GgmlType.Q4_K, Impl.SIMD, b, 100, 256, b, 292, 1, y, 8, 0, 4)).toBe(-3); // row stride too small
    expect(kernels.matmul(GgmlType.Q4_K, Impl.SIMD, null, 144, 256, b, 292, 1, y, 8, 0, 4)).toBe(-3);
    expect(kernels.matmul(17, Impl.SIMD, b, 144, 256, b, 292, 1, y, 8, 0, 4)).toBe(-1);
    expect(kernels.quantizeActivations(GgmlType.Q4_K, new Float32Array(100), 100, 1, b, 292)).toBe(-2);
  });
});

describe("activation quantizers", () => {
  test("Q8_K SIMD is bit-identical to the reference", () => {
    for (let s = 0; s < 20; s++) {
      const n = 256 * (1 + (s % 5));
      const x = gaussian(n, 500 + s, s % 3 === 0 ? 1e-3 : 3);
      if (s === 7) x.fill(0, 0, 256); // an all-zero block
      if (s === 8) { x[5] = 10; x[9] = -10; } // equal magnitudes of opposite sign: the first wins
      const a = new Uint8Array(kernels.rowSize(GgmlType.Q8_K, n)), b = new Uint8Array(a.length);
      check(kernels.quantizeAct(GgmlType.Q8_K, Impl.SIMD, x, a, n), "q8_K simd");
      check(kernels.quantizeAct(GgmlType.Q8_K, Impl.SCALAR, x, b, n), "q8_K ref");
      expect(a).toEqual(b);
    }
  });

  test("Q8_0/Q8_1 fast path (ggml's x86 rounding) agrees with the reference on nearly every value", () => {
    for (const type of [GgmlType.Q8_0, GgmlType.Q8_1]) {
      const n = 4096;
      const x = gaussian(n, 42 + type, 1);
      const a = new Uint8Array(kernels.rowSize(type, n)), b = new Uint8Array(a.length);
      check(kernels.quantizeAct(type, Impl.SIMD, x, a, n), "fast");
      check(kernels.quantizeAct(type, Impl.SCALAR, x, b, n), "ref");
      let diff = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff++;
      expect(diff / a.length).toBeLessThan(0.01);
      const da = dequantize(type, a, n), db = dequantize(type, b, n);
      for (let i = 0; i < n; i++) expect(Math.abs(da[i]! - db[i]!)).toBeLessThanOrEqual(Math.abs(x[i]!) * 0.02 + 0.02);
    }
  });

  test("F16 activations round to nearest even like F16C", () => {
    const x = new Float32Array([0, -0, 1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, 1e-8, 6e-8, -3.14159, 2 ** -24, 2 ** -25]);
    const y = new Uint16Array(x.length);
    check(kernels.f32ToF16(x, y), "f32ToF16");
    expect(Array.from(y)).toEqual([0x0000, 0x8000, 0x3c00, 0x3c00, 0x3c02, 0x7bff, 0x7c00, 0x0000, 0x0001, 0xc248, 0x0001, 0x0000]);
  });
});

describe("quantize -> dequantize error", () => {
  // relative RMSE bounds on Gaussian data with rare 6-sigma outliers (harder than real weights: see
  // kernels-llamacpp.test.ts for those); measured values are ~0.75-0.9x of these
  const bounds: Record<string, number> = {
    F32: 0, F16: 0.0005, BF16: 0.004, Q8_0: 0.008, Q8_1: 0.008, Q8_K: 0.013,
    Q6_K: 0.025, Q5_0: 0.055, Q5_1: 0.048, Q5_K: 0.045, Q4_0: 0.12, Q4_1: 0.1, Q4_K: 0.09, Q3_K: 0.19, Q2_K: 0.35,
  };
  for (const { name, id } of ALL_TYPES) {
    test(`${name} within ${bounds[name]! * 100}%`, () => {
      const n = 256 * 64;
      const x = gaussian(n, 7 + id, 0.02);
      const err = relRmse(x, dequantize(id, quantize(id, x), n));
      expect(err).toBeLessThanOrEqual(bounds[name]!);
    });
  }

  test("zero and constant rows survive", () => {
    for (const { id } of ALL_TYPES) {
      const n = 512;
      for (const v of [0, 0.25]) {
        const x = new Float32Array(n).fill(v);
        const d = dequantize(id, quantize(id, x), n);
        for (let i = 0; i < n; i++) expect(Math.abs(d[i]! - v)).toBeLessThanOrEqual(0.01);
      }
    }
  });
});
