/**
 * vec_dot kernels: SIMD against the scalar reference for every type on odd shapes, and the scalar
 * reference against a float dot of the dequantised operands (so both agree with the block format).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import {
  ALL_TYPES, GgmlType, Impl, dequantize, ensureBuilt, gaussian, kernels, quantize, quantizeActs, vecDot,
} from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

beforeAll(() => ensureBuilt());

function shapes(blockSize: number): number[] {
  const base = [blockSize, 3 * blockSize, 4096 + 256];
  if (blockSize === 1) base.push(1, 7, 33, 100, 1000);
  else base.push(2 * blockSize, 11 * blockSize);
  return base;
}

describe("vec_dot", () => {
  for (const { name, id } of ALL_TYPES) {
    test(`${name}: SIMD matches scalar and dequantised float dot`, () => {
      const info = kernels.typeInfo(id)!;
      expect(info).not.toBeNull();
      let seed = 1000 + id;
      for (const n of shapes(info.blockSize)) {
        for (let rep = 0; rep < 3; rep++) {
          const wf = gaussian(n, seed++, 0.05);
          const xf = gaussian(n, seed++, 1.0);
          const w = quantize(id, wf);
          const xq = quantizeActs(id, xf);
          const wd = dequantize(id, w, n);
          const xd = dequantize(info.vecDotType, xq, n);
          let ref = 0, mag = 0;
          for (let i = 0; i < n; i++) {
            ref += wd[i]! * xd[i]!;
            mag += Math.abs(wd[i]! * xd[i]!);
          }
          const scalar = vecDot(id, Impl.SCALAR, n, w, xq);
          const simd = vecDot(id, Impl.SIMD, n, w, xq);
          const tol = Math.max(mag, 1e-20);
          // Q8_1 stores s = d*sum(q) as fp16, so Q4_1/Q5_1 dots differ from the float dot by that rounding
          const floatTol = info.vecDotType === GgmlType.Q8_1 ? 2e-3 : 1e-4;
          if (Math.abs(simd - scalar) > 1e-5 * tol || Math.abs(scalar - ref) > floatTol * tol) {
            throw new Error(`${name} n=${n} rep=${rep}: simd=${simd} scalar=${scalar} float=${ref} (|wx| sum ${mag})`);
          }
        }
      }
    });
  }

  test("argument errors are reported, not aborted", () => {
    const out = new Float32Array(1);
    const buf = new Uint8Array(4096);
    expect(kernels.vecDot(GgmlType.Q4_K, Impl.SIMD, 100, buf, buf, out)).toBe(-2); // n not a multiple of 256
    expect(kernels.vecDot(GgmlType.Q4_0, Impl.SIMD, 0, buf, buf, out)).toBe(-2);
    expect(kernels.vecDot(4, Impl.SIMD, 32, buf, buf, out)).toBe(-1); // Q4_2 (removed type)
    expect(kernels.vecDot(99, Impl.SIMD, 32, buf, buf, out)).toBe(-1);
    expect(kernels.vecDot(GgmlType.Q8_0, Impl.SIMD, 32, null, buf, out)).toBe(-3);
    expect(kernels.typeInfo(5)).toBeNull();
    expect(kernels.rowSize(GgmlType.Q4_K, 4096)).toBe(16 * 144);
    expect(kernels.rowSize(GgmlType.Q6_K, 4096)).toBe(16 * 210);
    expect(kernels.rowSize(GgmlType.Q8_0, 100)).toBe(-2);
  });

  test("block geometry matches GGUF", () => {
    const expected: Record<number, [number, number, number]> = {
      [GgmlType.F32]: [1, 4, GgmlType.F32],
      [GgmlType.F16]: [1, 2, GgmlType.F16],
      [GgmlType.BF16]: [1, 2, GgmlType.BF16],
      [GgmlType.Q4_0]: [32, 18, GgmlType.Q8_0],
      [GgmlType.Q4_1]: [32, 20, GgmlType.Q8_1],
      [GgmlType.Q5_0]: [32, 22, GgmlType.Q8_0],
      [GgmlType.Q5_1]: [32, 24, GgmlType.Q8_1],
      [GgmlType.Q8_0]: [32, 34, GgmlType.Q8_0],
      [GgmlType.Q8_1]: [32, 36, GgmlType.Q8_1],
      [GgmlType.Q2_K]: [256, 84, GgmlType.Q8_K],
      [GgmlType.Q3_K]: [256, 110, GgmlType.Q8_K],
      [GgmlType.Q4_K]: [256, 144, GgmlType.Q8_K],
      [GgmlType.Q5_K]: [256, 176, GgmlType.Q8_K],
      [GgmlType.Q6_K]: [256, 210, GgmlType.Q8_K],
      [GgmlType.Q8_K]: [256, 292, GgmlType.Q8_K],
    };
    for (const [id, [bs, ts, vdt]] of Object.entries(expected)) {
      expect(kernels.typeInfo(Number(id))).toEqual({ blockSize: bs, typeSize: ts, vecDotType: vdt });
    }
  });
});
