/** Paths and loaders for the outside reference data the engine is checked against. */
export { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { join } from "node:path";

const fixtures = join(import.meta.dir, "..", "fixtures");
const repo = join(import.meta.dir, "..", "..");

/** Where a model file from the reference set lives in the repository. */
export function modelPath(file: string): string {
  if (file === "kjv-target-q4_k_m.gguf" || file === "kjv-draft-q8_0.gguf") return join(repo, "models", file);
  return join(fixtures, "models", file);
}

export interface HfPrompt {
  ids: number[];
  last_logits: number[];
  argmax_per_pos: number[];
}

export async function hfLogits(model: string): Promise<Record<string, HfPrompt>> {
  return await Bun.file(join(fixtures, "reference", `hf-logits-${model}.json`)).json();
}

export interface GreedyReference {
  model: string;
  prompt: string;
  n_predict: number;
  output: string;
}

export async function llamacppGreedy(): Promise<GreedyReference[]> {
  const text = await Bun.file(join(fixtures, "reference", "llamacpp-greedy.jsonl")).text();
  return text.trim().split("\n").map((l) => JSON.parse(l) as GreedyReference);
}

export async function llamacppRevelation512(): Promise<Record<string, HfPrompt>> {
  return (await Bun.file(join(fixtures, "reference", "llamacpp-logits-revelation512.json")).json()).files;
}

export async function llamacppPerplexity(): Promise<Record<string, number>> {
  return (await Bun.file(join(fixtures, "reference", "llamacpp-perplexity.json")).json()).ppl;
}

export async function evalText(): Promise<string> {
  return await Bun.file(join(fixtures, "tokenizer", "eval-revelation.txt")).text();
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
