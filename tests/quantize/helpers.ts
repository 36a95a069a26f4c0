/** Shared by the quantize tests: fixture paths, one quantization per (input, type) per run, a scratch dir. */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quantizeModel, type QuantizeSummary } from "../../ts/quantize/index.ts";

const ROOT = join(import.meta.dir, "../..");
export const MODELS = join(ROOT, "tests/fixtures/models");
export const TARGET_F16 = join(MODELS, "kjv-target-f16.gguf");
export const DRAFT_F16 = join(MODELS, "kjv-draft-f16.gguf");
export const DRAFT_Q8_0 = join(ROOT, "models/kjv-draft-q8_0.gguf");

/** llama-quantize's outputs for kjv-target-f16.gguf (q4_k_m lives in models/, as the demo model). */
export function llamaCppTarget(type: string): string {
  const file = `kjv-target-${type.toLowerCase()}.gguf`;
  return type === "Q4_K_M" ? join(ROOT, "models", file) : join(MODELS, file);
}

export const scratch = mkdtempSync(join(tmpdir(), "ingot-quantize-test-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

const done = new Map<string, { path: string; summary: QuantizeSummary }>();

/** Quantizes `input` to `type` once per test run and returns the output path and summary. */
export function quantizedOnce(input: string, type: string): { path: string; summary: QuantizeSummary } {
  const key = `${input}|${type}`;
  let r = done.get(key);
  if (!r) {
    const path = join(scratch, `${input.split("/").pop()!.replace(".gguf", "")}-${type}.gguf`);
    r = { path, summary: quantizeModel(input, path, { type }) };
    done.set(key, r);
  }
  return r;
}

/** Files in `dir`, to check that a failure left nothing behind (no output, no temp file). */
export function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** The greedy continuations llama.cpp produced (prompt + 64 tokens) for a reference model file. */
export async function llamaCppGreedy(model: string): Promise<{ prompt: string; output: string }[]> {
  const text = await Bun.file(join(ROOT, "tests/fixtures/reference/llamacpp-greedy.jsonl")).text();
  return text.trim().split("\n").map((l) => JSON.parse(l) as { model: string; prompt: string; output: string })
    .filter((r) => r.model === model);
}
