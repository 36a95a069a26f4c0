/**
 * bun:ffi binding of the CPU kernel library's debug entry points (Sources/IngotCPU/kernels_api.c).
 * Used by tests and throwaway measurements, not by the engine itself (the executor calls the kernels
 * natively). Every call returns 0 or a negative error code (see KernelError); none aborts.
 */
import { dlopen, type Pointer } from "bun:ffi";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** GGUF tensor type ids supported by the kernels. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  BF16: 30,
} as const;
export type GgmlTypeId = (typeof GgmlType)[keyof typeof GgmlType];

/** Error codes of the kernel entry points. */
export const KernelError = { OK: 0, UNSUPPORTED: -1, BAD_SIZE: -2, BAD_ARG: -3 } as const;

/** impl argument: the portable scalar reference, or the best SIMD kernel compiled in. */
export const Impl = { SCALAR: 0, SIMD: 1 } as const;

export const RopeMode = { NORMAL: 0, NEOX: 2 } as const;

const symbols = {
  ingot_k_simd: { args: [], returns: "i32" },
  ingot_k_type_info: { args: ["i32", "ptr", "ptr", "ptr"], returns: "i32" },
  ingot_k_row_size: { args: ["i32", "i64"], returns: "i64" },
  ingot_k_act_row_size: { args: ["i32", "i64"], returns: "i64" },
  ingot_k_dequantize: { args: ["i32", "ptr", "ptr", "i64"], returns: "i32" },
  ingot_k_quantize: { args: ["i32", "ptr", "ptr", "i64"], returns: "i32" },
  ingot_k_quantize_act: { args: ["i32", "i32", "ptr", "ptr", "i64"], returns: "i32" },
  ingot_k_vec_dot: { args: ["i32", "i32", "i32", "ptr", "ptr", "ptr"], returns: "i32" },
  ingot_k_matmul: {
    args: ["i32", "i32", "ptr", "i64", "i32", "ptr", "i64", "i32", "ptr", "i32", "i32", "i32"],
    returns: "i32",
  },
  ingot_k_quantize_activations: { args: ["i32", "ptr", "i32", "i32", "ptr", "i64"], returns: "i32" },
  ingot_k_get_rows: { args: ["i32", "ptr", "i64", "i32", "i64", "ptr", "i32", "ptr"], returns: "i32" },
  ingot_k_rmsnorm: { args: ["ptr", "ptr", "f32", "i32", "i32", "ptr"], returns: "i32" },
  ingot_k_rope: {
    args: ["i32", "i32", "f32", "f32", "f32", "ptr", "ptr", "i32", "i32", "ptr", "i32"],
    returns: "i32",
  },
  ingot_k_silu: { args: ["ptr", "ptr", "i32"], returns: "i32" },
  ingot_k_swiglu: { args: ["ptr", "ptr", "ptr", "i32"], returns: "i32" },
  ingot_k_argmax: { args: ["ptr", "i32"], returns: "i32" },
  ingot_k_topk: { args: ["ptr", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  ingot_k_softmax: { args: ["ptr", "i32", "f32"], returns: "f32" },
  ingot_k_f32_to_f16: { args: ["ptr", "ptr", "i64"], returns: "i32" },
} as const;

type Buf = NodeJS.TypedArray;
/** A typed array, or null to pass a null pointer (to test argument checks). */
type Arg = Buf | null;

const libName = process.platform === "darwin" ? "libingot_cpu.dylib" : "libingot_cpu.so";

/** Path of the built library (build it with `bun run build`). */
export function kernelLibraryPath(): string {
  return join(import.meta.dir, "..", "..", "..", "build", libName);
}

function open(path: string) {
  if (!existsSync(path)) throw new Error(`${path} not found: build the CPU engine with \`bun run build\``);
  return dlopen(path, symbols);
}

let lib: ReturnType<typeof open> | null = null;
function sym() {
  lib ??= open(kernelLibraryPath());
  return lib.symbols;
}

const p = (a: Arg): Pointer | null => (a === null ? null : (a as unknown as Pointer));

export interface TypeInfo {
  blockSize: number;
  typeSize: number;
  vecDotType: number;
}

/** The kernel library's bun:ffi surface. Typed arrays are passed as pointers for the call's duration. */
export const kernels = {
  /** 1 = AVX2, 2 = NEON, 0 = scalar only. */
  simd(): number {
    return sym().ingot_k_simd();
  },
  typeInfo(type: number): TypeInfo | null {
    const out = new Int32Array(3);
    const rc = sym().ingot_k_type_info(type, out.subarray(0, 1), out.subarray(1, 2), out.subarray(2, 3));
    return rc === 0 ? { blockSize: out[0]!, typeSize: out[1]!, vecDotType: out[2]! } : null;
  },
  /** Bytes of a row of n values, or a negative error code. */
  rowSize(type: number, n: number): number {
    return Number(sym().ingot_k_row_size(type, n));
  },
  /** Bytes of one activation row of length k for weights of this type. */
  actRowSize(weightType: number, k: number): number {
    return Number(sym().ingot_k_act_row_size(weightType, k));
  },
  dequantize(type: number, src: Arg, dst: Arg, n: number): number {
    return sym().ingot_k_dequantize(type, p(src), p(dst), n);
  },
  /** Reference quantizer (llama.cpp's quantize_row_*_ref). */
  quantize(type: number, src: Arg, dst: Arg, n: number): number {
    return sym().ingot_k_quantize(type, p(src), p(dst), n);
  },
  /** Activation quantizer of `type` itself (e.g. Q8_0/Q8_K/F16); impl SIMD = the one matmul uses. */
  quantizeAct(type: number, impl: number, src: Arg, dst: Arg, n: number): number {
    return sym().ingot_k_quantize_act(type, impl, p(src), p(dst), n);
  },
  /** out[0] = dot(w, xq) over n values; xq in the weight type's vec_dot_type. */
  vecDot(type: number, impl: number, n: number, w: Arg, xq: Arg, out: Float32Array | null): number {
    return sym().ingot_k_vec_dot(type, impl, n, p(w), p(xq), p(out));
  },
  matmul(
    type: number, impl: number, W: Arg, wRowBytes: number, k: number, xq: Arg, xqRowBytes: number,
    nTokens: number, Y: Float32Array | null, ldy: number, rowBegin: number, rowEnd: number,
  ): number {
    return sym().ingot_k_matmul(type, impl, p(W), wRowBytes, k, p(xq), xqRowBytes, nTokens, p(Y), ldy, rowBegin, rowEnd);
  },
  quantizeActivations(weightType: number, x: Float32Array, k: number, nTokens: number, xq: Arg, xqRowBytes: number): number {
    return sym().ingot_k_quantize_activations(weightType, x, k, nTokens, p(xq), xqRowBytes);
  },
  getRows(type: number, table: Arg, rowBytes: number, k: number, nRows: number, ids: Int32Array, out: Float32Array): number {
    return sym().ingot_k_get_rows(type, p(table), rowBytes, k, nRows, ids, ids.length, out);
  },
  rmsnorm(x: Float32Array, w: Float32Array | null, eps: number, n: number, nRows: number, y: Float32Array): number {
    return sym().ingot_k_rmsnorm(x, p(w), eps, n, nRows, y);
  },
  rope(
    opts: { mode: number; nDims: number; freqBase: number; freqScale?: number; attnFactor?: number; freqFactors?: Float32Array | null },
    x: Float32Array, nHeads: number, headDim: number, positions: Int32Array,
  ): number {
    return sym().ingot_k_rope(
      opts.mode, opts.nDims, opts.freqBase, opts.freqScale ?? 1, opts.attnFactor ?? 1, p(opts.freqFactors ?? null),
      x, nHeads, headDim, positions, positions.length,
    );
  },
  silu(x: Float32Array, y: Float32Array): number {
    return sym().ingot_k_silu(x, y, x.length);
  },
  swiglu(g: Float32Array, u: Float32Array, y: Float32Array): number {
    return sym().ingot_k_swiglu(g, u, y, g.length);
  },
  argmax(x: Float32Array): number {
    return sym().ingot_k_argmax(x, x.length);
  },
  /** Writes the k largest values (descending) and their indices; returns the count or an error. */
  topk(x: Float32Array, k: number, values: Float32Array, indices: Int32Array): number {
    return sym().ingot_k_topk(x, x.length, k, values, indices);
  },
  /** In-place softmax of x*scale; returns the sum of exponentials before normalisation. */
  softmax(x: Float32Array, scale = 1): number {
    return sym().ingot_k_softmax(x, x.length, scale);
  },
  f32ToF16(x: Float32Array, y: Uint16Array): number {
    return sym().ingot_k_f32_to_f16(x, y, x.length);
  },
};
