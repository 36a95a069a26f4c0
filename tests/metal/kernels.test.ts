/**
 * Every Metal kernel, run by the MSL emulator from the real shaders, against the CPU engine's
 * kernels (its dequantiser, norm, rope, swiglu, argmax, top-k) or against direct float64
 * references — on odd shapes (row counts not a multiple of any tile, several tokens) and real ones.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RopeMode } from "../../ts/engine/cpu/kernels-ffi.ts";
import type { MetalDevice } from "../../ts/engine/metal/device.ts";
import * as kc from "../../ts/engine/metal/dispatches.ts";
import { K } from "../../ts/engine/metal/kargs.ts";
import { WEIGHT_KERNELS } from "../../ts/engine/metal/kernel-table.ts";
import { check, dequantize, ensureBuilt, gaussian, kernels, quantize } from "../native/helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";
import { emuDevice, maxRelError, readF32, readI32, runCalls, stepBuffer, upload, zeros } from "./helpers.ts";

// Builds the emulator on first use: bun resets the preload's timeout per file.
useModelTestTimeout();

let dev: MetalDevice;
beforeAll(async () => {
  ensureBuilt();
  dev = await emuDevice();
});
afterAll(() => dev?.close());

const where = { label: "test", layer: null };

/** y[t][r] = sum_i w[r][i] x[t][i] in float64. */
function matmulRef(w: Float32Array, x: Float32Array, n: number, k: number, tokens: number): Float64Array {
  const y = new Float64Array(tokens * n);
  for (let t = 0; t < tokens; t++)
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += w[r * k + i]! * x[t * k + i]!;
      y[t * n + r] = s;
    }
  return y;
}

describe("weight kernels, every type", () => {
  // 37 rows: not a multiple of the 8 rows of a mul_mv threadgroup nor of the 32 of a mul_mm tile.
  const n = 37;
  for (const w of WEIGHT_KERNELS) {
    const k = w.block === 256 ? 512 : 96;
    test(`${w.suffix}: get_rows equals the CPU dequantiser exactly; mul_mv and mul_mm match float64`, () => {
      const q = quantize(w.type, gaussian(n * k, 11 + w.type));
      const wd = dequantize(w.type, q, n * k);
      const table = upload(dev, q);

      const ids = [5, 36, 0];
      const rows = zeros(dev, 4 * k * ids.length);
      runCalls(dev, [kc.getRows({ ...where, type: w.type, table, dim: k, vocab: n, y: rows, yStride: k, step: stepBuffer(dev, 4, { nTokens: 3, tokens: ids }), cap: 4, rowCapacity: 4 })]);
      const got = readF32(rows, k * ids.length);
      ids.forEach((id, i) => expect(got.subarray(i * k, (i + 1) * k)).toEqual(wd.subarray(id * k, (id + 1) * k)));

      // mul_mv: one row (decode).
      const x1 = gaussian(k, 5);
      const y1 = zeros(dev, 4 * n);
      runCalls(dev, [kc.mulMv({
        ...where, type: w.type, k, x: upload(dev, x1), xStride: k, cap: 1, step: stepBuffer(dev, 1, { nTokens: 1 }), gather: false, norm: null, pair: false,
        mats: [{ w: table, n, y: y1, bias: null, residual: false }],
      })]);
      expect(maxRelError(matmulRef(wd, x1, n, k, 1), readF32(y1, n))).toBeLessThan(2e-6);

      // mul_mm: a verification batch (5 tokens, grid for 8: one partly filled tile), and a prefill
      // of 41 tokens (two token tiles, the second mostly empty).
      for (const [tokens, cap] of [[5, 8], [41, 64]] as const) {
        const x = gaussian(tokens * k, 77 + tokens);
        const y = zeros(dev, 4 * n * tokens);
        runCalls(dev, [kc.mulMm({
          ...where, type: w.type, k, n, x: upload(dev, x), xStride: k, w: table, bias: null, y, yStride: n, residual: false,
          rows: K.ROWS_TOKENS, cap, rowCapacity: cap, step: stepBuffer(dev, cap, { nTokens: tokens }),
        })]);
        expect(maxRelError(matmulRef(wd, x, n, k, tokens), readF32(y, n * tokens))).toBeLessThan(2e-6);
      }
    });
  }
});

describe("mul_mm on a verification batch", () => {
  test("bias and residual epilogues; rows past the step's count are neither read nor written", async () => {
    // The byte-counting build: which bytes of each buffer the dispatch loaded and stored.
    const prof = await emuDevice(true);
    try {
      const type = WEIGHT_KERNELS.find((w) => w.suffix === "q4_K")!.type;
      const k = 256, n = 40, cap = 8, tokens = 5;
      const q = quantize(type, gaussian(n * k, 54));
      const x = gaussian(cap * k, 55); // the slot holds cap rows; the step uses the first 5
      const bias = gaussian(n, 56), resid = gaussian(cap * n, 57);
      const xb = upload(prof, x), yb = upload(prof, resid);
      const { dispatches, args } = kc.materialize(prof, [kc.mulMm({
        ...where, type, k, n, x: xb, xStride: k, w: upload(prof, q), bias: upload(prof, bias), y: yb, yStride: n, residual: true,
        rows: K.ROWS_TOKENS, cap, rowCapacity: cap, step: stepBuffer(prof, cap, { nTokens: tokens }),
      })]);
      const program = prof.program(dispatches);
      program.setProfiling(true);
      program.run();
      const stats = program.stats().filter((s) => s.dispatch === 0 && s.buffer);
      program.free();
      args.free();
      const of = (b: { buffer: unknown }) => stats.find((s) => s.buffer === b.buffer)!;
      expect(of(xb).bytesUnique).toBe(4 * tokens * k);
      expect(of(yb).bytesUnique).toBe(4 * tokens * n); // the residual read
      expect(of(yb).bytesStored).toBe(4 * tokens * n);
      const got = readF32(yb, cap * n);
      const ref = matmulRef(dequantize(type, q, n * k), x.subarray(0, tokens * k), n, k, tokens).map((v, i) => v + bias[i % n]! + resid[i]!);
      expect(maxRelError(ref, got.subarray(0, tokens * n))).toBeLessThan(1e-5);
      expect(got.subarray(tokens * n)).toEqual(resid.subarray(tokens * n));
    } finally {
      prof.close();
    }
  });
});

describe("mul_mv fusions", () => {
  const k = 256, type = WEIGHT_KERNELS.find((w) => w.suffix === "q4_K")!.type;
  const eps = 1e-5;
  const rmsRows = (x: Float32Array, nw: Float32Array, rows: number) => {
    const out = new Float32Array(rows * k);
    check(kernels.rmsnorm(x, nw, eps, k, rows, out), "cpu rmsnorm");
    return out;
  };

  test("norm + gather prologue (the output projection of a prefill), bias, three matrices of different heights", () => {
    const heights = [24, 8, 13];
    const qs = heights.map((h, i) => quantize(type, gaussian(h * k, 30 + i)));
    const wd = qs.map((q, i) => dequantize(type, q, heights[i]! * k));
    const x = gaussian(5 * k, 3, 2), nw = gaussian(k, 4), biases = heights.map((h, i) => gaussian(h, 40 + i));
    const normed = rmsRows(x.slice(3 * k, 4 * k), nw, 1);
    const ys = heights.map((h) => zeros(dev, 4 * h));
    runCalls(dev, [kc.mulMv({
      ...where, type, k, x: upload(dev, x), xStride: k, cap: 8, gather: true, pair: false,
      step: stepBuffer(dev, 8, { nTokens: 5, nOutputs: 1, outputRows: [3] }), norm: { weight: upload(dev, nw), eps },
      mats: heights.map((h, i) => ({ w: upload(dev, qs[i]!), n: h, y: ys[i]!, bias: upload(dev, biases[i]!), residual: false })),
    })]);
    heights.forEach((h, i) => {
      const ref = matmulRef(wd[i]!, normed, h, k, 1).map((v, j) => v + biases[i]![j]!);
      expect(maxRelError(ref, readF32(ys[i]!, h))).toBeLessThan(1e-5);
    });
  });

  test("SwiGLU pair and residual epilogues", () => {
    const n = 20;
    const [gq, uq] = [quantize(type, gaussian(n * k, 50)), quantize(type, gaussian(n * k, 51))];
    const x = gaussian(k, 52);
    const g = matmulRef(dequantize(type, gq, n * k), x, n, k, 1), u = matmulRef(dequantize(type, uq, n * k), x, n, k, 1);
    const y = zeros(dev, 4 * n);
    const step = stepBuffer(dev, 1, { nTokens: 1 });
    const base = { ...where, type, k, x: upload(dev, x), xStride: k, cap: 1, step, gather: false, norm: null };
    runCalls(dev, [kc.mulMv({ ...base, pair: true, mats: [gq, uq].map((q) => ({ w: upload(dev, q), n, y, bias: null, residual: false })) })]);
    const swi = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!);
    expect(maxRelError(swi, readF32(y, n))).toBeLessThan(1e-5);

    const resid = gaussian(n, 53);
    const r = upload(dev, resid);
    runCalls(dev, [kc.mulMv({ ...base, pair: false, mats: [{ w: upload(dev, gq), n, y: r, bias: null, residual: true }] })]);
    expect(maxRelError(g.map((v, i) => v + resid[i]!), readF32(r, n))).toBeLessThan(1e-5);
  });
});

describe("float kernels against the CPU engine", () => {
  test("rmsnorm with gathered rows", () => {
    const k = 300, x = gaussian(4 * k, 1, 3), w = gaussian(k, 2);
    const y = zeros(dev, 4 * 2 * k);
    runCalls(dev, [kc.rmsnorm({
      ...where, dim: k, x: upload(dev, x), xStride: k, weight: upload(dev, w), y, yStride: k, eps: 1e-6, rows: K.ROWS_OUTPUTS, cap: 4,
      rowCapacity: 4, gather: true, step: stepBuffer(dev, 4, { nTokens: 4, nOutputs: 2, outputRows: [1, 3] }),
    })]);
    const gathered = new Float32Array(2 * k);
    check(kernels.rmsnorm(Float32Array.from([...x.subarray(k, 2 * k), ...x.subarray(3 * k)]), w, 1e-6, k, 2, gathered), "cpu rmsnorm");
    expect(maxRelError(gathered, readF32(y, 2 * k))).toBeLessThan(1e-6);
  });

  for (const [name, mode] of [["normal", RopeMode.NORMAL], ["neox", RopeMode.NEOX]] as const) {
    test(`rope_kv (${name}, with and without freq factors) equals the CPU rope, then stores half K/V`, () => {
      const heads = 4, kvHeads = 2, hd = 64, tokens = 3, ctx = 16, kvDim = kvHeads * hd;
      const positions = [0, 7, 15], seqIds = [0, 1, 1];
      for (const factors of [null, Float32Array.from({ length: hd / 2 }, (_, i) => 1 + i / 8)]) {
        const q = gaussian(tokens * heads * hd, 61), kx = gaussian(tokens * kvDim, 62), v = gaussian(tokens * kvDim, 63);
        const qb = upload(dev, q), kb = upload(dev, kx), vb = upload(dev, v);
        const kCache = zeros(dev, 2 * 2 * ctx * kvDim), vCache = zeros(dev, 2 * 2 * ctx * kvDim);
        runCalls(dev, [kc.ropeKv({
          ...where, cap: 4, rowCapacity: 4, step: stepBuffer(dev, 4, { nTokens: tokens, positions, seqIds }), headDim: hd, ropeDims: hd, mode,
          freqBase: 10000, freqScale: 1, factors: factors ? upload(dev, factors) : null,
          q: { x: qb, stride: heads * hd, heads }, k: { x: kb, stride: kvDim, heads: kvHeads },
          store: { k: kb, v: vb, kCache, vCache, kStride: kvDim, vStride: kvDim, kvDim, ctx },
        })]);
        const pos = Int32Array.from(positions);
        const opts = { mode, nDims: hd, freqBase: 10000, freqFactors: factors };
        const qRef = Float32Array.from(q), kRef = Float32Array.from(kx);
        check(kernels.rope(opts, qRef, heads, hd, pos), "cpu rope q");
        check(kernels.rope(opts, kRef, kvHeads, hd, pos), "cpu rope k");
        expect(maxRelError(qRef, readF32(qb, q.length))).toBeLessThan(1e-6);
        expect(maxRelError(kRef, readF32(kb, kx.length))).toBeLessThan(1e-6);
        const halves = new Uint16Array(2 * ctx * kvDim);
        kCache.buffer.read(0, halves);
        const wantK = new Uint16Array(kvDim);
        check(kernels.f32ToF16(kRef.subarray(2 * kvDim), wantK), "f16");
        expect(halves.subarray((1 * ctx + 15) * kvDim, (1 * ctx + 16) * kvDim)).toEqual(wantK);
        vCache.buffer.read(0, halves);
        const wantV = new Uint16Array(kvDim);
        check(kernels.f32ToF16(v.subarray(0, kvDim), wantV), "f16");
        expect(halves.subarray(0, kvDim)).toEqual(wantV);
      }
    });
  }

  test("swiglu, add (and bias broadcast), gather", () => {
    const dim = 300, tokens = 3;
    const g = gaussian(dim * tokens, 71), u = gaussian(dim * tokens, 72);
    const ref = new Float32Array(dim * tokens);
    check(kernels.swiglu(g, u, ref), "cpu swiglu");
    const step = stepBuffer(dev, 4, { nTokens: tokens, nOutputs: 2, outputRows: [0, 2] });
    const y = zeros(dev, 4 * dim * tokens), s = zeros(dev, 4 * dim * tokens), b = zeros(dev, 4 * dim * tokens), gat = zeros(dev, 4 * dim * 2);
    const ub = upload(dev, u), gb = upload(dev, g);
    const elt = { ...where, dim, stride: dim, rows: K.ROWS_TOKENS, cap: 4, rowCapacity: 4, step };
    runCalls(dev, [
      kc.swiglu({ ...elt, a: gb, b: ub, y, bStride: dim }),
      kc.add({ ...elt, a: gb, b: ub, y: s, bStride: dim }),
      kc.add({ ...elt, a: gb, b: ub, y: b, bStride: 0 }),
      kc.gather({ ...where, dim, x: gb, xStride: dim, y: gat, yStride: dim, cap: 4, outputCapacity: 4, step }),
    ]);
    expect(maxRelError(ref, readF32(y, dim * tokens))).toBeLessThan(1e-6);
    expect(readF32(s, dim * tokens)).toEqual(g.map((x, i) => x + u[i]!));
    expect(readF32(b, dim * tokens)).toEqual(g.map((x, i) => x + u[i % dim]!));
    expect(readF32(gat, 2 * dim)).toEqual(Float32Array.from([...g.subarray(0, dim), ...g.subarray(2 * dim)]));
  });

  test("argmax and top-k equal the CPU engine's, ties to the lower index", () => {
    const dim = 4096, rows = 3, k = 40;
    const x = gaussian(dim * rows, 81);
    x[dim + 100] = x[dim + 3000] = 1000; // a tie in row 1
    x[2 * dim + 7] = NaN;
    const step = stepBuffer(dev, 4, { nTokens: rows, nOutputs: rows });
    const ids = zeros(dev, 4 * rows), vals = zeros(dev, 4 * k * rows), tids = zeros(dev, 4 * k * rows);
    const xb = upload(dev, x);
    runCalls(dev, [
      kc.argmax({ ...where, dim, x: xb, stride: dim, ids, rows: K.ROWS_OUTPUTS, cap: 4, rowCapacity: 4, step }),
      kc.topk({ ...where, dim, x: xb, stride: dim, k, values: vals, ids: tids, rows: K.ROWS_OUTPUTS, cap: 4, rowCapacity: 4, step }),
    ]);
    const gotIds = readI32(ids, rows), gotVals = readF32(vals, k * rows), gotTop = readI32(tids, k * rows);
    for (let r = 0; r < rows; r++) {
      const row = x.subarray(r * dim, (r + 1) * dim);
      expect(gotIds[r]).toBe(kernels.argmax(row));
      const wv = new Float32Array(k), wi = new Int32Array(k);
      expect(kernels.topk(row, k, wv, wi)).toBe(k);
      expect(gotTop.subarray(r * k, (r + 1) * k)).toEqual(wi);
      expect(gotVals.subarray(r * k, (r + 1) * k)).toEqual(wv);
    }
    expect(gotIds[1]).toBe(100);
  });
});

describe("attention", () => {
  /** The CPU engine's attention (attention.c): q and the softmax weights rounded to half. */
  function attentionRef(q: Float32Array, kc16: Float32Array, vc16: Float32Array, heads: number, kvHeads: number, hd: number, pos: number): Float32Array {
    const out = new Float32Array(heads * hd), kvDim = kvHeads * hd, group = heads / kvHeads;
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / group);
      const qh = Array.from({ length: hd }, (_, d) => Math.f16round(q[h * hd + d]!));
      const s = Array.from({ length: pos + 1 }, (_, j) => {
        let d = 0;
        for (let i = 0; i < hd; i++) d += kc16[j * kvDim + kvh * hd + i]! * qh[i]!;
        return d / Math.sqrt(hd);
      });
      const mx = Math.max(...s);
      const e = s.map((v) => Math.exp(v - mx));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= pos; j++) {
        const w = Math.f16round(e[j]! / sum);
        for (let d = 0; d < hd; d++) out[h * hd + d] += w * vc16[j * kvDim + kvh * hd + d]!;
      }
    }
    return out;
  }

  for (const [heads, kvHeads, ctx, pos] of [[8, 2, 64, 40], [4, 1, 600, 555], [6, 6, 300, 299]] as const) {
    test(`${heads} heads over ${kvHeads} KV heads, position ${pos} of ${ctx} (${Math.ceil(ctx / K.ATTN_SPLIT)} splits)`, () => {
      const hd = 64, kvDim = kvHeads * hd, cap = 2;
      const halves = (n: number, seed: number) => {
        const f = gaussian(n, seed);
        const h = new Uint16Array(n);
        check(kernels.f32ToF16(f, h), "f16");
        return { h, f: f.map((v) => Math.f16round(v)) };
      };
      const kcache = halves(2 * ctx * kvDim, 91), vcache = halves(2 * ctx * kvDim, 92);
      const q = gaussian(cap * heads * hd, 93);
      const out = zeros(dev, 4 * cap * heads * hd);
      const scratch = kc.attentionScratch(cap, heads, hd, ctx);
      const calls = kc.attention({
        ...where, cap, rowCapacity: cap, step: stepBuffer(dev, cap, { nTokens: 2, positions: [pos, 3], seqIds: [1, 0] }), heads, kvHeads,
        headDim: hd, ctx, q: upload(dev, q), qStride: heads * hd, kCache: upload(dev, kcache.h), vCache: upload(dev, vcache.h),
        out, outStride: heads * hd, partial: scratch.partial ? zeros(dev, scratch.partial) : null, ml: scratch.ml ? zeros(dev, scratch.ml) : null,
      });
      expect(calls.length).toBe(ctx > K.ATTN_SPLIT ? 2 : 1);
      runCalls(dev, calls);
      const got = readF32(out, cap * heads * hd);
      const seq1 = (c: Float32Array) => c.subarray(ctx * kvDim);
      expect(maxRelError(attentionRef(q.subarray(0, heads * hd), seq1(kcache.f), seq1(vcache.f), heads, kvHeads, hd, pos), got.subarray(0, heads * hd))).toBeLessThan(2e-3);
      expect(maxRelError(attentionRef(q.subarray(heads * hd), kcache.f, vcache.f, heads, kvHeads, hd, 3), got.subarray(heads * hd))).toBeLessThan(2e-3);
    });
  }
});
