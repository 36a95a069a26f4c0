/**
 * External reference: tensors quantised by llama.cpp's own quantizer (slices of the demo model files
 * in tests/fixtures/tensors, made by make-fixtures.ts) against the F16 original.
 * - our dequantizer must reproduce the original within the type's expected error;
 * - our quantizer on the F16 data must be about as good as llama.cpp's (and for the deterministic
 *   reference algorithms, byte-identical on almost every block);
 * - SIMD and scalar dot products agree on real weights, and approximate the F16 dot.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TensorFixture } from "./make-fixtures.ts";
import {
  GgmlType, Impl, correlation, dequantize, ensureBuilt, gaussian, kernels, quantize, quantizeActs, relRmse, vecDot,
} from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

const dir = join(import.meta.dir, "..", "fixtures", "tensors");
const index: TensorFixture[] = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
const load = (f: TensorFixture) => new Uint8Array(readFileSync(join(dir, f.file)));

/** IEEE half -> float, written independently of the C kernels */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function original(tensor: string): Float32Array {
  const f = index.find((e) => e.model === "kjv-target-f16" && e.tensor === tensor)!;
  const bytes = load(f);
  const h = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  return Float32Array.from(h, halfToFloat);
}

/** upper bounds of the relative RMSE of llama.cpp's quantisation of these weights
 * (measured: Q8_0 0.48-0.54%, Q6_K 1.6-1.8%, Q5_K 3.6%, Q4_K 7.1%, Q4_0 8.6%) */
const MAX_REL_RMSE: Record<number, number> = {
  [GgmlType.Q8_0]: 0.008,
  [GgmlType.Q6_K]: 0.025,
  [GgmlType.Q5_K]: 0.05,
  [GgmlType.Q4_K]: 0.10,
  [GgmlType.Q4_0]: 0.12,
};

const TYPE_NAMES: Record<number, string> = { 2: "Q4_0", 8: "Q8_0", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K" };

beforeAll(() => ensureBuilt());

describe("against llama.cpp-quantised tensors", () => {
  const quantised = index.filter((e) => e.model !== "kjv-target-f16");
  test("fixtures are present and cover the demo files' types", () => {
    expect(quantised.length).toBeGreaterThanOrEqual(20);
    const types = new Set(quantised.map((e) => e.type));
    for (const t of [GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.Q5_K, GgmlType.Q4_K, GgmlType.Q4_0]) expect(types.has(t)).toBe(true);
  });

  for (const fx of quantised) {
    const label = `${fx.model} ${fx.tensor} (${TYPE_NAMES[fx.type] ?? fx.type})`;
    test(`${label}: dequantize ≈ F16 original; our quantizer as good as llama.cpp's`, () => {
      const n = fx.rows * fx.rowLength;
      const orig = original(fx.tensor);
      expect(orig.length).toBe(n);
      const theirs = load(fx);
      expect(kernels.rowSize(fx.type, fx.rowLength)).toBe(fx.rowBytes);

      const theirsDeq = dequantize(fx.type, theirs, n);
      const errTheirs = relRmse(orig, theirsDeq);
      expect(errTheirs).toBeLessThan(MAX_REL_RMSE[fx.type]!);
      expect(correlation(orig, theirsDeq)).toBeGreaterThan(0.99);

      const ours = quantize(fx.type, orig);
      expect(ours.length).toBe(theirs.length);
      const errOurs = relRmse(orig, dequantize(fx.type, ours, n));
      expect(errOurs).toBeLessThanOrEqual(errTheirs * 1.5);

      const bs = kernels.typeInfo(fx.type)!;
      let same = 0;
      const nBlocks = theirs.length / bs.typeSize;
      for (let b = 0; b < nBlocks; b++) {
        const o = b * bs.typeSize;
        let eq = true;
        for (let j = 0; j < bs.typeSize; j++) if (ours[o + j] !== theirs[o + j]) { eq = false; break; }
        if (eq) same++;
      }
      const identical = same / nBlocks;
      // ggml's quantize_row_*_ref are deterministic (these files were made without an importance
      // matrix); with the same algorithms and float evaluation order we reproduce their bytes
      expect(identical).toBeGreaterThanOrEqual(0.99);
      console.log(`${label}: rel RMSE llama.cpp ${(errTheirs * 100).toFixed(3)}%, ours ${(errOurs * 100).toFixed(3)}%, identical blocks ${(identical * 100).toFixed(2)}%`);
    });

    test(`${label}: matmul on real weights, SIMD = scalar ≈ F16`, () => {
      const k = fx.rowLength;
      const rows = fx.rows;
      const w = load(fx);
      const orig = original(fx.tensor);
      const x = gaussian(k, 77 + fx.type, 1.0);
      const xq = quantizeActs(fx.type, x);
      const ySimd = new Float32Array(rows), yScalar = new Float32Array(rows);
      expect(kernels.matmul(fx.type, Impl.SIMD, w, fx.rowBytes, k, xq, xq.length, 1, ySimd, rows, 0, rows)).toBe(0);
      expect(kernels.matmul(fx.type, Impl.SCALAR, w, fx.rowBytes, k, xq, xq.length, 1, yScalar, rows, 0, rows)).toBe(0);
      const yF16 = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        let s = 0, mag = 0;
        for (let i = 0; i < k; i++) {
          s += orig[r * k + i]! * x[i]!;
          mag += Math.abs(orig[r * k + i]! * x[i]!);
        }
        yF16[r] = s;
        expect(Math.abs(ySimd[r]! - yScalar[r]!)).toBeLessThanOrEqual(1e-5 * mag);
        // single-row check against vecDot on the same data
        expect(vecDot(fx.type, Impl.SIMD, k, w.subarray(r * fx.rowBytes, (r + 1) * fx.rowBytes), xq)).toBe(ySimd[r]!);
      }
      expect(relRmse(yF16, ySimd)).toBeLessThan(2 * MAX_REL_RMSE[fx.type]! + 0.01);
    });
  }
});
