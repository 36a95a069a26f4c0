/** Reference data and models for the API tests: llama.cpp's recorded greedy continuations of the demo files (tests/fixtures/reference/llamacpp-greedy.jsonl). */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgmlType } from "../../ts/gguf/index.ts";
import { SYNTH_SHAPES, synthesizeModel } from "../../ts/model/synth.ts";

interface GreedyRecord {
  model: string;
  prompt: string;
  n_predict: number;
  output: string;
}

const records: GreedyRecord[] = readFileSync(join(import.meta.dir, "..", "fixtures", "reference", "llamacpp-greedy.jsonl"), "utf8")
  .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as GreedyRecord);

/** Prompt + 64 greedy tokens as text (trailing whitespace trimmed), as llama.cpp wrote it for `model`. */
export function llamaCppGreedy(model: string, prompt: string): string {
  const r = records.find((x) => x.model === model && x.prompt === prompt);
  if (!r) throw new Error(`no llama.cpp reference for ${model} / ${prompt}`);
  return r.output;
}

export const REFERENCE_PROMPTS = ["In the beginning God created", "And the LORD said unto Moses,", "Blessed are the"];

let synthetic: string | null = null;

/** A random-weight Llama with a 512-token vocabulary and no chat template (written once per process). */
export function tinySyntheticModel(): string {
  if (synthetic) return synthetic;
  synthetic = join(mkdtempSync(join(tmpdir(), "ingot-api-")), "tiny.gguf");
  synthesizeModel(synthetic, { shape: SYNTH_SHAPES.tiny!, typeOf: () => GgmlType.F16, fileType: 1 });
  return synthetic;
}
