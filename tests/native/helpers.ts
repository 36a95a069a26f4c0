/** Shared helpers of the kernel tests: seeded random data and small numeric utilities. */
import { buildNative } from "../../scripts/build-native.ts";
import { GgmlType, Impl, kernels } from "../../ts/engine/cpu/kernels-ffi.ts";
import { Rng } from "../../ts/sampling/rng.ts";

export { GgmlType, Impl, kernels };

/** Builds the native library once per test process (no-op when up to date). */
export function ensureBuilt(): void {
  buildNative();
}

/** Seeded floats in [0, 1) from the project's PRNG, so failures reproduce from the seed. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/** n normally distributed values (Box-Muller) scaled by sigma, with occasional outliers like real weights. */
export function gaussian(n: number, seed: number, sigma = 1, outliers = 0.002): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    let g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * sigma;
    if (r() < outliers) g *= 6;
    out[i] = g;
  }
  return out;
}

export const ALL_TYPES: { name: string; id: number }[] = [
  { name: "F32", id: GgmlType.F32 },
  { name: "F16", id: GgmlType.F16 },
  { name: "BF16", id: GgmlType.BF16 },
  { name: "Q4_0", id: GgmlType.Q4_0 },
  { name: "Q4_1", id: GgmlType.Q4_1 },
  { name: "Q5_0", id: GgmlType.Q5_0 },
  { name: "Q5_1", id: GgmlType.Q5_1 },
  { name: "Q8_0", id: GgmlType.Q8_0 },
  { name: "Q8_1", id: GgmlType.Q8_1 },
  { name: "Q2_K", id: GgmlType.Q2_K },
  { name: "Q3_K", id: GgmlType.Q3_K },
  { name: "Q4_K", id: GgmlType.Q4_K },
  { name: "Q5_K", id: GgmlType.Q5_K },
  { name: "Q6_K", id: GgmlType.Q6_K },
  { name: "Q8_K", id: GgmlType.Q8_K },
];

export function check(rc: number, what: string): void {
  if (rc !== 0) throw new Error(`${what} failed with code ${rc}`);
}

/** Quantizes n floats to `type` with the reference quantizer. */
export function quantize(type: number, x: Float32Array): Uint8Array {
  const size = kernels.rowSize(type, x.length);
  if (size < 0) throw new Error(`row size of type ${type} for n=${x.length}: ${size}`);
  const out = new Uint8Array(size);
  check(kernels.quantize(type, x, out, x.length), `quantize type ${type}`);
  return out;
}

export function dequantize(type: number, q: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  check(kernels.dequantize(type, q, out, n), `dequantize type ${type}`);
  return out;
}

/** Quantizes activations for a dot product with weights of `weightType`. */
export function quantizeActs(weightType: number, x: Float32Array, nTokens = 1): Uint8Array {
  const k = x.length / nTokens;
  const rowBytes = kernels.actRowSize(weightType, k);
  const out = new Uint8Array(rowBytes * nTokens);
  check(kernels.quantizeActivations(weightType, x, k, nTokens, out, rowBytes), "quantizeActivations");
  return out;
}

export function vecDot(type: number, impl: number, n: number, w: Uint8Array, xq: Uint8Array): number {
  const out = new Float32Array(1);
  check(kernels.vecDot(type, impl, n, w, xq, out), `vecDot type ${type}`);
  return out[0]!;
}

/** Root mean square error of b against a, relative to the RMS of a. */
export function relRmse(a: Float32Array, b: Float32Array): number {
  let se = 0, ss = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    se += d * d;
    ss += a[i]! * a[i]!;
  }
  return Math.sqrt(se / Math.max(ss, 1e-30));
}

export function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}
