/**
 * Weights the CPU engine runs faster in a layout of its own than in the file's (ingot_cpu_repacked_layout:
 * today Q4_0, Q2_K..Q6_K and (with VNNI) Q8_0 interleaved eight rows at a time on AVX2 builds, see Sources/IngotCPU/repack.c).
 * Repacked once per model, on the first context, into native memory the model owns: contexts share it,
 * and it is freed when the model is garbage-collected. The file's pages of a repacked tensor are then
 * released, so the weights are resident once; the mapping stays the source for everything else
 * (embedding rows read the original tensor, faulting back only the rows they need).
 */
import type { Pointer } from "bun:ffi";
import type { GgufTensorInfo } from "../../gguf/index.ts";
import type { GraphOp } from "../../model/graph.ts";
import type { Model } from "../../model/model.ts";
import { check, cpuLibrary, NativeBuffer } from "./native.ts";

export interface RepackedWeight {
  /** The layout id MATMUL ops take instead of the file type. */
  type: number;
  address: bigint;
}

const cache = new WeakMap<Model, Map<GgufTensorInfo, RepackedWeight>>();
const release = new FinalizationRegistry<NativeBuffer[]>((buffers) => {
  for (const b of buffers) b.free();
});

/** The model's matmul weights that have a repacked layout, repacked on first use. */
export function repackedWeights(model: Model, graph: readonly GraphOp[]): Map<GgufTensorInfo, RepackedWeight> {
  const known = cache.get(model);
  if (known) return known;
  const lib = cpuLibrary();
  const out = new Map<GgufTensorInfo, RepackedWeight>();
  const buffers: NativeBuffer[] = [];
  for (const op of graph) {
    if (op.op !== "matmul" || out.has(op.weight)) continue;
    const t = op.weight;
    const [k, rows] = t.dims as [number, number];
    const layout = lib.ingot_cpu_repacked_layout(t.type, rows, k);
    if (layout === 0) continue;
    const buffer = new NativeBuffer(check(lib.ingot_cpu_repacked_bytes(layout, rows, k), `repacking '${t.name}'`));
    buffers.push(buffer);
    const rowBytes = check(lib.ingot_cpu_row_bytes(t.type, k), "row size");
    const source = Number(model.tensorAddress(t)) as Pointer;
    check(lib.ingot_cpu_repack(layout, source, rowBytes, rows, k, buffer.ptr), `repacking '${t.name}'`);
    // The file's copy is no longer read by matmuls: let its pages go (embedding rows fault back in).
    // Safe because a Model's bytes are always a private mapping of its file (Model.load, never heap
    // memory): dropped pages are read again from the file, not zeroed.
    check(lib.ingot_cpu_release_pages(source, t.byteSize), `releasing '${t.name}'`);
    out.set(t, { type: layout, address: buffer.address() });
  }
  if (buffers.length > 0) release.register(model, buffers);
  cache.set(model, out);
  return out;
}
