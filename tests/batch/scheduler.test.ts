/**
 * The scheduler against outside references (llama.cpp's greedy continuations) and against the plain
 * single-sequence generation path: batching several sequences into one forward pass must not change
 * any sequence's tokens, at temperature 0 or with a seeded sampler.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { drain } from "../../ts/speculative/runner.ts";
import { generate } from "../../ts/generate/generate.ts";
import { Sequence } from "../../ts/generate/sequence.ts";
import { PromptEncoder, Scheduler, type JobResult } from "../../ts/scheduler/index.ts";
import { continuation, demoModel, demoReferences, MODEL_TEST_TIMEOUT_MS, PROMPTS } from "./helpers.ts";

const model = demoModel();
const prompts = new PromptEncoder(model);
const encode = (text: string) => prompts.encode({ prompt: text });
const schedulers: Scheduler[] = [];
const scheduler = (opts: ConstructorParameters<typeof Scheduler>[1]) => {
  const s = new Scheduler(model, opts);
  schedulers.push(s);
  return s;
};
afterAll(async () => {
  for (const s of schedulers) await s.close();
});

/** Plain single-sequence generation (ts/generate) of the same request: the reference for batching. */
function plain(prompt: number[], opts: Parameters<typeof generate>[3]) {
  using ctx = model.createContext({ contextLength: 256, batchCapacity: 512, outputCapacity: 1 });
  return drain(generate(model.tokenizer, new Sequence(ctx), prompt, opts));
}

describe("scheduler", () => {
  test("greedy continuations equal llama.cpp's, with 4 slots, 2 slots (queueing) and tiny prefill chunks", async () => {
    const refs = await demoReferences();
    expect(refs.length).toBe(3);
    for (const opts of [{ slots: 4 }, { slots: 2 }, { slots: 3, batchCapacity: 3 }]) {
      const s = scheduler({ ...opts, contextLength: 128 });
      const jobs = refs.map((r) => s.submit({ prompt: encode(r.prompt), maxTokens: 64, temperature: 0 }));
      const results = await Promise.all(jobs.map((j) => j.result));
      results.forEach((res, i) => {
        expect((refs[i]!.prompt + res.text).trimEnd()).toBe(refs[i]!.output);
        expect(res.tokens.length).toBe(64);
        expect(res.finishReason).toBe("length");
      });
    }
  }, MODEL_TEST_TIMEOUT_MS);

  test("seeded sampling at temperature 0.8 gives the plain path's tokens for every slot count", async () => {
    const requests = PROMPTS.map((p, i) => ({ prompt: encode(p), maxTokens: 24, temperature: 0.8, seed: 1000 + i, ignoreEos: true }));
    const expected = requests.map((r) => plain(r.prompt, r).tokens);
    for (const slots of [1, 3, 8]) {
      const s = scheduler({ slots, contextLength: 128 });
      const results = await Promise.all(requests.map((r) => s.submit(r).result));
      expect(results.map((r) => r.tokens)).toEqual(expected);
    }
    // Different seeds really give different samples (the comparison above is not vacuous).
    expect(new Set(expected.map((t) => t.join(","))).size).toBe(PROMPTS.length);
  }, MODEL_TEST_TIMEOUT_MS);

  test("a stop string ends the text where llama.cpp's continuation has it", async () => {
    const ref = (await demoReferences()).find((r) => r.prompt === "Blessed are the")!;
    const s = scheduler({ slots: 2, contextLength: 128 });
    const r = await s.submit({ prompt: encode(ref.prompt), maxTokens: 64, temperature: 0, stop: ["\n"] }).result;
    expect(r.finishReason).toBe("stop");
    expect(r.text).toBe(continuation(ref).split("\n")[0]!);
  }, MODEL_TEST_TIMEOUT_MS);

  test("streamed chunks add up to the result", async () => {
    const s = scheduler({ slots: 2, contextLength: 128 });
    const job = s.submit({ prompt: encode("And it came to pass"), maxTokens: 30, temperature: 0.7, seed: 7 });
    let text = "";
    const tokens: number[] = [];
    for await (const c of job.chunks()) {
      text += c.text;
      tokens.push(...c.tokens);
    }
    const r = await job.result;
    expect(r.tokens.length).toBeGreaterThan(0);
    expect(text).toBe(r.text);
    expect(tokens).toEqual(r.tokens);
    expect(model.tokenizer.decode(r.tokens)).toBe(r.text);
  }, MODEL_TEST_TIMEOUT_MS);

  test("a full context ends generation with 'length' after contextLength − prompt + 1 tokens", async () => {
    const s = scheduler({ slots: 2, contextLength: 32 });
    const prompt = encode("In the beginning God created");
    const r = await s.submit({ prompt, maxTokens: 1_000_000, temperature: 0, ignoreEos: true }).result;
    expect(r.finishReason).toBe("length");
    // The last sampled token is never fed back, so it needs no cache position.
    expect(r.tokens.length).toBe(32 - prompt.length + 1);
  }, MODEL_TEST_TIMEOUT_MS);

  test("a prompt longer than the context fails alone with CONTEXT_OVERFLOW", async () => {
    const s = scheduler({ slots: 2, contextLength: 16 });
    const long = s.submit({ prompt: encode("And the LORD said unto Moses, ".repeat(6)), maxTokens: 4 });
    const ok = s.submit({ prompt: encode("Blessed are the"), maxTokens: 4, temperature: 0 });
    expect(long.result).rejects.toMatchObject({ code: "CONTEXT_OVERFLOW" });
    const r = await ok.result;
    expect(r.text).toBe(" LORD thy God,");
  }, MODEL_TEST_TIMEOUT_MS);

  test("cancelling frees the slot and leaves the other sequences' tokens unchanged", async () => {
    const refs = await demoReferences();
    const s = scheduler({ slots: 2, contextLength: 256 });
    const doomed = s.submit({ prompt: encode("Thou shalt not"), maxTokens: 200, temperature: 0, ignoreEos: true });
    const others = refs.map((r) => s.submit({ prompt: encode(r.prompt), maxTokens: 64, temperature: 0 }));
    let seen = 0;
    for await (const c of doomed.chunks()) {
      seen += c.tokens.length;
      if (seen >= 5) break; // breaking out of the stream cancels the job
    }
    const cancelled = await doomed.result;
    expect(cancelled.finishReason).toBe("abort");
    expect(cancelled.tokens.length).toBeLessThan(200);
    const results: JobResult[] = await Promise.all(others.map((j) => j.result));
    results.forEach((r, i) => expect((refs[i]!.prompt + r.text).trimEnd()).toBe(refs[i]!.output));
    expect(s.activeCount).toBe(0);
    expect(s.queuedCount).toBe(0);
  }, MODEL_TEST_TIMEOUT_MS);

  test("an aborted signal cancels a queued request before it runs", async () => {
    const s = scheduler({ slots: 1, contextLength: 64 });
    const first = s.submit({ prompt: encode("Blessed are the"), maxTokens: 20, temperature: 0 });
    const controller = new AbortController();
    const queued = s.submit({ prompt: encode("Thou shalt not"), maxTokens: 20, signal: controller.signal });
    controller.abort();
    const r = await queued.result;
    expect(r.finishReason).toBe("abort");
    expect(r.tokens).toEqual([]);
    expect((await first.result).tokens.length).toBe(20);
  }, MODEL_TEST_TIMEOUT_MS);

  test("a repeated prompt reuses the cached prefix and gives the same tokens", async () => {
    const s = scheduler({ slots: 1, contextLength: 128 });
    const prompt = encode("And the LORD said unto Moses, Go");
    const a = await s.submit({ prompt, maxTokens: 16, temperature: 0 }).result;
    const b = await s.submit({ prompt, maxTokens: 16, temperature: 0 }).result;
    expect(a.stats.prefillTokens).toBe(prompt.length);
    expect(b.stats.prefillTokens).toBe(1); // only the last prompt token runs again, for its logits
    expect(b.tokens).toEqual(a.tokens);
  }, MODEL_TEST_TIMEOUT_MS);

  test("a full queue refuses with QUEUE_FULL; maxTokens 0 finishes at once", async () => {
    // Nothing is admitted before the loop's first step, so all three wait in the queue at once.
    const s = scheduler({ slots: 1, contextLength: 64, maxQueue: 2 });
    const a = s.submit({ prompt: encode("Blessed are the"), maxTokens: 8, temperature: 0 });
    const b = s.submit({ prompt: encode("Blessed are the"), maxTokens: 8, temperature: 0 });
    const c = s.submit({ prompt: encode("Blessed are the"), maxTokens: 8, temperature: 0 });
    expect(c.result).rejects.toMatchObject({ code: "QUEUE_FULL" });
    expect((await a.result).text).toBe((await b.result).text);
    const zero = await s.submit({ prompt: encode("Blessed are the"), maxTokens: 0 }).result;
    expect(zero).toMatchObject({ text: "", tokens: [], finishReason: "length" });
  }, MODEL_TEST_TIMEOUT_MS);
});
