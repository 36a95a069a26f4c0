/** Float ops of the kernel library against straightforward TypeScript references. */
import { beforeAll, describe, expect, test } from "bun:test";
import { RopeMode } from "../../ts/engine/cpu/kernels-ffi.ts";
import { GgmlType, check, dequantize, ensureBuilt, gaussian, kernels, quantize } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

beforeAll(() => ensureBuilt());

const f = Math.fround;

describe("ops", () => {
  test("rmsnorm (double sum, optional weight)", () => {
    const n = 512, rows = 3;
    const x = gaussian(n * rows, 1, 2);
    const w = gaussian(n, 2, 1);
    for (const weight of [w, null]) {
      const y = new Float32Array(n * rows);
      check(kernels.rmsnorm(x, weight, 1e-5, n, rows, y), "rmsnorm");
      for (let r = 0; r < rows; r++) {
        let ss = 0;
        for (let i = 0; i < n; i++) ss += x[r * n + i]! ** 2;
        const scale = 1 / Math.sqrt(ss / n + 1e-5);
        for (let i = 0; i < n; i++) {
          const want = x[r * n + i]! * scale * (weight ? weight[i]! : 1);
          expect(Math.abs(y[r * n + i]! - want)).toBeLessThanOrEqual(2e-6 * Math.abs(want) + 1e-7);
        }
      }
    }
    // in place
    const z = Float32Array.from(x);
    check(kernels.rmsnorm(z, w, 1e-5, n, rows, z), "rmsnorm in place");
    const y = new Float32Array(n * rows);
    check(kernels.rmsnorm(x, w, 1e-5, n, rows, y), "rmsnorm");
    expect(z).toEqual(y);
  });

  /** ggml's rope in float32 arithmetic: theta advances by repeated float products */
  function ropeRef(x: Float32Array, nHeads: number, headDim: number, pos: number[], mode: number, nDims: number,
                   base: number, freqFactors: Float32Array | null, freqScale = 1): Float32Array {
    const out = Float32Array.from(x);
    const thetaScale = f(Math.pow(base, -2 / nDims));
    for (let t = 0; t < pos.length; t++) {
      const cache: number[] = [];
      let theta = f(pos[t]!);
      for (let i0 = 0; i0 < nDims; i0 += 2) {
        const ff = freqFactors ? freqFactors[i0 / 2]! : 1;
        const th = f(freqScale * f(theta / ff));
        cache.push(f(Math.cos(th)), f(Math.sin(th)));
        theta = f(theta * thetaScale);
      }
      for (let h = 0; h < nHeads; h++) {
        const o = t * nHeads * headDim + h * headDim;
        for (let i = 0; i < nDims / 2; i++) {
          const [a, b] = mode === RopeMode.NORMAL ? [o + 2 * i, o + 2 * i + 1] : [o + i, o + i + nDims / 2];
          const c = cache[2 * i]!, s = cache[2 * i + 1]!;
          const x0 = x[a]!, x1 = x[b]!;
          out[a] = x0 * c - x1 * s;
          out[b] = x0 * s + x1 * c;
        }
      }
    }
    return out;
  }

  for (const mode of [RopeMode.NORMAL, RopeMode.NEOX]) {
    test(`rope ${mode === RopeMode.NORMAL ? "normal (adjacent pairs)" : "neox (halves)"}`, () => {
      const nHeads = 4, headDim = 64;
      const positions = [0, 1, 7, 100, 1023, 5000];
      const x = gaussian(positions.length * nHeads * headDim, 3 + mode, 1);
      for (const [nDims, ff, base, scale] of [
        [64, null, 10000, 1], [32, null, 1e6, 1], [64, gaussian(32, 5, 0.5).map((v) => 1 + Math.abs(v) * 8), 500000, 1], [64, null, 10000, 0.25],
      ] as [number, Float32Array | null, number, number][]) {
        const y = Float32Array.from(x);
        check(kernels.rope({ mode, nDims, freqBase: base, freqScale: scale, freqFactors: ff }, y, nHeads, headDim, Int32Array.from(positions)), "rope");
        const want = ropeRef(x, nHeads, headDim, positions, mode, nDims, base, ff, scale);
        for (let i = 0; i < y.length; i++) expect(Math.abs(y[i]! - want[i]!)).toBeLessThanOrEqual(1e-5);
        if (nDims < headDim && mode === RopeMode.NORMAL) expect(y[headDim - 1]).toBe(x[headDim - 1]!); // unrotated tail
      }
      // position 0 is the identity
      const one = x.slice(0, nHeads * headDim), y = Float32Array.from(one);
      check(kernels.rope({ mode, nDims: 64, freqBase: 10000 }, y, nHeads, headDim, new Int32Array([0])), "rope");
      expect(y).toEqual(one);
    });
  }

  test("rope argument checks", () => {
    const x = new Float32Array(64);
    expect(kernels.rope({ mode: 1, nDims: 64, freqBase: 10000 }, x, 1, 64, new Int32Array([1]))).toBe(-3);
    expect(kernels.rope({ mode: 0, nDims: 65, freqBase: 10000 }, x, 1, 64, new Int32Array([1]))).toBe(-3);
  });

  test("silu and swiglu", () => {
    const g = gaussian(1000, 9, 4), u = gaussian(1000, 10, 1);
    const s = new Float32Array(1000), y = new Float32Array(1000);
    check(kernels.silu(g, s), "silu");
    check(kernels.swiglu(g, u, y), "swiglu");
    for (let i = 0; i < 1000; i++) {
      const si = g[i]! / (1 + Math.exp(-g[i]!));
      expect(Math.abs(s[i]! - si)).toBeLessThanOrEqual(1e-6 * Math.abs(si) + 1e-7);
      expect(Math.abs(y[i]! - si * u[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(si * u[i]!) + 1e-7);
    }
  });

  test("argmax takes the first maximum", () => {
    const x = new Float32Array([1, 5, 3, 5, -1]);
    expect(kernels.argmax(x)).toBe(1);
    const big = gaussian(151936, 11, 1);
    let best = 0;
    for (let i = 1; i < big.length; i++) if (big[i]! > big[best]!) best = i;
    expect(kernels.argmax(big)).toBe(best);
  });

  test("top-k over a large vocabulary, ties by lower index", () => {
    const n = 256000;
    const x = gaussian(n, 12, 3);
    for (let i = 0; i < 50; i++) x[1000 + i * 997] = 42; // many ties at the top
    for (const k of [1, 5, 40, 256]) {
      const values = new Float32Array(k), indices = new Int32Array(k);
      expect(kernels.topk(x, k, values, indices)).toBe(k);
      const order = Array.from(x.keys()).sort((a, b) => x[b]! - x[a]! || a - b).slice(0, k);
      expect(Array.from(indices)).toEqual(order);
      expect(Array.from(values)).toEqual(order.map((i) => x[i]!));
    }
    const small = new Float32Array([3, 1, 2]), v = new Float32Array(8), ix = new Int32Array(8);
    expect(kernels.topk(small, 8, v, ix)).toBe(3);
    expect(Array.from(ix.subarray(0, 3))).toEqual([0, 2, 1]);
    expect(kernels.topk(small, 300, v, ix)).toBe(-3);
  });

  test("softmax (scaled, max-subtracted)", () => {
    const x = gaussian(4096, 13, 5);
    const y = Float32Array.from(x);
    const sum = kernels.softmax(y, 0.5);
    const m = Math.max(...Array.from(x, (v) => v * 0.5));
    let s = 0;
    for (const v of x) s += Math.exp(v * 0.5 - m);
    expect(Math.abs(sum - s) / s).toBeLessThan(1e-5);
    let total = 0;
    for (let i = 0; i < x.length; i++) {
      const want = Math.exp(x[i]! * 0.5 - m) / s;
      expect(Math.abs(y[i]! - want)).toBeLessThanOrEqual(1e-6 * want + 1e-12);
      total += y[i]!;
    }
    expect(Math.abs(total - 1)).toBeLessThan(1e-5);
  });

  test("get_rows dequantises embedding rows of any type", () => {
    const k = 512, nRows = 10;
    const table = gaussian(k * nRows, 14, 0.1);
    for (const type of [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K]) {
      const q = quantize(type, table);
      const rowBytes = q.length / nRows;
      const ids = new Int32Array([3, 0, 9, 3]);
      const out = new Float32Array(ids.length * k);
      check(kernels.getRows(type, q, rowBytes, k, nRows, ids, out), "getRows");
      const all = dequantize(type, q, k * nRows);
      for (let i = 0; i < ids.length; i++) expect(Array.from(out.subarray(i * k, (i + 1) * k))).toEqual(Array.from(all.subarray(ids[i]! * k, (ids[i]! + 1) * k)));
      expect(kernels.getRows(type, q, rowBytes, k, nRows, new Int32Array([10]), out)).toBe(-3);
    }
  });
});
