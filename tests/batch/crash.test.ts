/**
 * Crash safety of `ingot batch`: SIGKILL a run part-way, check the output holds only complete, unique
 * records, rerun, and check the union is complete, without duplicates, and equal to an uninterrupted
 * run's records. A torn last line (an interrupted write) is repaired on resume.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingot, MODEL_TEST_TIMEOUT_MS, PROMPTS, readRecords, REPO } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ingot-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ITEMS = 24;
const input = join(dir, "in.jsonl");
writeFileSync(input, Array.from({ length: ITEMS }, (_, i) => JSON.stringify({ id: `item-${i}`, prompt: PROMPTS[i % PROMPTS.length], seed: i })).join("\n"));
const ARGS = ["--parallel", "4", "-n", "24", "--ignore-eos", "--temp", "0.8", "-t", "2"];

async function lineCount(path: string): Promise<number> {
  const f = Bun.file(path);
  return (await f.exists()) ? (await f.text()).split("\n").length - 1 : 0;
}

describe("ingot batch crash safety", () => {
  test("SIGKILL mid-run loses only items in flight; a rerun completes the output exactly once per id", async () => {
    const out = join(dir, "killed.jsonl");
    const child = Bun.spawn(["bun", join(REPO, "ts/cli/main.ts"), "batch", input, "-o", out, ...ARGS], { cwd: REPO, stdout: "ignore", stderr: "ignore" });
    const deadline = Date.now() + 120_000;
    while ((await lineCount(out)) < 6 && Date.now() < deadline) await Bun.sleep(20);
    child.kill("SIGKILL");
    await child.exited;

    const partial = await readRecords(out); // throws on a partial line
    expect(partial.length).toBeGreaterThanOrEqual(6);
    expect(partial.length).toBeLessThan(ITEMS);
    expect(new Set(partial.map((r) => r.id)).size).toBe(partial.length);

    // A torn write (as after a power loss) must be cut off, not kept or duplicated.
    appendFileSync(out, '{"id":"item-23","text":"tor');
    const resumed = await ingot(["batch", input, "-o", out, ...ARGS, "--json"]);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ lines: ITEMS, skipped: partial.length, written: ITEMS - partial.length, errors: 0 });

    const all = await readRecords(out);
    expect(all.length).toBe(ITEMS);
    expect(new Set(all.map((r) => r.id)).size).toBe(ITEMS);
    expect(all.slice(0, partial.length)).toEqual(partial); // what was there is kept as it was

    // Every record equals the one an uninterrupted run writes (per-item seeds: order does not matter).
    const clean = join(dir, "clean.jsonl");
    expect((await ingot(["batch", input, "-o", clean, ...ARGS])).code).toBe(0);
    const byId = (records: Record<string, unknown>[]) => Object.fromEntries(records.map((r) => [r.id as string, [r.text, r.tokens]]));
    expect(byId(all)).toEqual(byId(await readRecords(clean)));
  }, MODEL_TEST_TIMEOUT_MS);
});
