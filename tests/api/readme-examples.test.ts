/**
 * The README's library examples, run as written (only `from "ingot"` is pointed at ts/index.ts), each
 * in its own process, with what they print checked against llama.cpp's greedy continuations and the
 * tokenizer's own arithmetic.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { DEMO_MODEL } from "../../ts/model/demo.ts";
import { Model } from "../../ts/model/model.ts";
import { llamaCppGreedy } from "./reference.ts";

const repo = join(import.meta.dir, "..", "..");
const T = MODEL_TEST_TIMEOUT_MS;

/** Code blocks marked `<!-- example: name -->` in README.md's Library section. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const examples = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)) examples.set(m[1]!, m[2]!);
  return examples;
}

const examples = readmeExamples();
const dir = mkdtempSync(join(tmpdir(), "ingot-readme-"));

async function runExample(name: string): Promise<{ stdout: string; stderr: string; code: number }> {
  const code = examples.get(name);
  if (code === undefined) throw new Error(`README.md has no example '${name}'`);
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, code.replaceAll('from "ingot"', `from ${JSON.stringify(join(repo, "ts", "index.ts"))}`));
  const proc = Bun.spawn(["bun", file], { cwd: repo, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exit] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (exit !== 0) throw new Error(`example '${name}' failed (${exit}):\n${stderr}`);
  return { stdout, stderr, code: exit };
}

describe("README library examples", () => {
  test("the README holds the five examples this file checks", () => {
    expect([...examples.keys()].sort()).toEqual(["abort", "chat", "generate", "low-level", "speculative"]);
  });

  test("generate: streams llama.cpp's greedy continuation", async () => {
    const r = await runExample("generate");
    const prompt = "In the beginning God created";
    expect(prompt + r.stdout.trimEnd()).toBe(llamaCppGreedy("kjv-target-q4_k_m.gguf", prompt));
    expect(r.stderr).toContain("length: 64 tokens, 5 prefilled");
  }, T);

  test("chat: the second turn prefills only what the first did not leave in the cache", async () => {
    const r = await runExample("chat");
    const turns = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { answer: string; promptTokens: number; reused: number; prefilled: number });
    expect(turns).toHaveLength(2);
    const [first, second] = turns as [typeof turns[0], typeof turns[0]];
    expect(first.reused).toBe(0);
    expect(first.prefilled).toBe(first.promptTokens);
    // Turn 2's prompt = turn 1's prompt + its 24 answer tokens + the newly rendered text. The cache holds
    // all of that but the last answer token (sampled, never run), so exactly new text + 1 is prefilled.
    const tokenizer = Model.load(DEMO_MODEL).tokenizer;
    const added = tokenizer.encode("<|im_end|>\n<|im_start|>user\nAnd what of the earth?<|im_end|>\n<|im_start|>assistant\n", { addSpecial: false, parseSpecial: true });
    expect(second.promptTokens).toBe(first.promptTokens + 24 + added.length);
    expect(second.reused).toBe(first.promptTokens + 24 - 1);
    expect(second.prefilled).toBe(added.length + 1);
    expect(first.answer.length).toBeGreaterThan(0);
  }, T);

  test("abort: tokenize round-trips, and a timeout signal stops a 1000-token generation early", async () => {
    const r = await runExample("abort");
    const lines = r.stdout.split("\n");
    const head = JSON.parse(lines[0]!) as { ids: number[]; text: string };
    expect(head.text).toBe("And God said");
    expect(head.ids).toEqual(Model.load(DEMO_MODEL).tokenizer.encode("And God said"));
    const tail = /^abort after (\d+) tokens$/.exec(lines.at(-2)!);
    expect(tail).not.toBeNull();
    expect(Number(tail![1])).toBeLessThan(1000);
  }, T);

  test("speculative: draft model + lookup produce llama.cpp's greedy text", async () => {
    const r = await runExample("speculative");
    const lines = r.stdout.trimEnd().split("\n");
    const acceptance = lines.pop()!;
    const text = lines.join("\n");
    const prompt = "And the LORD said unto Moses,";
    expect(prompt + text.trimEnd()).toBe(llamaCppGreedy("kjv-target-q4_k_m.gguf", prompt));
    const m = /^accepted (\d+) of (\d+) drafts$/.exec(acceptance);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThanOrEqual(Number(m![2]));
  }, T);

  test("low-level: the first 32 greedy tokens are the start of llama.cpp's continuation", async () => {
    const r = await runExample("low-level");
    const prompt = "In the beginning God created";
    const reference = llamaCppGreedy("kjv-target-q4_k_m.gguf", prompt);
    expect(r.stdout.length).toBeGreaterThan(40);
    expect(reference.startsWith(prompt + r.stdout)).toBe(true);
  }, T);
});
