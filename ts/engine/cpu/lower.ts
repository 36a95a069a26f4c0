/**
 * Lowers the abstract forward graph to the CPU engine's op records (struct ingot_op in ingot_cpu.h:
 * an opcode and 15 argument words). Argument meanings per opcode are documented in
 * Sources/IngotCPU/program.c and attention.c; this file is their only producer.
 *
 * The decisions made here: a matmul needs its input quantised to the weight type's vec_dot type,
 * and consecutive matmuls reading the same slot with the same vec_dot type (Q/K/V, gate/up) share
 * one QUANTIZE op; and an op only waits at a barrier for the ones before it when it must
 * (barriers.ts), which drops about half of the barriers of a layer.
 */
import type { GgufTensorInfo } from "../../gguf/index.ts";
import type { ModelConfig } from "../../model/config.ts";
import { writtenSlot, type GraphOp, type Rows, type Slot } from "../../model/graph.ts";
import { BarrierPlanner, type Access } from "./barriers.ts";

export const OP_WORDS = 16;

export const Opcode = {
  GET_ROWS: 1, RMSNORM: 2, QUANTIZE: 3, MATMUL: 4, ROPE: 5, KV_STORE: 6, ATTENTION: 7, SWIGLU: 8, ADD: 9,
  GATHER: 10, ARGMAX: 11, TOPK: 12,
} as const;

/** Bit of the opcode word: the workers go on to the next op without a barrier (ingot_cpu.h). */
const NO_BARRIER_AFTER = 1n << 16n;

const ROWS: Record<Rows, bigint> = { tokens: 0n, outputs: 1n };
const ROPE_MODE = { normal: 0n, neox: 2n } as const;

/** Everything the lowering needs to know about memory, as addresses. */
export interface CpuMemory {
  slot(s: Slot): bigint;
  slotWidth(s: Slot): number;
  /** Address of a weight tensor's data (any type, as stored in the file). */
  weight(t: GgufTensorInfo): bigint;
  /** A matmul weight as the engine runs it: the file's type and data, or a repacked layout (repack.ts). */
  matmulWeight(t: GgufTensorInfo): { type: number; address: bigint };
  /** Address of an F32 copy of a small vector (norm weights, biases, rope factors). */
  f32Vector(t: GgufTensorInfo): bigint;
  rowBytes(type: number, n: number): number;
  /** Bytes of one activation row of length n quantised for weight type `type`, and the vec_dot type. */
  quantizedRowBytes(type: number, n: number): number;
  vecDotType(type: number): number;
  xq: bigint;
  kCache(layer: number): bigint;
  vCache(layer: number): bigint;
  /** Positions per sequence slot in the caches. */
  contextLength: number;
  attentionScratch: bigint;
  step: { tokens: bigint; positions: bigint; seqIds: bigint; outputRows: bigint };
}

class OpWriter {
  private words: bigint[] = [];
  private readonly barriers = new BarrierPlanner();

  push(opcode: number, args: (bigint | number)[], access: Access): void {
    if (args.length > OP_WORDS - 1) throw new Error(`op ${opcode} has ${args.length} arguments`);
    const previous = this.words.length - OP_WORDS;
    if (!this.barriers.needsBarrierBefore(access) && previous >= 0) this.words[previous]! |= NO_BARRIER_AFTER;
    const rec = new Array<bigint>(OP_WORDS).fill(0n);
    rec[0] = BigInt(opcode);
    args.forEach((a, i) => (rec[i + 1] = typeof a === "bigint" ? a : BigInt(a)));
    this.words.push(...rec);
  }

  finish(): BigInt64Array {
    return BigInt64Array.from(this.words);
  }
}

/**
 * A TOPK over the logits rows (the forward's output rows), appended after the forward program:
 * `k` values (f32) and ids (int32) per row, best first.
 */
export function lowerTopK(m: CpuMemory, vocab: number, k: number, values: bigint, ids: bigint): BigInt64Array {
  const w = new OpWriter();
  w.push(Opcode.TOPK, [m.slot("logits"), m.slotWidth("logits"), vocab, k, values, ids, ROWS.outputs],
    { reads: ["logits"], writes: ["topk"], rowLocal: "outputs" });
  return w.finish();
}

const cacheName = (layer: number, kind: "k" | "v") => `kv:${layer}:${kind}`;

/** The bits of a double as an argument word (the C side reads them back with f64_of). */
export function f64Word(x: number): bigint {
  const f = new Float64Array([x]);
  return new BigInt64Array(f.buffer)[0]!;
}

export function lowerToCpu(graph: GraphOp[], c: ModelConfig, m: CpuMemory): BigInt64Array {
  const w = new OpWriter();
  // What the xq scratch currently holds: the slot it was quantised from, and for which vec_dot type.
  let quantized: { slot: Slot; vecDotType: number } | null = null;
  const kvDim = c.kvHeads * c.headDim;

  for (const op of graph) {
    switch (op.op) {
      case "embed":
        w.push(Opcode.GET_ROWS, [
          op.table.type, m.weight(op.table), m.rowBytes(op.table.type, c.dim), c.dim, m.step.tokens, ROWS.tokens,
          m.slot(op.out), m.slotWidth(op.out), c.vocabSize,
        ], { reads: [], writes: [op.out], rowLocal: "tokens" });
        break;
      case "rmsnorm":
        w.push(Opcode.RMSNORM, [
          m.slot(op.x), m.slotWidth(op.x), m.f32Vector(op.weight), m.slot(op.out), m.slotWidth(op.out), c.dim,
          f64Word(c.rmsEps), ROWS[op.rows],
        ], { reads: [op.x], writes: [op.out], rowLocal: op.rows });
        break;
      case "matmul": {
        const [k, n] = op.weight.dims as [number, number];
        const vdt = m.vecDotType(op.weight.type);
        const xqRow = m.quantizedRowBytes(op.weight.type, k);
        if (!quantized || quantized.slot !== op.x || quantized.vecDotType !== vdt) {
          if (m.slotWidth(op.x) !== k) throw new Error(`matmul input slot ${op.x} width ${m.slotWidth(op.x)} != k ${k}`);
          w.push(Opcode.QUANTIZE, [op.weight.type, m.slot(op.x), 0, k, m.xq, xqRow, ROWS[op.rows]],
            { reads: [op.x], writes: ["xq"], rowLocal: op.rows });
          quantized = { slot: op.x, vecDotType: vdt };
        }
        const weight = m.matmulWeight(op.weight);
        w.push(Opcode.MATMUL, [
          weight.type, weight.address, m.rowBytes(op.weight.type, k), k, n, m.xq, xqRow,
          m.slot(op.out), m.slotWidth(op.out), 0, 0, ROWS[op.rows],
        ], { reads: ["xq"], writes: [op.out] });
        break;
      }
      case "addBias": {
        const width = m.slotWidth(op.x);
        w.push(Opcode.ADD, [m.slot(op.x), m.f32Vector(op.bias), m.slot(op.x), width, width, ROWS.tokens, 0],
          { reads: [op.x], writes: [op.x], rowLocal: "tokens" });
        break;
      }
      case "rope":
        w.push(Opcode.ROPE, [
          m.slot(op.x), m.slotWidth(op.x), op.heads, c.headDim, c.rope.dims, ROPE_MODE[c.rope.mode],
          f64Word(c.rope.freqBase), f64Word(c.rope.freqScale),
          op.freqFactors ? m.f32Vector(op.freqFactors) : 0n, m.step.positions, ROWS.tokens,
        ], { reads: [op.x], writes: [op.x], rowLocal: "tokens" });
        break;
      case "kvStore":
        w.push(Opcode.KV_STORE, [
          m.slot(op.src), m.slotWidth(op.src), op.kind === "k" ? m.kCache(op.layer) : m.vCache(op.layer), kvDim,
          m.contextLength, m.step.positions, m.step.seqIds, ROWS.tokens,
        ], { reads: [op.src], writes: [cacheName(op.layer, op.kind)], rowLocal: "tokens" });
        break;
      case "attention":
        w.push(Opcode.ATTENTION, [
          m.slot(op.q), m.slotWidth(op.q), m.kCache(op.layer), m.vCache(op.layer), c.heads, c.kvHeads, c.headDim,
          m.contextLength, m.step.positions, m.step.seqIds, m.slot(op.out), m.slotWidth(op.out),
          f64Word(1 / Math.sqrt(c.headDim)), ROWS.tokens, m.attentionScratch,
        ], { reads: [op.q, cacheName(op.layer, "k"), cacheName(op.layer, "v")], writes: [op.out] });
        break;
      case "swiglu": {
        const width = m.slotWidth(op.gate);
        w.push(Opcode.SWIGLU, [m.slot(op.gate), m.slot(op.up), m.slot(op.out), width, width, ROWS.tokens],
          { reads: [op.gate, op.up], writes: [op.out], rowLocal: "tokens" });
        break;
      }
      case "add": {
        const width = m.slotWidth(op.a);
        w.push(Opcode.ADD, [m.slot(op.a), m.slot(op.b), m.slot(op.out), width, width, ROWS[op.rows], width],
          { reads: [op.a, op.b], writes: [op.out], rowLocal: op.rows });
        break;
      }
      case "gather":
        w.push(Opcode.GATHER, [m.slot(op.x), m.slotWidth(op.x), m.slot(op.out), m.slotWidth(op.out), m.slotWidth(op.x), m.step.outputRows],
          { reads: [op.x], writes: [op.out] });
        break;
    }
    const written = writtenSlot(op);
    if (quantized && written === quantized.slot) quantized = null;
  }
  return w.finish();
}
