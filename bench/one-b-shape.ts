/**
 * The Llama-3.2-1B-shaped model (random weights) the sampling and speculative benchmarks measure
 * against: bench/synth-models.ts's Q4_K_M file when it exists, else an all-Q4_0 one generated here
 * once into the system's temporary directory (about 730 MB, kept out of the repository). Only the
 * shape matters: dim 2048, 16 layers, vocab 128256.
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgmlType } from "../ts/gguf/index.ts";
import { SYNTH_SHAPES, synthesizeModel } from "../ts/model/synth.ts";

export function oneBShapeModel(): string {
  const shared = join(import.meta.dir, ".cache", "llama-3.2-1b-shape-q4_k_m.gguf");
  if (existsSync(shared)) return shared;
  const cache = join(tmpdir(), "ingot-bench-cache");
  const path = join(cache, "llama-3.2-1b-shape-q4_0-uniform.gguf");
  if (!existsSync(path)) {
    mkdirSync(cache, { recursive: true });
    process.stderr.write(`generating ${path} (random weights, all Q4_0)...\n`);
    synthesizeModel(path, {
      shape: SYNTH_SHAPES["llama-3.2-1b"]!,
      fileType: 2, // llama.cpp's MOSTLY_Q4_0
      name: "Llama-3.2-1B shape, random weights, Q4_0",
      typeOf: () => GgmlType.Q4_0,
    });
  }
  return path;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
