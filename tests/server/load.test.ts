/**
 * `ingot serve` under load and when clients leave: 50 concurrent openai clients (streaming and not)
 * sharing 4 slots get the answers a lone request gets, the server ends with nothing running or queued
 * and no memory growth between rounds; a client that disconnects cancels its generation.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { IngotServer } from "../../ts/server/server.ts";
import { demoModel, MODEL_TEST_TIMEOUT_MS, PROMPTS } from "../batch/helpers.ts";

const model = demoModel();
let server: IngotServer;
let client: OpenAI;

beforeAll(() => {
  server = IngotServer.start(model, { port: 0, slots: 4, contextLength: 1024 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0, timeout: 300_000 });
});
afterAll(async () => {
  await server.stop();
});

async function health() {
  return (await (await fetch(`${server.url}/health`)).json()) as { slots: { active: number; queued: number; cancelled: number; finished: number } };
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(20);
  }
  return false;
}

/** Client i's request: prompts cycle, seeds differ, every other client streams. */
async function ask(i: number): Promise<string> {
  const request = { model: server.modelId, prompt: PROMPTS[i % PROMPTS.length]!, max_tokens: 12, temperature: 0.8, seed: i };
  if (i % 2 === 0) return (await client.completions.create(request)).choices[0]!.text;
  let text = "";
  for await (const chunk of await client.completions.create({ ...request, stream: true })) text += chunk.choices[0]?.text ?? "";
  return text;
}

describe("ingot serve under load", () => {
  test("50 concurrent clients get a lone request's answers; nothing stays running, queued or allocated", async () => {
    const CLIENTS = 50;
    // What each request gives alone, one at a time.
    const alone: string[] = [];
    for (let i = 0; i < 8; i++) alone.push(await ask(i));

    const heap: number[] = [];
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => ask(i)));
      for (let i = 0; i < 8; i++) expect(answers[i]).toBe(alone[i]!);
      expect(answers.every((a) => a.length > 0)).toBe(true);
      expect(await until(async () => (await health()).slots.active === 0, 5000)).toBe(true);
      expect((await health()).slots.queued).toBe(0);
      Bun.gc(true);
      heap.push(process.memoryUsage().heapUsed);
    }
    expect((await health()).slots.finished).toBe(8 + 2 * CLIENTS);
    // Two identical rounds: the JS heap after the second stays within 1 MB of the first (measured ~0.15 MB).
    expect(heap[1]! - heap[0]!).toBeLessThan(1024 * 1024);
  }, MODEL_TEST_TIMEOUT_MS);

  test("a streaming client that disconnects cancels its generation", async () => {
    const before = (await health()).slots.cancelled;
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "And it came to pass", max_tokens: 100_000, ignore_eos: true, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk: generation is under way
    controller.abort();
    expect(await until(async () => (await health()).slots.cancelled === before + 1, 10_000)).toBe(true);
    expect((await health()).slots.active).toBe(0);
  }, MODEL_TEST_TIMEOUT_MS);

  test("a non-streaming client that disconnects cancels its generation", async () => {
    const before = (await health()).slots.cancelled;
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "And it came to pass", max_tokens: 100_000, ignore_eos: true }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(await until(async () => (await health()).slots.active === 1, 10_000)).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await until(async () => (await health()).slots.cancelled === before + 1, 10_000)).toBe(true);
    expect((await health()).slots.active).toBe(0);
  }, MODEL_TEST_TIMEOUT_MS);
});
