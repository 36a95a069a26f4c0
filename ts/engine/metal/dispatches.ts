/**
 * One builder per kernel family: the kernel name, its argument struct, its bindings in the order the
 * shader declares them, and its grid. Used by the lowering (graph -> program) and by the per-kernel
 * tests, so the geometry of a kernel is written down exactly once.
 */
import { IngotError } from "../../errors.ts";
import { Storage } from "./abi.ts";
import type { Binding, Dispatch, MetalBuffer, MetalDevice } from "./device.ts";
import {
  AttnArgs, AttnReduceArgs, EltArgs, encodeArgs, GetRowsArgs, K, MmArgs, MvArgs, NormArgs, RopeKvArgs, SelectArgs,
} from "./kargs.ts";
import { weightKernel, weightKernels } from "./kernel-table.ts";

/** A dispatch before its argument struct has a place in an argument buffer. */
export interface KernelCall extends Omit<Dispatch, "bindings"> {
  args: Uint8Array;
  /** Bindings [[buffer(1)]] onwards ([[buffer(0)]] is always the argument struct). */
  buffers: (Binding | null)[];
}

export interface Where {
  label: string;
  layer: number | null;
}

const ceil = (a: number, b: number) => Math.ceil(a / b);
export const ARG_ALIGN = 256;

/** Places every call's arguments in one SHARED buffer (256-byte aligned offsets) and returns dispatches. */
export function materialize(device: MetalDevice, calls: readonly KernelCall[]): { dispatches: Dispatch[]; args: MetalBuffer } {
  const args = device.buffer(Math.max(ARG_ALIGN, calls.length * ARG_ALIGN), Storage.SHARED);
  const dispatches = calls.map((c, i) => {
    if (c.args.byteLength > ARG_ALIGN) throw new Error(`${c.label}: argument struct of ${c.args.byteLength} bytes`);
    args.write(i * ARG_ALIGN, c.args);
    const { args: _bytes, buffers, ...rest } = c;
    return { ...rest, bindings: [{ buffer: args, offset: i * ARG_ALIGN }, ...buffers] };
  });
  return { dispatches, args };
}

/** Checks that a weight matrix can run through the templated kernels (k a multiple of its block and of 16). */
export function checkWeightShape(type: number, k: number, tensor: string): void {
  const w = weightKernels(type);
  if (!w) weightKernel("mul_mv", type, `tensor '${tensor}'`);
  if (k % w!.block !== 0 || k % K.CHUNK !== 0) {
    throw new IngotError("MODEL_UNSUPPORTED", `tensor '${tensor}': rows of ${k} values are not a multiple of ${Math.max(w!.block, K.CHUNK)}, which the Metal kernels need`);
  }
}

export function getRows(p: Where & { type: number; table: Binding; dim: number; vocab: number; y: Binding; yStride: number; step: Binding; cap: number; rowCapacity: number }): KernelCall {
  return {
    kernel: weightKernel("get_rows", p.type), label: p.label, layer: p.layer,
    args: encodeArgs(GetRowsArgs, { dim: p.dim, y_stride: p.yStride, cap: p.cap, vocab: p.vocab }),
    buffers: [p.step, p.table, p.y], grid: [p.rowCapacity, 1, 1], threads: [K.TOKEN_THREADS, 1, 1],
  };
}

export interface MvMatrix {
  w: Binding;
  n: number;
  y: Binding;
  bias: Binding | null;
  residual: boolean;
}

/** One input row (x[0], or x[output_rows[0]] with gather) times up to three matrices: see shaders/mul_mv.h. */
export function mulMv(p: Where & {
  type: number; k: number; x: Binding; xStride: number; cap: number; step: Binding;
  gather: boolean; norm: { weight: Binding; eps: number } | null; mats: MvMatrix[]; pair: boolean;
}): KernelCall {
  const m = p.mats;
  if (m.length < 1 || m.length > K.MV_MAX_MATRICES || (p.pair && m.length !== 2)) throw new Error(`${p.label}: ${m.length} matrices`);
  const at = (i: number) => m[i] ?? null;
  const rowsPerGroup = K.MV_SIMDGROUPS * K.MV_ROWS;
  return {
    kernel: weightKernel("mul_mv", p.type), label: p.label, layer: p.layer,
    args: encodeArgs(MvArgs, {
      k: p.k, x_stride: p.xStride, cap: p.cap, gather: +p.gather, norm: p.norm ? 1 : 0, eps: p.norm?.eps ?? 0,
      pair: +p.pair, n_mat: m.length, n: m.map((x) => x.n),
      bias: m.map((x) => +(x.bias !== null)), residual: m.map((x) => +x.residual),
    }),
    buffers: [
      p.step, p.x, p.norm?.weight ?? null, at(0)?.w ?? null, at(1)?.w ?? null, at(2)?.w ?? null,
      at(0)?.bias ?? null, at(1)?.bias ?? null, at(2)?.bias ?? null, at(0)?.y ?? null, at(1)?.y ?? null, at(2)?.y ?? null,
    ],
    grid: [ceil(Math.max(...m.map((x) => x.n)), rowsPerGroup), p.pair ? 1 : m.length, 1],
    threads: [K.MV_SIMDGROUPS * K.SIMD_WIDTH, 1, 1],
  };
}

export function mulMm(p: Where & {
  type: number; k: number; n: number; x: Binding; xStride: number; w: Binding; bias: Binding | null;
  y: Binding; yStride: number; residual: boolean; rows: number; cap: number; rowCapacity: number; step: Binding;
}): KernelCall {
  return {
    kernel: weightKernel("mul_mm", p.type), label: p.label, layer: p.layer,
    args: encodeArgs(MmArgs, {
      k: p.k, n: p.n, x_stride: p.xStride, y_stride: p.yStride, rows: p.rows, cap: p.cap, bias: +(p.bias !== null), residual: +p.residual,
    }),
    buffers: [p.step, p.x, p.w, p.bias, p.y],
    grid: [ceil(p.n, K.MM_TILE_ROWS), ceil(p.rowCapacity, K.MM_TILE_TOKENS), 1],
    threads: [K.MM_SIMDGROUPS * K.SIMD_WIDTH, 1, 1],
  };
}

export function rmsnorm(p: Where & {
  dim: number; x: Binding; xStride: number; weight: Binding; y: Binding; yStride: number; eps: number;
  rows: number; cap: number; rowCapacity: number; gather: boolean; step: Binding;
}): KernelCall {
  return {
    kernel: "rmsnorm", label: p.label, layer: p.layer,
    args: encodeArgs(NormArgs, { dim: p.dim, x_stride: p.xStride, y_stride: p.yStride, rows: p.rows, cap: p.cap, gather: +p.gather, eps: p.eps }),
    buffers: [p.step, p.x, p.weight, p.y], grid: [p.rowCapacity, 1, 1], threads: [K.REDUCE_THREADS, 1, 1],
  };
}

export interface RopeTarget {
  x: Binding;
  stride: number;
  heads: number;
}

export function ropeKv(p: Where & {
  cap: number; rowCapacity: number; step: Binding; headDim: number; ropeDims: number; mode: number; freqBase: number; freqScale: number;
  factors: Binding | null; q: RopeTarget | null; k: RopeTarget | null;
  store: { k: Binding | null; v: Binding | null; kCache: Binding | null; vCache: Binding | null; kStride: number; vStride: number; kvDim: number; ctx: number };
}): KernelCall {
  const s = p.store;
  return {
    kernel: "rope_kv", label: p.label, layer: p.layer,
    args: encodeArgs(RopeKvArgs, {
      cap: p.cap, head_dim: p.headDim, rope_dims: p.ropeDims, mode: p.mode, freq_base: p.freqBase, freq_scale: p.freqScale,
      has_factors: +(p.factors !== null), rope_q: +(p.q !== null), q_stride: p.q?.stride ?? 0, q_heads: p.q?.heads ?? 0,
      rope_k: +(p.k !== null), k_stride: p.k?.stride ?? s.kStride, k_heads: p.k?.heads ?? 0,
      store_k: +(s.kCache !== null), store_v: +(s.vCache !== null), v_stride: s.vStride, kv_dim: s.kvDim, ctx: s.ctx,
    }),
    buffers: [p.step, p.q?.x ?? null, p.k?.x ?? s.k, s.v, s.kCache, s.vCache, p.factors],
    grid: [p.rowCapacity, 1, 1], threads: [K.TOKEN_THREADS, 1, 1],
  };
}

/** The largest divisor of heads/kvHeads not above ATTN_MAX_GROUP: query heads per threadgroup. */
export function headsPerGroup(heads: number, kvHeads: number): number {
  const share = heads / kvHeads;
  for (let g = Math.min(share, K.ATTN_MAX_GROUP); g >= 1; g--) if (share % g === 0) return g;
  return 1;
}

/** attn_split, plus attn_reduce when the context spans more than one split. */
export function attention(p: Where & {
  cap: number; rowCapacity: number; step: Binding; heads: number; kvHeads: number; headDim: number; ctx: number;
  q: Binding; qStride: number; kCache: Binding; vCache: Binding; out: Binding; outStride: number;
  partial: Binding | null; ml: Binding | null;
}): KernelCall[] {
  if (p.headDim > K.ATTN_MAX_HEAD_DIM) throw new IngotError("MODEL_UNSUPPORTED", `head dimension ${p.headDim} exceeds the Metal attention kernel's ${K.ATTN_MAX_HEAD_DIM}`);
  const splits = ceil(p.ctx, K.ATTN_SPLIT);
  const direct = splits === 1;
  if (!direct && (!p.partial || !p.ml)) throw new Error("attention over several splits needs partial buffers");
  const group = headsPerGroup(p.heads, p.kvHeads);
  const split: KernelCall = {
    kernel: "attn_split", label: p.label, layer: p.layer,
    args: encodeArgs(AttnArgs, {
      cap: p.cap, heads: p.heads, kv_heads: p.kvHeads, head_dim: p.headDim, group, q_stride: p.qStride,
      out_stride: p.outStride, ctx: p.ctx, scale: 1 / Math.sqrt(p.headDim), direct: +direct,
    }),
    buffers: [p.step, p.q, p.kCache, p.vCache, direct ? p.out : p.partial, direct ? null : p.ml],
    grid: [p.heads / group, p.rowCapacity, splits], threads: [K.SIMD_WIDTH, 1, 1],
  };
  if (direct) return [split];
  return [split, {
    kernel: "attn_reduce", label: `${p.label} (reduce)`, layer: p.layer,
    args: encodeArgs(AttnReduceArgs, { cap: p.cap, heads: p.heads, head_dim: p.headDim, out_stride: p.outStride }),
    buffers: [p.step, p.partial, p.ml, p.out], grid: [p.heads, p.rowCapacity, 1], threads: [K.SIMD_WIDTH, 1, 1],
  }];
}

/** Bytes of the split partials attention needs for `cap` tokens (0 when one split covers ctx). */
export function attentionScratch(cap: number, heads: number, headDim: number, ctx: number): { partial: number; ml: number } {
  const splits = ceil(ctx, K.ATTN_SPLIT);
  if (splits === 1) return { partial: 0, ml: 0 };
  return { partial: 4 * splits * cap * heads * headDim, ml: 4 * splits * cap * heads * 2 };
}

function elementwise(kernel: "swiglu" | "add", p: Where & {
  dim: number; a: Binding; b: Binding; y: Binding; stride: number; bStride: number; rows: number; cap: number; rowCapacity: number; step: Binding;
}): KernelCall {
  return {
    kernel, label: p.label, layer: p.layer,
    args: encodeArgs(EltArgs, { dim: p.dim, stride: p.stride, b_stride: p.bStride, rows: p.rows, cap: p.cap }),
    buffers: [p.step, p.a, p.b, p.y], grid: [ceil(p.dim, K.ELEMENTWISE_THREADS), p.rowCapacity, 1], threads: [K.ELEMENTWISE_THREADS, 1, 1],
  };
}

export const swiglu = (p: Parameters<typeof elementwise>[1]) => elementwise("swiglu", p);
export const add = (p: Parameters<typeof elementwise>[1]) => elementwise("add", p);

export function gather(p: Where & { dim: number; x: Binding; xStride: number; y: Binding; yStride: number; cap: number; outputCapacity: number; step: Binding }): KernelCall {
  return {
    kernel: "gather", label: p.label, layer: p.layer,
    args: encodeArgs(EltArgs, { dim: p.dim, stride: p.yStride, b_stride: p.xStride, rows: K.ROWS_OUTPUTS, cap: p.cap }),
    buffers: [p.step, p.x, p.y], grid: [ceil(p.dim, K.ELEMENTWISE_THREADS), p.outputCapacity, 1], threads: [K.ELEMENTWISE_THREADS, 1, 1],
  };
}

export function argmax(p: Where & { dim: number; x: Binding; stride: number; ids: Binding; rows: number; cap: number; rowCapacity: number; step: Binding }): KernelCall {
  return {
    kernel: "argmax", label: p.label, layer: p.layer,
    args: encodeArgs(SelectArgs, { dim: p.dim, stride: p.stride, rows: p.rows, cap: p.cap, k: 1 }),
    buffers: [p.step, p.x, p.ids], grid: [p.rowCapacity, 1, 1], threads: [K.REDUCE_THREADS, 1, 1],
  };
}

export function topk(p: Where & { dim: number; x: Binding; stride: number; k: number; values: Binding; ids: Binding; rows: number; cap: number; rowCapacity: number; step: Binding }): KernelCall {
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > K.TOPK_MAX || p.k > p.dim) throw new IngotError("BAD_ARGUMENT", `top-k on the device takes k in 1..${Math.min(K.TOPK_MAX, p.dim)}, got ${p.k}`);
  return {
    kernel: "topk", label: p.label, layer: p.layer,
    args: encodeArgs(SelectArgs, { dim: p.dim, stride: p.stride, rows: p.rows, cap: p.cap, k: p.k }),
    buffers: [p.step, p.x, p.values, p.ids], grid: [p.rowCapacity, 1, 1], threads: [K.SIMD_WIDTH, 1, 1],
  };
}
