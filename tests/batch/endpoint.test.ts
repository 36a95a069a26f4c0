/**
 * `ingot batch --endpoint` against a real `ingot serve` on loopback: the same records as a local run
 * (texts, token ids, usage; seeded sampling included), error records for bad lines and for requests
 * the server refuses, an API key, and resuming.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IngotServer } from "../../ts/server/server.ts";
import { demoModel, ingot, MODEL_TEST_TIMEOUT_MS, PROMPTS, readRecords, recordIdentity, REPO } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "ingot-endpoint-"));
const MIXED = join(REPO, "tests/fixtures/batch/mixed.jsonl");
let server: IngotServer;

beforeAll(() => {
  server = IngotServer.start(demoModel(), { port: 0, slots: 4, contextLength: 80, apiKey: "batch-key" });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Rec = Record<string, unknown>;
const byIdentity = (records: Rec[]) => new Map(records.map((r) => [recordIdentity(r), r]));

describe("ingot batch --endpoint", () => {
  test("gives the local run's records, error records included, and resumes", async () => {
    const local = join(dir, "local.jsonl"), remote = join(dir, "remote.jsonl");
    const common = ["--seed", "5", "-t", "2", "--json"];
    expect((await ingot(["batch", MIXED, "-o", local, "--ctx", "80", ...common])).code).toBe(0);
    const run = await ingot(["batch", MIXED, "-o", remote, "--endpoint", server.url, "--api-key", "batch-key", ...common]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ lines: 11, written: 11, errors: 6 });

    const l = byIdentity(await readRecords(local)), r = byIdentity(await readRecords(remote));
    expect([...r.keys()].sort()).toEqual([...l.keys()].sort());
    for (const [key, rec] of l) {
      const other = r.get(key)!;
      if (rec.error) {
        expect(other.error).toBeDefined();
        // Bad lines are caught before any request; the server refuses the over-long prompt itself.
        const code = (other.error as { code: string }).code;
        expect(code).toBe(key === '"long"' ? "REMOTE_ERROR" : (rec.error as { code: string }).code);
        if (key === '"long"') expect((other.error as { message: string }).message).toContain("400");
      } else {
        expect(other).toEqual(rec);
      }
    }

    const again = await ingot(["batch", MIXED, "-o", remote, "--endpoint", server.url, "--api-key", "batch-key", ...common]);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: 11, written: 0 });
  }, MODEL_TEST_TIMEOUT_MS);

  test("seeded sampling at temperature 0.8 matches the local run item for item", async () => {
    const input = join(dir, "prompts.jsonl");
    writeFileSync(input, PROMPTS.map((p, i) => JSON.stringify({ id: i, prompt: p, seed: 100 + i })).join("\n"));
    const args = ["--temp", "0.8", "-n", "16", "--ignore-eos", "-t", "2"];
    const local = join(dir, "p-local.jsonl"), remote = join(dir, "p-remote.jsonl");
    expect((await ingot(["batch", input, "-o", local, "--parallel", "1", ...args])).code).toBe(0);
    expect((await ingot(["batch", input, "-o", remote, "--parallel", "6", "--endpoint", `${server.url}/v1`, "--api-key", "batch-key", ...args])).code).toBe(0);
    const texts = async (path: string) => Object.fromEntries((await readRecords(path)).map((x) => [x.id as number, x.tokens]));
    expect(await texts(remote)).toEqual(await texts(local));
  }, MODEL_TEST_TIMEOUT_MS);

  test("a wrong API key gives every item an error record naming the 401", async () => {
    const input = join(dir, "one.jsonl");
    writeFileSync(input, '{"id": "a", "prompt": "Blessed are the", "max_tokens": 2}\n');
    const out = join(dir, "denied.jsonl");
    const run = await ingot(["batch", input, "-o", out, "--endpoint", server.url, "-m", server.modelId, "--api-key", "nope", "--json"]);
    expect(run.code).toBe(0);
    const [rec] = await readRecords(out);
    expect(rec).toMatchObject({ id: "a", error: { code: "REMOTE_ERROR" } });
    expect((rec!.error as { message: string }).message).toContain("401");
  }, MODEL_TEST_TIMEOUT_MS);
});
