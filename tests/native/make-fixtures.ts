/**
 * One-off generator of tests/fixtures/tensors/: slices of real tensors from the llama.cpp-quantised
 * demo model files and the same slices of the F16 original, so kernel tests can compare against
 * data that llama.cpp's own quantizer produced (nobody on the team wrote these bytes).
 *
 *   bun tests/native/make-fixtures.ts <models-dir>   (a directory holding the reference model files)
 *
 * Only this one-off script reads the full model files; the tests read the small fixtures it writes.
 * Output: <model>__<tensor>.bin (the first ROWS rows, raw GGUF bytes) and index.json describing them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GgufFile } from "../../ts/gguf/index.ts";

const ROWS = 64;
const modelsDir = process.argv[2];
if (!modelsDir) {
  console.error("usage: bun tests/native/make-fixtures.ts <models-dir>");
  process.exit(2);
}
const outDir = join(import.meta.dir, "..", "fixtures", "tensors");

const QUANTISED = ["q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0"];
const TENSORS = ["blk.0.ffn_down.weight", "blk.0.attn_q.weight", "blk.2.ffn_down.weight", "output.weight"];

export interface TensorFixture {
  /** model file the slice comes from, e.g. "kjv-target-q4_k_m" */
  model: string;
  tensor: string;
  /** GGUF type id */
  type: number;
  /** full tensor dims in ggml order (dims[0] = row length) */
  dims: number[];
  /** rows stored (the first ones of the tensor) */
  rows: number;
  rowLength: number;
  rowBytes: number;
  file: string;
}

function slice(model: string, g: GgufFile, name: string): TensorFixture {
  const t = g.tensor(name);
  if (!t) throw new Error(`${model}: no tensor ${name}`);
  const data = g.tensorData(t);
  const rowLength = t.dims[0]!;
  const nRows = t.nElements / rowLength;
  const rowBytes = data.byteLength / nRows;
  const rows = Math.min(ROWS, nRows);
  const file = `${model}__${name.replace(/\./g, "_")}.bin`;
  writeFileSync(join(outDir, file), data.subarray(0, rows * rowBytes));
  return { model, tensor: name, type: t.type, dims: t.dims, rows, rowLength, rowBytes, file };
}

if (import.meta.main) {
  mkdirSync(outDir, { recursive: true });
  const index: TensorFixture[] = [];
  const f16 = GgufFile.open(join(modelsDir, "kjv-target-f16.gguf"));
  for (const name of TENSORS) index.push(slice("kjv-target-f16", f16, name));
  for (const q of QUANTISED) {
    const g = GgufFile.open(join(modelsDir, `kjv-target-${q}.gguf`));
    for (const name of TENSORS) index.push(slice(`kjv-target-${q}`, g, name));
  }
  writeFileSync(join(outDir, "index.json"), JSON.stringify(index, null, 1) + "\n");
  let total = 0;
  for (const e of index) total += e.rows * e.rowBytes;
  console.log(`wrote ${index.length} slices, ${(total / 1024).toFixed(0)} KiB, to ${outDir}`);
}
