/**
 * `ingot batch --draft` / `--lookup`: speculative decoding through ts/speculative. At temperature 0
 * exact acceptance is greedy decoding token for token, so the records must equal llama.cpp's greedy
 * continuations.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoReferences, ingot, MODEL_TEST_TIMEOUT_MS, readRecords } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ingot-draft-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ingot batch with speculative decoding", () => {
  test("--draft and --lookup give llama.cpp's greedy continuations at temperature 0", async () => {
    const refs = await demoReferences();
    const input = join(dir, "in.jsonl");
    writeFileSync(input, refs.map((r, i) => JSON.stringify({ id: i, prompt: r.prompt, max_tokens: 64, temperature: 0 })).join("\n"));
    for (const flags of [["--draft", "models/kjv-draft-q8_0.gguf"], ["--lookup"]]) {
      const out = join(dir, `${flags[0]!.slice(2)}.jsonl`);
      const run = await ingot(["batch", input, "-o", out, ...flags, "-t", "2", "--json"]);
      expect(run.code).toBe(0);
      const records = await readRecords(out);
      expect(records.length).toBe(refs.length);
      for (const r of records) {
        const ref = refs[r.id as number]!;
        expect((ref.prompt + (r.text as string)).trimEnd()).toBe(ref.output);
        expect(r.tokens as number[]).toHaveLength(64);
      }
    }
  }, MODEL_TEST_TIMEOUT_MS);

  test("--draft with --endpoint is refused: the server decides how it decodes", async () => {
    const run = await ingot(["batch", join(dir, "in.jsonl"), "-o", join(dir, "x.jsonl"), "--endpoint", "http://127.0.0.1:9", "--draft", "models/kjv-draft-q8_0.gguf"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--draft and --lookup run locally");
  });
});
