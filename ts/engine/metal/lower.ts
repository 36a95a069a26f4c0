/**
 * Lowers the abstract forward graph (ts/model/graph.ts) to Metal kernel calls for one batch shape:
 * the program of one bucket of ts/engine/metal/context.ts (decode, verification or prefill).
 *
 * Kernel choice by shape: a matmul over one row uses mul_mv (simdgroup reductions, each weight byte
 * read once) — every matmul of decode (the 1-token program), and the output projection of a program
 * whose output capacity is 1. A matmul over more rows uses mul_mm (simdgroup_matrix tiles): prefill
 * and speculative verification (the program for 2..VERIFY_TOKENS tokens, k+1 rows of logits) alike,
 * with the grid sized for the program's capacity and tiles past the step's row count exiting early.
 * Fusions are peephole rules over the op list, applied only when the intermediate slot has no other
 * reader before it is overwritten:
 *   rmsnorm -> matmuls            norm folded into the mul_mv prologue (one-row matmuls)
 *   gather -> rmsnorm             rows picked by output_rows inside the norm / mul_mv prologue
 *   matmul x3 on one input        one mul_mv dispatch over up to three matrices (same weight type)
 *   matmul gate, up -> swiglu     mul_mv "pair" epilogue
 *   matmul -> addBias             bias epilogue (mul_mv and mul_mm)
 *   matmul -> add (residual)      residual epilogue, written straight into the residual stream (both)
 *   rope, rope, kvStore, kvStore  one rope_kv dispatch
 * Everything else maps one op to one kernel.
 */
import type { GgufTensorInfo } from "../../gguf/index.ts";
import type { ModelConfig } from "../../model/config.ts";
import { writtenSlot, type GraphOp, type Rows, type Slot } from "../../model/graph.ts";
import type { Binding } from "./device.ts";
import * as kc from "./dispatches.ts";
import { K } from "./kargs.ts";

export interface MetalMemory {
  slot(s: Slot): Binding;
  slotWidth(s: Slot): number;
  weight(t: GgufTensorInfo): Binding;
  /** F32 data of a small vector (norm weights, biases, rope factors). */
  f32Vector(t: GgufTensorInfo): Binding;
  step: Binding;
  /** Capacity of the step arrays (the context's batch capacity). */
  stepCapacity: number;
  kCache(layer: number): Binding;
  vCache(layer: number): Binding;
  contextLength: number;
  attnPartial: Binding | null;
  attnMl: Binding | null;
}

export interface BatchShape {
  /** Most tokens this program runs (grids are sized for it; extra threadgroups exit early). */
  tokens: number;
  /** Most output rows. */
  outputs: number;
}

const ROWS: Record<Rows, number> = { tokens: K.ROWS_TOKENS, outputs: K.ROWS_OUTPUTS };
const ROPE_MODE = { normal: K.ROPE_NORMAL, neox: K.ROPE_NEOX } as const;

function reads(op: GraphOp): Slot[] {
  switch (op.op) {
    case "embed": return [];
    case "rmsnorm": case "matmul": case "addBias": case "rope": case "gather": return [op.x];
    case "kvStore": return [op.src];
    case "attention": return [op.q];
    case "swiglu": return [op.gate, op.up];
    case "add": return [op.a, op.b];
  }
}

/** Indices of the ops after `from` that read `slot` before it is next written. */
function readersOf(graph: GraphOp[], from: number, slot: Slot): number[] {
  const out: number[] = [];
  for (let j = from + 1; j < graph.length; j++) {
    if (reads(graph[j]!).includes(slot)) out.push(j);
    if (writtenSlot(graph[j]!) === slot) break;
  }
  return out;
}

function writtenBetween(graph: GraphOp[], from: number, to: number, slot: Slot): boolean {
  for (let j = from + 1; j < to; j++) if (writtenSlot(graph[j]!) === slot) return true;
  return false;
}

type MatmulOp = Extract<GraphOp, { op: "matmul" }>;

/** A slot whose content is computed on the fly by its consumers. */
interface VirtualNorm {
  src: Slot;
  weight: GgufTensorInfo;
  gather: boolean;
}

export function lowerToMetal(graph: GraphOp[], c: ModelConfig, m: MetalMemory, shape: BatchShape): kc.KernelCall[] {
  const calls: kc.KernelCall[] = [];
  const cap = m.stepCapacity;
  const kvDim = c.kvHeads * c.headDim;
  const rowCapacity = (r: Rows) => (r === "tokens" ? shape.tokens : shape.outputs);
  const oneRow = (r: Rows) => rowCapacity(r) === 1;
  const norms = new Map<Slot, VirtualNorm>();
  const gathered = new Map<Slot, Slot>();
  let layer: number | null = null;
  const consumed = new Set<number>();

  for (let i = 0; i < graph.length; i++) {
    if (consumed.has(i)) continue;
    const op = graph[i]!;
    layer = layerOf(op, layer);
    const where = (what: string): kc.Where => ({ label: layer === null ? what : `layer ${layer}: ${what}`, layer });

    switch (op.op) {
      case "embed":
        calls.push(kc.getRows({
          ...where("embedding"), type: op.table.type, table: m.weight(op.table), dim: c.dim, vocab: c.vocabSize,
          y: m.slot(op.out), yStride: m.slotWidth(op.out), step: m.step, cap, rowCapacity: shape.tokens,
        }));
        break;

      case "gather": {
        const users = readersOf(graph, i, op.out);
        if (users.length > 0 && users.every((j) => graph[j]!.op === "rmsnorm" && !writtenBetween(graph, i, j, op.x))) {
          gathered.set(op.out, op.x);
        } else {
          calls.push(kc.gather({
            ...where("gather"), dim: m.slotWidth(op.x), x: m.slot(op.x), xStride: m.slotWidth(op.x), y: m.slot(op.out),
            yStride: m.slotWidth(op.out), cap, outputCapacity: shape.outputs, step: m.step,
          }));
        }
        break;
      }

      case "rmsnorm": {
        const src = gathered.get(op.x) ?? op.x;
        const gather = gathered.has(op.x);
        const users = readersOf(graph, i, op.out);
        const fusable = users.length > 0 && users.every((j) => {
          const u = graph[j]!;
          return u.op === "matmul" && u.x === op.out && oneRow(u.rows) && !writtenBetween(graph, i, j, src);
        });
        if (fusable && oneRow(op.rows)) {
          norms.set(op.out, { src, weight: op.weight, gather });
        } else {
          calls.push(kc.rmsnorm({
            ...where("rmsnorm"), dim: c.dim, x: m.slot(src), xStride: m.slotWidth(src), weight: m.f32Vector(op.weight),
            y: m.slot(op.out), yStride: m.slotWidth(op.out), eps: c.rmsEps, rows: ROWS[op.rows], cap,
            rowCapacity: rowCapacity(op.rows), gather, step: m.step,
          }));
        }
        break;
      }

      case "matmul": {
        const group = matmulGroup(graph, i);
        group.forEach((j) => consumed.add(j));
        calls.push(...lowerMatmuls(graph, group, c, m, shape, norms, consumed, where));
        break;
      }

      case "rope": case "kvStore": {
        const run = ropeRun(graph, i);
        run.forEach((j) => consumed.add(j));
        calls.push(...lowerRopeKv(run.map((j) => graph[j]!), c, m, shape, where));
        break;
      }

      case "attention":
        calls.push(...kc.attention({
          ...where("attention"), cap, rowCapacity: shape.tokens, step: m.step, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, ctx: m.contextLength,
          q: m.slot(op.q), qStride: m.slotWidth(op.q), kCache: m.kCache(op.layer), vCache: m.vCache(op.layer),
          out: m.slot(op.out), outStride: m.slotWidth(op.out), partial: m.attnPartial, ml: m.attnMl,
        }));
        break;

      case "swiglu":
        calls.push(kc.swiglu({
          ...where("swiglu"), dim: m.slotWidth(op.gate), a: m.slot(op.gate), b: m.slot(op.up), y: m.slot(op.out),
          stride: m.slotWidth(op.gate), bStride: m.slotWidth(op.up), rows: K.ROWS_TOKENS, cap, rowCapacity: shape.tokens, step: m.step,
        }));
        break;

      case "add":
        calls.push(kc.add({
          ...where("add"), dim: m.slotWidth(op.a), a: m.slot(op.a), b: m.slot(op.b), y: m.slot(op.out),
          stride: m.slotWidth(op.a), bStride: m.slotWidth(op.b), rows: ROWS[op.rows], cap, rowCapacity: rowCapacity(op.rows), step: m.step,
        }));
        break;

      case "addBias":
        calls.push(kc.add({
          ...where("bias"), dim: m.slotWidth(op.x), a: m.slot(op.x), b: m.f32Vector(op.bias), y: m.slot(op.x),
          stride: m.slotWidth(op.x), bStride: 0, rows: K.ROWS_TOKENS, cap, rowCapacity: shape.tokens, step: m.step,
        }));
        break;
    }
  }
  return calls;
}

/** The layer an op belongs to: its own field, else the blk.N of its tensor, else the previous op's. */
function layerOf(op: GraphOp, previous: number | null): number | null {
  if ("layer" in op) return op.layer;
  const tensor = op.op === "embed" ? op.table : op.op === "rmsnorm" || op.op === "matmul" ? op.weight : op.op === "addBias" ? op.bias : null;
  if (tensor) {
    const m = /^blk\.(\d+)\./.exec(tensor.name);
    return m ? Number(m[1]) : null;
  }
  return op.op === "gather" ? null : previous;
}

/** Consecutive matmuls from i reading one input slot with one weight type and rows kind (at most 3). */
function matmulGroup(graph: GraphOp[], i: number): number[] {
  const first = graph[i] as MatmulOp;
  const group = [i];
  for (let j = i + 1; j < graph.length && group.length < K.MV_MAX_MATRICES; j++) {
    const op = graph[j]!;
    if (op.op !== "matmul" || op.x !== first.x || op.rows !== first.rows || op.weight.type !== first.weight.type) break;
    if (op.out === first.x || group.some((g) => (graph[g] as MatmulOp).out === op.out)) break;
    group.push(j);
  }
  return group;
}

function lowerMatmuls(
  graph: GraphOp[], group: number[], c: ModelConfig, m: MetalMemory, shape: BatchShape,
  norms: Map<Slot, VirtualNorm>, consumed: Set<number>, where: (what: string) => kc.Where,
): kc.KernelCall[] {
  const ops = group.map((j) => graph[j] as MatmulOp);
  const first = ops[0]!;
  const last = group[group.length - 1]!;
  const rows = first.rows;
  const rowCap = rows === "tokens" ? shape.tokens : shape.outputs;
  const k = first.weight.dims[0]!;
  for (const op of ops) kc.checkWeightShape(op.weight.type, k, op.weight.name);
  const names = ops.map((o) => o.out).join("/");

  // Biases right after the group, for any of its outputs.
  const bias = new Map<Slot, GgufTensorInfo>();
  let next = last + 1;
  while (next < graph.length) {
    const op = graph[next]!;
    if (op.op !== "addBias" || !ops.some((o) => o.out === op.x) || bias.has(op.x)) break;
    bias.set(op.x, op.bias);
    consumed.add(next++);
  }
  const after = graph[next];
  const biasOf = (s: Slot) => (bias.has(s) ? m.f32Vector(bias.get(s)!) : null);

  // Residual: matmul -> tmp, then add(x, tmp) -> x with tmp read nowhere else.
  const residualTarget = (op: MatmulOp): Slot | null => {
    if (after?.op !== "add" || after.rows !== op.rows || after.out === op.out) return null;
    const other = after.a === op.out ? after.b : after.b === op.out ? after.a : null;
    if (other !== after.out) return null;
    return readersOf(graph, next, op.out).length === 0 ? after.out : null;
  };

  const norm = norms.get(first.x);
  const input = norm ? norm.src : first.x;
  const base = { k, x: m.slot(input), xStride: m.slotWidth(input), cap: m.stepCapacity, step: m.step };

  if (rowCap === 1) {
    const prologue = { gather: norm?.gather ?? false, norm: norm ? { weight: m.f32Vector(norm.weight), eps: c.rmsEps } : null };
    // SwiGLU pair: gate and up computed together when only swiglu reads them.
    if (ops.length === 2 && after?.op === "swiglu" && after.gate === ops[0]!.out && after.up === ops[1]!.out &&
        readersOf(graph, next, after.up).length === 0) {
      consumed.add(next);
      return [kc.mulMv({
        ...where(`${names} + swiglu`), ...base, ...prologue, type: first.weight.type, pair: true,
        mats: ops.map((o) => ({ w: m.weight(o.weight), n: o.weight.dims[1]!, y: m.slot(after.out), bias: biasOf(o.out), residual: false })),
      })];
    }
    const target = ops.length === 1 ? residualTarget(first) : null;
    if (target) consumed.add(next);
    return [kc.mulMv({
      ...where(target ? `${names} + residual` : names), ...base, ...prologue, type: first.weight.type, pair: false,
      mats: ops.map((o) => {
        const out = target ?? o.out;
        return { w: m.weight(o.weight), n: o.weight.dims[1]!, y: m.slot(out), bias: biasOf(o.out), residual: target !== null };
      }),
    })];
  }

  if (norm) throw new Error("a norm was folded into a matmul over several rows");
  return ops.map((o) => {
    const target = ops.length === 1 ? residualTarget(o) : null;
    if (target) consumed.add(next);
    const out = target ?? o.out;
    return kc.mulMm({
      ...where(target ? `${o.out} + residual` : o.out), ...base, rows: ROWS[rows], type: o.weight.type, n: o.weight.dims[1]!, w: m.weight(o.weight),
      bias: biasOf(o.out), y: m.slot(out), yStride: m.slotWidth(out), residual: target !== null, rowCapacity: rowCap,
    });
  });
}

/** Consecutive rope/kvStore ops from i (one layer, at most two of each). */
function ropeRun(graph: GraphOp[], i: number): number[] {
  const run: number[] = [];
  let ropes = 0, stores = 0;
  for (let j = i; j < graph.length; j++) {
    const op = graph[j]!;
    if (op.op === "rope" && ropes < 2 && stores === 0) ropes++;
    else if (op.op === "kvStore" && stores < 2 && (stores === 0 || (graph[j - 1] as { layer?: number }).layer === op.layer)) stores++;
    else break;
    run.push(j);
  }
  return run;
}

function lowerRopeKv(ops: GraphOp[], c: ModelConfig, m: MetalMemory, shape: BatchShape, where: (what: string) => kc.Where): kc.KernelCall[] {
  const ropes = ops.filter((o): o is Extract<GraphOp, { op: "rope" }> => o.op === "rope");
  const stores = ops.filter((o): o is Extract<GraphOp, { op: "kvStore" }> => o.op === "kvStore");
  const kStore = stores.find((s) => s.kind === "k") ?? null;
  const vStore = stores.find((s) => s.kind === "v") ?? null;
  const target = (r: (typeof ropes)[number]) => ({ x: m.slot(r.x), stride: m.slotWidth(r.x), heads: r.heads });
  const common = {
    cap: m.stepCapacity, rowCapacity: shape.tokens, step: m.step, headDim: c.headDim, ropeDims: c.rope.dims, mode: ROPE_MODE[c.rope.mode],
    freqBase: c.rope.freqBase, freqScale: c.rope.freqScale,
    factors: ropes.find((r) => r.freqFactors)?.freqFactors ? m.f32Vector(ropes.find((r) => r.freqFactors)!.freqFactors!) : null,
  };
  const kvDim = c.kvHeads * c.headDim;
  const store = (k: typeof kStore, v: typeof vStore) => ({
    k: k ? m.slot(k.src) : null, v: v ? m.slot(v.src) : null,
    kCache: k ? m.kCache(k.layer) : null, vCache: v ? m.vCache(v.layer) : null,
    kStride: k ? m.slotWidth(k.src) : 0, vStride: v ? m.slotWidth(v.src) : 0, kvDim, ctx: m.contextLength,
  });
  const label = [...ropes.map((r) => `rope ${r.x}`), ...stores.map((s) => `store ${s.kind}`)].join(" + ");
  // The kernel binds one buffer for "second rope target" and "K to store": split when they differ.
  const second = ropes[1] ?? null;
  if (kStore && second && second.x !== kStore.src) {
    return [
      kc.ropeKv({ ...where(ropes.map((r) => `rope ${r.x}`).join(" + ")), ...common, q: target(ropes[0]!), k: target(second), store: store(null, null) }),
      kc.ropeKv({ ...where(stores.map((s) => `store ${s.kind}`).join(" + ")), ...common, q: null, k: null, store: store(kStore, vStore) }),
    ];
  }
  const [first, other] = kStore && ropes.length === 1 && ropes[0]!.x === kStore.src ? [null, ropes[0]!] : [ropes[0] ?? null, second];
  return [kc.ropeKv({ ...where(label), ...common, q: first ? target(first) : null, k: other ? target(other) : null, store: store(kStore, vStore) })];
}
