/**
 * A Metal inference context over ingot_metal.h (the Swift engine on macOS, or the MSL emulator).
 *
 * Batch shapes: one program per shape bucket, built on first use and replayed for every step —
 *   decode        1 token: every matmul through mul_mv, with its fusions (norm prologue, Q/K/V in one
 *                 dispatch, SwiGLU pair and residual epilogues);
 *   verification  2..VERIFY_TOKENS tokens (speculative decoding's k+1 rows of logits);
 *   prefill       up to the batch capacity.
 * Verification and prefill run every matmul over several rows through mul_mm (simdgroup_matrix
 * tiles) and differ only in their grids (lower.ts says which matmul takes which kernel). Grids are
 * sized for the bucket's capacity and threadgroups past the step's token count exit at once, so a
 * program serves every batch up to its capacity without re-encoding: on Metal that is what lets the
 * indirect command buffer be recorded once.
 * Every program ends with an argmax over the logits rows, so greedy decoding reads back token ids.
 */
import { IngotError } from "../../errors.ts";
import { GgmlType, type GgufTensorInfo } from "../../gguf/index.ts";
import type { ModelConfig } from "../../model/config.ts";
import { buildForwardGraph, layoutSlots, slotWidths } from "../../model/graph.ts";
import type { Model } from "../../model/model.ts";
import type { Batch, ContextOptions, InferenceContext, TopKRows } from "../types.ts";
import { Storage } from "./abi.ts";
import type { Binding, MetalBuffer, MetalDevice, MetalProgram } from "./device.ts";
import { argmax, attentionScratch, materialize, topk, type KernelCall } from "./dispatches.ts";
import { K } from "./kargs.ts";
import { lowerToMetal, type MetalMemory } from "./lower.ts";
import { resolveContextOptions, StepWriter, stepWords } from "../step.ts";

const ALIGN = 256;
/**
 * Capacity of the verification bucket: k+1 tokens for drafts of up to 7. Its grids are sized for 8
 * rows (within one mul_mm token tile of MM_TILE_TOKENS) rather than the batch capacity, so a
 * verification step launches few threadgroups that only exit.
 */
export const VERIFY_TOKENS = 8;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export interface MetalContextOptions extends ContextOptions {
  /** Count bytes loaded/stored per dispatch (needs a device opened on the profiling kernel library). */
  profile?: boolean;
}

export interface ProgramRun {
  program: MetalProgram;
  calls: readonly KernelCall[];
  capacity: number;
}

export class MetalContext implements InferenceContext {
  readonly config: ModelConfig;
  readonly contextLength: number;
  readonly sequences: number;
  readonly batchCapacity: number;
  readonly outputCapacity: number;

  private readonly owned: MetalBuffer[] = [];
  private readonly programs = new Map<number, ProgramRun>();
  private readonly step: StepWriter;
  private readonly stepBuffer: Binding;
  private readonly logits: Float32Array;
  private readonly ids: Int32Array;
  private readonly memory: MetalMemory;
  private readonly idsBinding: Binding;
  private readonly weights: Binding;
  private readonly top: { rows: TopKRows; values: Binding; ids: Binding } | null = null;
  private outputCount = 0;
  private lastRun: ProgramRun | null = null;
  private disposed = false;

  constructor(private readonly model: Model, readonly device: MetalDevice, private readonly opts: MetalContextOptions = {}) {
    const c = model.config;
    this.config = c;
    const r = resolveContextOptions(c, opts, K.TOPK_MAX);
    [this.contextLength, this.sequences, this.batchCapacity, this.outputCapacity] = [r.contextLength, r.sequences, r.batchCapacity, r.outputCapacity];
    const topK = r.topK;
    const cap = this.batchCapacity;
    const file = model.file;
    this.weights = {
      buffer: this.own(device.bufferFromFile(file.path, file.dataOffset, file.bytes.byteLength - file.dataOffset, Storage.PRIVATE)),
      offset: 0,
    };

    const stepBuf = this.own(device.buffer(4 * stepWords(cap), Storage.SHARED));
    this.stepBuffer = { buffer: stepBuf, offset: 0 };
    this.step = new StepWriter(new Int32Array(stepBuf.bytes().buffer, stepBuf.bytes().byteOffset, stepWords(cap)), { ...r, vocabSize: c.vocabSize });

    const widths = slotWidths(c);
    const layout = layoutSlots(c, cap, this.outputCapacity, ALIGN);
    const slotOffset = layout.offset;
    const activations = this.own(device.buffer(layout.bytes, Storage.SHARED));
    const bytes = activations.bytes();
    this.logits = new Float32Array(bytes.buffer, bytes.byteOffset + slotOffset.get("logits")!, this.outputCapacity * c.vocabSize);

    const idsBuf = this.own(device.buffer(4 * this.outputCapacity, Storage.SHARED));
    this.idsBinding = { buffer: idsBuf, offset: 0 };
    this.ids = new Int32Array(idsBuf.bytes().buffer, idsBuf.bytes().byteOffset, this.outputCapacity);
    if (topK !== undefined) {
      const values = this.own(device.buffer(4 * topK * this.outputCapacity, Storage.SHARED));
      const ids = this.own(device.buffer(4 * topK * this.outputCapacity, Storage.SHARED));
      this.top = {
        rows: {
          k: topK,
          values: new Float32Array(values.bytes().buffer, values.bytes().byteOffset, topK * this.outputCapacity),
          ids: new Int32Array(ids.bytes().buffer, ids.bytes().byteOffset, topK * this.outputCapacity),
        },
        values: { buffer: values, offset: 0 },
        ids: { buffer: ids, offset: 0 },
      };
    }

    const kvDim = c.kvHeads * c.headDim;
    const kvBytes = align(this.sequences * this.contextLength * kvDim * 2);
    const cache = this.own(device.buffer(kvBytes * 2 * c.layers, Storage.PRIVATE));
    const scratch = attentionScratch(cap, c.heads, c.headDim, this.contextLength);
    const partial = scratch.partial ? this.own(device.buffer(scratch.partial, Storage.PRIVATE)) : null;
    const ml = scratch.ml ? this.own(device.buffer(scratch.ml, Storage.PRIVATE)) : null;

    this.memory = {
      slot: (s) => ({ buffer: activations, offset: slotOffset.get(s)! }),
      slotWidth: (s) => widths[s],
      weight: (t) => ({ buffer: this.weights.buffer, offset: t.offset }),
      f32Vector: (t) => this.f32Vector(t),
      step: this.stepBuffer,
      stepCapacity: cap,
      kCache: (l) => ({ buffer: cache, offset: kvBytes * 2 * l }),
      vCache: (l) => ({ buffer: cache, offset: kvBytes * (2 * l + 1) }),
      contextLength: this.contextLength,
      attnPartial: partial ? { buffer: partial, offset: 0 } : null,
      attnMl: ml ? { buffer: ml, offset: 0 } : null,
    };
    // Lower the decode shape now so an unsupported model fails at context creation, not mid-generation.
    this.programFor(1);
  }

  private own(b: MetalBuffer): MetalBuffer {
    this.owned.push(b);
    return b;
  }

  /** Norm weights, biases and rope factors as F32: F32 tensors are bound in place, F16 ones converted once. */
  private f32Vector(t: GgufTensorInfo): Binding {
    if (t.type === GgmlType.F32) return { buffer: this.weights.buffer, offset: t.offset };
    if (t.type !== GgmlType.F16) throw new IngotError("MODEL_UNSUPPORTED", `tensor '${t.name}' must be F32 or F16, not type ${t.type}`);
    const src = this.model.tensorBytes(t);
    const halves = new Uint16Array(src.buffer, src.byteOffset, t.nElements);
    const out = new Float32Array(t.nElements);
    const scratch = new DataView(new ArrayBuffer(2));
    for (let i = 0; i < t.nElements; i++) {
      scratch.setUint16(0, halves[i]!, true);
      out[i] = scratch.getFloat16(0, true);
    }
    const buf = this.own(this.device.buffer(out.byteLength, Storage.SHARED));
    buf.write(0, out);
    return { buffer: buf, offset: 0 };
  }

  /** Smallest bucket holding n tokens: 1 (decode), VERIFY_TOKENS (verification), then the batch capacity (prefill). */
  private bucket(n: number): number {
    const buckets = [1, Math.min(VERIFY_TOKENS, this.batchCapacity), this.batchCapacity];
    return buckets.find((b) => b >= n)!;
  }

  /** The program a batch of n tokens runs (built on first use). */
  programFor(n: number): ProgramRun {
    const capacity = this.bucket(n);
    const existing = this.programs.get(capacity);
    if (existing) return existing;
    const shape = { tokens: capacity, outputs: Math.min(capacity, this.outputCapacity) };
    const graph = buildForwardGraph(this.config, this.model.weights);
    const calls = lowerToMetal(graph, this.config, this.memory, shape);
    const logits = this.memory.slot("logits");
    calls.push(argmax({
      label: "argmax", layer: null, dim: this.config.vocabSize, x: logits, stride: this.config.vocabSize, ids: this.idsBinding,
      rows: K.ROWS_OUTPUTS, cap: this.batchCapacity, rowCapacity: shape.outputs, step: this.stepBuffer,
    }));
    if (this.top) {
      calls.push(topk({
        label: "top-k", layer: null, dim: this.config.vocabSize, x: logits, stride: this.config.vocabSize, k: this.top.rows.k,
        values: this.top.values, ids: this.top.ids, rows: K.ROWS_OUTPUTS, cap: this.batchCapacity, rowCapacity: shape.outputs, step: this.stepBuffer,
      }));
    }
    const run = this.build(calls, capacity);
    this.programs.set(capacity, run);
    return run;
  }

  private build(calls: KernelCall[], capacity: number): ProgramRun {
    const { dispatches, args } = materialize(this.device, calls);
    this.own(args);
    const program = this.device.program(dispatches);
    if (this.opts.profile) program.setProfiling(true);
    return { program, calls, capacity };
  }

  private run(batch: Batch): number {
    if (this.disposed) throw new IngotError("BAD_ARGUMENT", "this context has been disposed");
    const outs = this.step.write(batch);
    const run = this.programFor(batch.tokens.length);
    run.program.run();
    this.lastRun = run;
    this.outputCount = outs;
    return outs;
  }

  forward(batch: Batch): Float32Array {
    const outs = this.run(batch);
    return this.logits.subarray(0, outs * this.config.vocabSize);
  }

  /** Runs the batch and returns only the argmax token id of each output row (computed on the device). */
  forwardGreedy(batch: Batch): Int32Array {
    const outs = this.run(batch);
    return this.ids.slice(0, outs);
  }

  /** The device's top-K of each output row of the last forward (ContextOptions.topK), or null. */
  topK(): TopKRows | null {
    const t = this.top?.rows;
    if (!t) return null;
    const n = this.outputCount * t.k;
    return { k: t.k, values: t.values.subarray(0, n), ids: t.ids.subarray(0, n) };
  }

  /** The buffer holding the GGUF data section (for profiles). */
  get weightsBuffer(): MetalBuffer {
    return this.weights.buffer;
  }

  /** The program and kernel calls of the last forward (for profiles). */
  lastProgram(): ProgramRun | null {
    return this.lastRun;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const run of this.programs.values()) run.program.free();
    for (const b of this.owned) b.free();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
