/**
 * The forward pass of a decoder-only transformer as a list of abstract ops over named activation
 * slots. Backends lower this list into their own programs (CPU op records, Metal dispatch lists);
 * the graph itself knows nothing about pointers, threads or kernels.
 *
 * Every op runs over the step's tokens ("tokens") or only the rows that produce logits ("outputs"):
 * after the last layer the hidden rows that want logits are gathered, so a prefill of 500 tokens
 * runs the output projection once, not 500 times.
 */
import type { GgufTensorInfo } from "../gguf/index.ts";
import type { ModelConfig } from "./config.ts";
import type { ModelWeights } from "./weights.ts";

export type Rows = "tokens" | "outputs";

/** Activation buffers, one row per token (or per output row). */
export type Slot = "x" | "xn" | "q" | "k" | "v" | "attn" | "gate" | "up" | "tmp" | "hidden" | "hiddenNorm" | "logits";

export type GraphOp =
  | { op: "embed"; table: GgufTensorInfo; out: Slot }
  | { op: "rmsnorm"; x: Slot; weight: GgufTensorInfo; out: Slot; rows: Rows }
  | { op: "matmul"; weight: GgufTensorInfo; x: Slot; out: Slot; rows: Rows }
  | { op: "addBias"; x: Slot; bias: GgufTensorInfo }
  | { op: "rope"; x: Slot; heads: number; freqFactors: GgufTensorInfo | null }
  | { op: "kvStore"; layer: number; kind: "k" | "v"; src: Slot }
  | { op: "attention"; layer: number; q: Slot; out: Slot }
  | { op: "swiglu"; gate: Slot; up: Slot; out: Slot }
  | { op: "add"; a: Slot; b: Slot; out: Slot; rows: Rows }
  | { op: "gather"; x: Slot; out: Slot };

/** Floats per row of each slot. */
export function slotWidths(c: ModelConfig): Record<Slot, number> {
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  return {
    x: c.dim, xn: c.dim, q: qDim, k: kvDim, v: kvDim, attn: qDim, gate: c.ffnDim, up: c.ffnDim,
    tmp: c.dim, hidden: c.dim, hiddenNorm: c.dim, logits: c.vocabSize,
  };
}

/** Slots whose rows are output rows (sized by the output capacity, not the token capacity). */
export const OUTPUT_SLOTS: ReadonlySet<Slot> = new Set<Slot>(["hidden", "hiddenNorm", "logits"]);

/** Where each slot lives in one activation buffer: byte offsets and the buffer's total size. */
export interface SlotLayout {
  offset: Map<Slot, number>;
  bytes: number;
}

/**
 * Lays the slots out in one buffer, `tokens` rows each (output slots: `outputs` rows), each slot
 * starting at a multiple of `alignment` bytes (the engine's preference).
 */
export function layoutSlots(c: ModelConfig, tokens: number, outputs: number, alignment: number): SlotLayout {
  const offset = new Map<Slot, number>();
  let bytes = 0;
  for (const [slot, width] of Object.entries(slotWidths(c)) as [Slot, number][]) {
    offset.set(slot, bytes);
    bytes += Math.ceil((4 * width * (OUTPUT_SLOTS.has(slot) ? outputs : tokens)) / alignment) * alignment;
  }
  return { offset, bytes };
}

export function buildForwardGraph(c: ModelConfig, w: ModelWeights): GraphOp[] {
  const ops: GraphOp[] = [{ op: "embed", table: w.tokenEmbedding, out: "x" }];
  w.layers.forEach((l, layer) => {
    ops.push({ op: "rmsnorm", x: "x", weight: l.attnNorm, out: "xn", rows: "tokens" });
    ops.push({ op: "matmul", weight: l.q, x: "xn", out: "q", rows: "tokens" });
    ops.push({ op: "matmul", weight: l.k, x: "xn", out: "k", rows: "tokens" });
    ops.push({ op: "matmul", weight: l.v, x: "xn", out: "v", rows: "tokens" });
    if (l.qBias) ops.push({ op: "addBias", x: "q", bias: l.qBias });
    if (l.kBias) ops.push({ op: "addBias", x: "k", bias: l.kBias });
    if (l.vBias) ops.push({ op: "addBias", x: "v", bias: l.vBias });
    ops.push({ op: "rope", x: "q", heads: c.heads, freqFactors: w.ropeFreqs });
    ops.push({ op: "rope", x: "k", heads: c.kvHeads, freqFactors: w.ropeFreqs });
    ops.push({ op: "kvStore", layer, kind: "k", src: "k" });
    ops.push({ op: "kvStore", layer, kind: "v", src: "v" });
    ops.push({ op: "attention", layer, q: "q", out: "attn" });
    ops.push({ op: "matmul", weight: l.attnOut, x: "attn", out: "tmp", rows: "tokens" });
    ops.push({ op: "add", a: "x", b: "tmp", out: "x", rows: "tokens" });
    ops.push({ op: "rmsnorm", x: "x", weight: l.ffnNorm, out: "xn", rows: "tokens" });
    ops.push({ op: "matmul", weight: l.gate, x: "xn", out: "gate", rows: "tokens" });
    ops.push({ op: "matmul", weight: l.up, x: "xn", out: "up", rows: "tokens" });
    ops.push({ op: "swiglu", gate: "gate", up: "up", out: "gate" });
    ops.push({ op: "matmul", weight: l.down, x: "gate", out: "tmp", rows: "tokens" });
    ops.push({ op: "add", a: "x", b: "tmp", out: "x", rows: "tokens" });
  });
  ops.push({ op: "gather", x: "x", out: "hidden" });
  ops.push({ op: "rmsnorm", x: "hidden", weight: w.outputNorm, out: "hiddenNorm", rows: "outputs" });
  ops.push({ op: "matmul", weight: w.output, x: "hiddenNorm", out: "logits", rows: "outputs" });
  return ops;
}

/** The slot an op writes, for lowerings that track what a buffer currently holds. */
export function writtenSlot(op: GraphOp): Slot | null {
  switch (op.op) {
    case "embed": case "rmsnorm": case "matmul": case "attention": case "swiglu": case "add": case "gather":
      return op.out;
    case "addBias": case "rope":
      return op.x;
    case "kvStore":
      return null;
  }
}
