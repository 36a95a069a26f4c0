/**
 * A CPU inference context: native memory for activations, the F16 KV cache and the step block, and
 * one program (lowered once) that serves every batch up to the context's capacity — the number of
 * tokens is read by the engine from the step block at run time.
 */
import type { Pointer } from "bun:ffi";
import { IngotError } from "../../errors.ts";
import type { GgufTensorInfo } from "../../gguf/index.ts";
import { GgmlType } from "../../gguf/index.ts";
import type { ModelConfig } from "../../model/config.ts";
import { buildForwardGraph, layoutSlots, slotWidths } from "../../model/graph.ts";
import type { Model } from "../../model/model.ts";
import { resolveContextOptions, STEP, StepWriter, stepWords } from "../step.ts";
import type { Batch, ContextOptions, InferenceContext, TopKRows } from "../types.ts";
import { cpuEngine } from "./engine.ts";
import { lowerToCpu, lowerTopK, OP_WORDS, type CpuMemory } from "./lower.ts";
import { check, cpuLibrary, NativeBuffer } from "./native.ts";
import { repackedWeights } from "./repack.ts";

/** The engine's top-k op keeps at most this many candidates per row (ingot_topk). */
const TOPK_MAX = 256;
const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export class CpuContext implements InferenceContext {
  readonly config: ModelConfig;
  readonly contextLength: number;
  readonly sequences: number;
  readonly batchCapacity: number;
  readonly outputCapacity: number;

  private readonly buffers: NativeBuffer[] = [];
  private readonly step: StepWriter;
  private readonly logits: Float32Array;
  private readonly top: TopKRows | null = null;
  private outputCount = 0;
  private program: Pointer | null;

  constructor(private readonly model: Model, opts: ContextOptions = {}) {
    const c = model.config;
    this.config = c;
    const r = resolveContextOptions(c, opts, TOPK_MAX);
    [this.contextLength, this.sequences, this.batchCapacity, this.outputCapacity] = [r.contextLength, r.sequences, r.batchCapacity, r.outputCapacity];
    const topK = r.topK;
    const lib = cpuLibrary();
    const engine = cpuEngine(model.threads);

    // Step block: header, then tokens, positions, seq ids, output rows.
    const cap = this.batchCapacity;
    const stepBlock = this.own(new NativeBuffer(4 * stepWords(cap)));
    this.step = new StepWriter(stepBlock.i32(0, stepWords(cap)), { ...r, vocabSize: c.vocabSize });
    const stepAddr = (i: number) => stepBlock.address(4 * (STEP.HEADER + i * cap));

    // Activation slots.
    const widths = slotWidths(c);
    const layout = layoutSlots(c, cap, this.outputCapacity, ALIGN);
    const slotOffset = layout.offset;
    const activations = this.own(new NativeBuffer(layout.bytes));
    this.logits = activations.f32(slotOffset.get("logits")!, this.outputCapacity * c.vocabSize);

    // Quantised-activation scratch, big enough for the widest matmul input of any weight type.
    const graph = buildForwardGraph(c, model.weights);
    const repacked = repackedWeights(model, graph);
    let xqRow = 0;
    for (const op of graph) {
      if (op.op === "matmul") xqRow = Math.max(xqRow, Number(lib.ingot_cpu_quantized_row_bytes(op.weight.type, op.weight.dims[0]!)));
    }
    const xq = this.own(new NativeBuffer(align(xqRow * cap)));

    // KV cache: per layer, K then V, each [sequence][position][kvHeads * headDim] in F16.
    const kvBytes = this.sequences * this.contextLength * c.kvHeads * c.headDim * 2;
    const cache = this.own(new NativeBuffer(align(kvBytes) * 2 * c.layers));
    const scratch = this.own(new NativeBuffer(4 * this.contextLength * lib.ingot_cpu_engine_threads(engine)));

    const memory: CpuMemory = {
      slot: (s) => activations.address(slotOffset.get(s)!),
      slotWidth: (s) => widths[s],
      weight: (t) => model.tensorAddress(t),
      matmulWeight: (t) => repacked.get(t) ?? { type: t.type, address: model.tensorAddress(t) },
      f32Vector: (t) => this.f32Vector(t),
      rowBytes: (type, n) => check(lib.ingot_cpu_row_bytes(type, n), "row size"),
      quantizedRowBytes: (type, n) => check(lib.ingot_cpu_quantized_row_bytes(type, n), "activation row size"),
      vecDotType: (type) => model.vecDotType(type),
      xq: xq.address(),
      kCache: (l) => cache.address(align(kvBytes) * 2 * l),
      vCache: (l) => cache.address(align(kvBytes) * (2 * l + 1)),
      contextLength: this.contextLength,
      attentionScratch: scratch.address(),
      step: { tokens: stepAddr(0), positions: stepAddr(1), seqIds: stepAddr(2), outputRows: stepAddr(3) },
    };
    let records = lowerToCpu(graph, c, memory);
    if (topK !== undefined) {
      const values = this.own(new NativeBuffer(4 * topK * this.outputCapacity));
      const ids = this.own(new NativeBuffer(4 * topK * this.outputCapacity));
      this.top = { k: topK, values: values.f32(), ids: ids.i32() };
      const extra = lowerTopK(memory, c.vocabSize, topK, values.address(), ids.address());
      const all = new BigInt64Array(records.length + extra.length);
      all.set(records);
      all.set(extra, records.length);
      records = all;
    }
    const out = new BigUint64Array(1);
    check(lib.ingot_cpu_program_create(engine, records, records.length / OP_WORDS, stepBlock.ptr, out), "building the CPU program");
    this.program = Number(out[0]) as Pointer;
  }

  private own(b: NativeBuffer): NativeBuffer {
    this.buffers.push(b);
    return b;
  }

  /** Norm weights, biases and rope factors as F32 (the file may store them as F32 or F16). */
  private f32Vector(t: GgufTensorInfo): bigint {
    if (t.type === GgmlType.F32) return this.model.tensorAddress(t);
    if (t.type !== GgmlType.F16) throw new IngotError("MODEL_UNSUPPORTED", `tensor '${t.name}' must be F32 or F16, not type ${t.type}`);
    const src = this.model.tensorBytes(t);
    const halves = new Uint16Array(src.buffer, src.byteOffset, t.nElements);
    const buf = this.own(new NativeBuffer(4 * t.nElements));
    const dst = buf.f32();
    for (let i = 0; i < t.nElements; i++) dst[i] = halfToFloat(halves[i]!);
    return buf.address();
  }

  forward(batch: Batch): Float32Array {
    if (!this.program) throw new IngotError("BAD_ARGUMENT", "this context has been disposed");
    const outs = this.step.write(batch);
    check(cpuLibrary().ingot_cpu_program_run(this.program), "forward pass");
    this.outputCount = outs;
    return this.logits.subarray(0, outs * this.config.vocabSize);
  }

  topK(): TopKRows | null {
    const t = this.top;
    if (!t) return null;
    const n = this.outputCount * t.k;
    return { k: t.k, values: t.values.subarray(0, n), ids: t.ids.subarray(0, n) };
  }

  dispose(): void {
    if (!this.program) return;
    cpuLibrary().ingot_cpu_program_destroy(this.program);
    this.program = null;
    for (const b of this.buffers) b.free();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
