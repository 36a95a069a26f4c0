/**
 * Decode profile of the Metal path on the MSL emulator's byte-counting build: dispatches per token
 * and per layer, and for each kernel the bytes it loads against its unique footprint, so redundant
 * weight reads show. "Weight bytes" are bytes of the weights buffer (the GGUF data section).
 */
import { IngotError } from "../../errors.ts";
import type { Model } from "../../model/model.ts";
import { metalDevice } from "../backend.ts";
import { MetalContext } from "./context.ts";

export interface KernelProfile {
  kernel: string;
  dispatchesPerToken: number;
  /** Bytes per token, over every buffer. */
  loaded: number;
  unique: number;
  stored: number;
  /** The same restricted to the weights buffer. */
  weightLoaded: number;
  weightUnique: number;
  /** Emulator wall time per token (not a GPU time). */
  emulatorMs: number;
}

export interface DecodeProfile {
  model: string;
  tokens: number;
  dispatchesPerToken: number;
  /** Dispatches of each layer, in layer order. */
  dispatchesPerLayer: number[];
  dispatchesOutsideLayers: number;
  /** Weights buffer bytes per token: every load, distinct bytes over the whole token, and the bytes of the tensors decode must read. */
  weightBytes: { loaded: number; unique: number; expected: number };
  kernels: KernelProfile[];
  emulatorMsPerToken: number;
}

/** Prefills `prompt` and profiles `tokens` greedy decode steps. */
export function profileDecode(model: Model, prompt: number[], tokens: number, opts: { contextLength?: number } = {}): DecodeProfile {
  if (prompt.length < 1 || tokens < 1) throw new IngotError("BAD_ARGUMENT", "profiling needs a non-empty prompt and at least one token");
  const device = metalDevice("metal-emu", true);
  const ctx = new MetalContext(model, device, { contextLength: opts.contextLength ?? Math.max(64, prompt.length + tokens + 1), batchCapacity: Math.max(8, prompt.length), profile: true });
  try {
    const weights = ctx.weightsBuffer;
    let next = ctx.forwardGreedy({ tokens: prompt, positions: prompt.map((_, i) => i), seqIds: prompt.map(() => 0), outputs: [prompt.length - 1] })[0]!;
    const run = ctx.programFor(1);
    const perKernel = new Map<string, KernelProfile>();
    const weight = { loaded: 0, unique: 0 };
    let ms = 0;
    for (let t = 0; t < tokens; t++) {
      next = ctx.forwardGreedy({ tokens: [next], positions: [prompt.length + t], seqIds: [0], outputs: [0] })[0]!;
      for (const s of run.program.stats()) {
        if (s.dispatch < 0) {
          if (!s.buffer) ms += s.nanoseconds / 1e6;
          else if (s.buffer === weights) {
            weight.loaded += s.bytesLoaded;
            weight.unique += s.bytesUnique;
          }
          continue;
        }
        const kernel = run.calls[s.dispatch]!.kernel;
        const k = perKernel.get(kernel) ?? { kernel, dispatchesPerToken: 0, loaded: 0, unique: 0, stored: 0, weightLoaded: 0, weightUnique: 0, emulatorMs: 0 };
        perKernel.set(kernel, k);
        if (!s.buffer) {
          k.dispatchesPerToken++;
          k.emulatorMs += s.nanoseconds / 1e6;
          continue;
        }
        k.loaded += s.bytesLoaded;
        k.unique += s.bytesUnique;
        k.stored += s.bytesStored;
        if (s.buffer === weights) {
          k.weightLoaded += s.bytesLoaded;
          k.weightUnique += s.bytesUnique;
        }
      }
    }
    const per = (x: number) => x / tokens;
    const kernels = [...perKernel.values()].map((k) => ({
      ...k, dispatchesPerToken: per(k.dispatchesPerToken), loaded: per(k.loaded), unique: per(k.unique), stored: per(k.stored),
      weightLoaded: per(k.weightLoaded), weightUnique: per(k.weightUnique), emulatorMs: per(k.emulatorMs),
    })).sort((a, b) => b.weightLoaded - a.weightLoaded || b.loaded - a.loaded);
    const layers = new Map<number, number>();
    let outside = 0;
    for (const call of run.calls) {
      if (call.layer === null) outside++;
      else layers.set(call.layer, (layers.get(call.layer) ?? 0) + 1);
    }
    return {
      model: model.config.name, tokens, dispatchesPerToken: run.calls.length,
      dispatchesPerLayer: [...layers.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n), dispatchesOutsideLayers: outside,
      weightBytes: { loaded: per(weight.loaded), unique: per(weight.unique), expected: decodeWeightBytes(model) },
      kernels, emulatorMsPerToken: per(ms),
    };
  } finally {
    ctx.dispose();
  }
}

/** Bytes decode must read from the weights: every matrix once, one embedding row, the norm vectors. */
function decodeWeightBytes(model: Model): number {
  const w = model.weights;
  const emb = w.tokenEmbedding;
  const tensors = [w.outputNorm, ...(w.ropeFreqs ? [w.ropeFreqs] : []),
    ...w.layers.flatMap((l) => [l.attnNorm, l.q, l.k, l.v, l.attnOut, l.ffnNorm, l.gate, l.up, l.down, l.qBias, l.kBias, l.vBias])]
    .filter((t) => t !== null);
  if (w.output !== emb) tensors.push(w.output);
  const bytes = (t: (typeof tensors)[number]) => model.tensorBytes(t).byteLength;
  const embRow = bytes(emb) / model.config.vocabSize;
  return tensors.reduce((s, t) => s + bytes(t), 0) + (w.output === emb ? bytes(emb) : embRow);
}

/** A plain-text table of the profile. */
export function formatProfile(p: DecodeProfile): string {
  const mb = (x: number) => (x / 1e6).toFixed(3);
  const ratio = (a: number, b: number) => (b ? (a / b).toFixed(2) : "-");
  const lines = [
    `decode profile of ${p.model} on the MSL emulator (${p.tokens} tokens; bytes per token)`,
    `dispatches per token: ${p.dispatchesPerToken} (per layer: ${p.dispatchesPerLayer.join(", ")}; outside layers: ${p.dispatchesOutsideLayers})`,
    `weights: ${mb(p.weightBytes.loaded)} MB loaded, ${mb(p.weightBytes.unique)} MB distinct, ${mb(p.weightBytes.expected)} MB needed ` +
      `(distinct/needed ${ratio(p.weightBytes.unique, p.weightBytes.expected)}, loads/distinct ${ratio(p.weightBytes.loaded, p.weightBytes.unique)})`,
    "",
    "kernel              disp/tok  loaded MB  unique MB  loads/uniq  weight MB  w.loads/uniq  stored MB  emu ms",
  ];
  for (const k of p.kernels) {
    lines.push([
      k.kernel.padEnd(18), k.dispatchesPerToken.toFixed(0).padStart(9), mb(k.loaded).padStart(10), mb(k.unique).padStart(10),
      ratio(k.loaded, k.unique).padStart(11), mb(k.weightUnique).padStart(10), ratio(k.weightLoaded, k.weightUnique).padStart(13),
      mb(k.stored).padStart(10), k.emulatorMs.toFixed(2).padStart(7),
    ].join(" "));
  }
  lines.push("", `emulator time per token: ${p.emulatorMsPerToken.toFixed(1)} ms (CPU time of the emulation, not a GPU estimate)`);
  return lines.join("\n");
}
