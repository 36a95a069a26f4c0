/**
 * `ingot batch` end to end, as a subprocess: records against llama.cpp's greedy continuations, error
 * records for bad lines, resuming, retrying errors, the output lock, and --parallel not changing any
 * item's output.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { continuation, demoModel, demoReferences, ingot, MODEL_TEST_TIMEOUT_MS, PROMPTS, readRecords, recordIdentity, REPO } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ingot-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MIXED = join(REPO, "tests/fixtures/batch/mixed.jsonl");

describe("ingot batch", () => {
  const out = join(dir, "mixed.out.jsonl");

  test("writes one record per line: llama.cpp's continuations for greedy items, error records for bad lines", async () => {
    const run = await ingot(["batch", MIXED, "-o", out, "--ctx", "80", "--parallel", "3", "-t", "2", "--json"]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ lines: 11, skipped: 0, written: 11, errors: 6, aborted: false });

    const records = await readRecords(out);
    expect(records.length).toBe(11);
    expect(new Set(records.map(recordIdentity)).size).toBe(11);
    const byId = new Map(records.map((r) => [recordIdentity(r), r]));
    const refs = await demoReferences();
    const ref = (prompt: string) => refs.find((r) => r.prompt === prompt)!;
    const tok = demoModel().tokenizer;
    for (const [id, prompt] of [['"genesis"', "In the beginning God created"], ['"exodus"', "And the LORD said unto Moses,"], ["7", "Blessed are the"]] as const) {
      const r = byId.get(id)!;
      expect((prompt + (r.text as string)).trimEnd()).toBe(ref(prompt).output);
      expect(r.finish_reason).toBe("length");
      expect(r.tokens as number[]).toHaveLength(64);
      expect(tok.decode(r.tokens as number[])).toBe(r.text as string);
      expect(r.usage).toEqual({ prompt_tokens: tok.encode(prompt).length, completion_tokens: 64, total_tokens: tok.encode(prompt).length + 64 });
    }
    expect(byId.get('"line"')).toMatchObject({ finish_reason: "stop", text: continuation(ref("Blessed are the")).split("\n")[0] });
    expect((byId.get('"chat"')!.usage as { prompt_tokens: number }).prompt_tokens).toBe(
      tok.encode("<|im_start|>user\nWho made the heaven?<|im_end|>\n<|im_start|>assistant\n", { addSpecial: false, parseSpecial: true }).length,
    );

    const errors = records.filter((r) => r.error);
    expect(errors.map((r) => [recordIdentity(r), (r.error as { code: string }).code]).sort()).toEqual([
      ['"both"', "BAD_INPUT"], ['"long"', "CONTEXT_OVERFLOW"], ['"too-hot"', "BAD_INPUT"],
      ["line:3", "BAD_INPUT"], ["line:4", "BAD_INPUT"], ["line:5", "BAD_INPUT"],
    ]);
    expect((byId.get("line:5")!.error as { message: string }).message).toContain("repeats the id");
    for (const e of errors) expect(e).toMatchObject({ text: null, tokens: null, finish_reason: null, usage: null });
  }, MODEL_TEST_TIMEOUT_MS);

  test("a rerun skips every id already done and writes nothing", async () => {
    const before = await Bun.file(out).text();
    const run = await ingot(["batch", MIXED, "-o", out, "--ctx", "80", "-t", "2", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ lines: 11, skipped: 11, written: 0 });
    expect(await Bun.file(out).text()).toBe(before);
  }, MODEL_TEST_TIMEOUT_MS);

  test("--retry-errors replaces error records without duplicating any id", async () => {
    const retried = join(dir, "retried.jsonl");
    copyFileSync(out, retried);
    const run = await ingot(["batch", MIXED, "-o", retried, "--ctx", "256", "-t", "2", "--retry-errors", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ skipped: 5, written: 6, errors: 5 });
    const records = await readRecords(retried);
    expect(records.length).toBe(11);
    expect(new Set(records.map(recordIdentity)).size).toBe(11);
    const long = records.find((r) => r.id === "long")!;
    expect(long.error).toBeUndefined();
    expect(long.tokens as number[]).toHaveLength(4);
  }, MODEL_TEST_TIMEOUT_MS);

  test("refuses an output another live run holds, and takes over a stale lock", async () => {
    const locked = join(dir, "locked.jsonl");
    writeFileSync(`${locked}.lock`, String(process.pid));
    const refused = await ingot(["batch", MIXED, "-o", locked, "--ctx", "64", "-t", "2"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`another ingot batch (pid ${process.pid})`);
    expect(await Bun.file(locked).exists()).toBe(false);

    writeFileSync(`${locked}.lock`, "2147483646"); // no such process: a run that was killed
    const small = join(dir, "small.jsonl");
    writeFileSync(small, '{"id": 1, "prompt": "Blessed are the", "max_tokens": 3, "temperature": 0}\n');
    const ok = await ingot(["batch", small, "-o", locked, "-t", "2"]);
    expect(ok.code).toBe(0);
    expect((await readRecords(locked)).map((r) => r.text)).toEqual([" LORD thy God"]);
    expect(await Bun.file(`${locked}.lock`).exists()).toBe(false);
  }, MODEL_TEST_TIMEOUT_MS);

  test("--parallel 1 and 4 give identical items at temperature 0 and with a fixed seed at 0.8", async () => {
    const input = join(dir, "prompts.jsonl");
    writeFileSync(input, PROMPTS.map((p, i) => JSON.stringify({ id: i, prompt: p })).join("\n"));
    for (const temp of ["0", "0.8"]) {
      const texts: string[][] = [];
      for (const parallel of ["1", "4"]) {
        const o = join(dir, `prompts-${temp}-${parallel}.jsonl`);
        const run = await ingot(["batch", input, "-o", o, "--parallel", parallel, "--temp", temp, "--seed", "42", "-n", "24", "--ignore-eos", "-t", "2"]);
        expect(run.code).toBe(0);
        const records = await readRecords(o);
        expect(records.length).toBe(PROMPTS.length);
        texts.push(records.sort((a, b) => (a.id as number) - (b.id as number)).map((r) => r.text as string));
      }
      expect(texts[1]).toEqual(texts[0]!);
      expect(new Set(texts[0]).size).toBe(PROMPTS.length);
    }
  }, MODEL_TEST_TIMEOUT_MS);
});
