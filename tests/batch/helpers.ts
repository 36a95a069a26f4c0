/** Shared by the batch and server tests: the demo model, llama.cpp's greedy references for it, prompts. */
import { join } from "node:path";
import { Model } from "../../ts/model/model.ts";
import { DEMO_MODEL } from "../../ts/model/demo.ts";
import { llamacppGreedy, type GreedyReference } from "../engine/fixtures.ts";
export { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";

export const REPO = join(import.meta.dir, "..", "..");

let demo: Model | null = null;
export function demoModel(): Model {
  demo ??= Model.load(DEMO_MODEL, { threads: 2 });
  return demo;
}

/** llama.cpp's greedy continuations (64 tokens) of three prompts with the demo target. */
export async function demoReferences(): Promise<GreedyReference[]> {
  return (await llamacppGreedy()).filter((r) => r.model === "kjv-target-q4_k_m.gguf");
}

/** The continuation llama.cpp produced (its output is prompt + continuation, trailing whitespace trimmed). */
export function continuation(ref: GreedyReference): string {
  return ref.output.slice(ref.prompt.length);
}

export const PROMPTS = [
  "In the beginning God created",
  "And the LORD said unto Moses,",
  "Blessed are the",
  "And it came to pass",
  "Thou shalt not",
  "The LORD is my shepherd",
  "For God so loved",
  "Now the serpent was",
];

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bun ingot <args>` from the repository root. */
export async function ingot(args: string[]): Promise<CliRun> {
  const p = Bun.spawn(["bun", join(REPO, "ts/cli/main.ts"), ...args], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, stdout, stderr };
}

/** The records of a batch output file, checking that every line is one complete JSON object. */
export async function readRecords(path: string): Promise<Record<string, unknown>[]> {
  const text = await Bun.file(path).text();
  if (text && !text.endsWith("\n")) throw new Error(`${path} ends with a partial line`);
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A record's identity: its id, or its line for records without one. */
export function recordIdentity(r: Record<string, unknown>): string {
  return r.id === null ? `line:${r.line}` : JSON.stringify(r.id);
}
