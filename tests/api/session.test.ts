/**
 * The library API's sessions on the demo target: greedy output against llama.cpp's, streaming chunks
 * that add up to the result, prefix reuse counted exactly, every sampling and speculative option
 * reaching the engine, and aborts from a signal, a timer and an early `break`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEMO_DRAFT, DEMO_MODEL, IngotError, loadModel, type IngotModel } from "../../ts/index.ts";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { llamaCppGreedy, REFERENCE_PROMPTS, tinySyntheticModel } from "./reference.ts";

const T = MODEL_TEST_TIMEOUT_MS;
let model: IngotModel;
let draft: IngotModel;

beforeAll(async () => {
  model = await loadModel(DEMO_MODEL);
  draft = await loadModel(DEMO_DRAFT);
});
afterAll(() => {
  model.dispose();
  draft.dispose();
});

describe("Session.generate", () => {
  test("greedy text equals llama.cpp's for every reference prompt, and the chunks add up to the result", async () => {
    using session = model.createSession({ contextLength: 256 });
    for (const prompt of REFERENCE_PROMPTS) {
      const generation = session.generate(prompt, { temperature: 0, maxTokens: 64 });
      let text = "";
      const tokens: number[] = [];
      for await (const chunk of generation) {
        text += chunk.text;
        tokens.push(...chunk.tokens);
      }
      const result = await generation.result;
      expect(prompt + result.text.trimEnd()).toBe(llamaCppGreedy("kjv-target-q4_k_m.gguf", prompt));
      expect(text).toBe(result.text);
      expect(tokens).toEqual(result.tokens);
      expect(result.tokens).toHaveLength(64);
      expect(result.finishReason).toBe("length");
      expect(model.detokenize(result.tokens)).toBe(result.text);
    }
  }, T);

  test("awaiting result without iterating runs the generation; token-id prompts work like text", async () => {
    using session = model.createSession({ contextLength: 256 });
    const prompt = REFERENCE_PROMPTS[1]!;
    const fromText = await session.generate(prompt, { temperature: 0, maxTokens: 16 }).result;
    session.reset();
    const fromIds = await session.generate(model.tokenize(prompt), { temperature: 0, maxTokens: 16 }).result;
    expect(fromIds.tokens).toEqual(fromText.tokens);
    expect(llamaCppGreedy("kjv-target-q4_k_m.gguf", prompt).startsWith(prompt + fromText.text)).toBe(true);
  }, T);

  test("a prompt extending the cached tokens prefills only the new ones", async () => {
    using session = model.createSession({ contextLength: 256 });
    const first = await session.generate("In the beginning God created", { temperature: 0, maxTokens: 8 }).result;
    expect(first.stats.prefillTokens).toBe(first.stats.promptTokens);
    const cached = [...session.cachedTokens];
    // The cache holds the prompt and every generated token but the last (sampled, never run).
    expect(cached).toEqual([...model.tokenize("In the beginning God created"), ...first.tokens.slice(0, -1)]);
    const more = model.tokenize(" and the earth");
    const second = await session.generate([...cached, ...more], { temperature: 0, maxTokens: 8 }).result;
    expect(second.stats.prefillTokens).toBe(more.length);
    expect(second.stats.promptTokens).toBe(cached.length + more.length);
    // Reuse is invisible in the output: a fresh session gives the same tokens.
    using fresh = model.createSession({ contextLength: 256 });
    const again = await fresh.generate([...cached, ...more], { temperature: 0, maxTokens: 8 }).result;
    expect(again.tokens).toEqual(second.tokens);
  }, T);

  test("a stop string ends the text just before it, with finish reason 'stop'", async () => {
    using session = model.createSession({ contextLength: 256 });
    const prompt = "In the beginning God created";
    const reference = llamaCppGreedy("kjv-target-q4_k_m.gguf", prompt).slice(prompt.length);
    const r = await session.generate(prompt, { temperature: 0, maxTokens: 64, stop: ["LORD"] }).result;
    expect(r.finishReason).toBe("stop");
    expect(r.text).toBe(reference.slice(0, reference.indexOf("LORD")));
  }, T);

  test("sampling options reach the sampler: a seed reproduces, a logit bias bans a token", async () => {
    using session = model.createSession({ contextLength: 256 });
    const opts = { temperature: 0.9, topK: 20, topP: 0.9, minP: 0.02, repeatPenalty: 1.1, seed: 42, maxTokens: 24 };
    const a = await session.generate("Blessed are the", opts).result;
    const b = await session.generate("Blessed are the", opts).result;
    expect(b.tokens).toEqual(a.tokens);
    const greedy = await session.generate("Blessed are the", { temperature: 0, maxTokens: 1 }).result;
    const banned = greedy.tokens[0]!;
    const biased = await session.generate("Blessed are the", { temperature: 0, maxTokens: 1, logitBias: { [banned]: -Infinity } }).result;
    expect(biased.tokens[0]).not.toBe(banned);
  }, T);

  test("speculative decoding (draft model, lookup, both) gives plain greedy's tokens and reports drafting", async () => {
    using session = model.createSession({ contextLength: 256, draftMax: 6 });
    const prompt = REFERENCE_PROMPTS[0]!;
    const plain = await session.generate(prompt, { temperature: 0, maxTokens: 48 }).result;
    for (const speculative of [{ draft }, { lookup: true }, { draft, lookup: true, draftLength: 3 }]) {
      session.reset();
      const r = await session.generate(prompt, { temperature: 0, maxTokens: 48, speculative }).result;
      expect(r.tokens).toEqual(plain.tokens);
      expect(r.stats.speculative).toBeDefined();
      expect(r.stats.speculative!.accepted).toBeLessThanOrEqual(r.stats.speculative!.drafted);
    }
    expect(plain.stats.speculative).toBeUndefined();
  }, T);

  test("a draft with another vocabulary is refused", async () => {
    using other = await loadModel(tinySyntheticModel());
    using session = model.createSession({ contextLength: 64 });
    const error = await session.generate("In", { maxTokens: 2, speculative: { draft: other } }).result.catch((e) => e);
    expect(error).toBeInstanceOf(IngotError);
    expect((error as IngotError).code).toBe("MODEL_MISMATCH");
  }, T);
});

describe("aborting", () => {
  test("an AbortSignal aborted after 5 chunks stops at 5 tokens", async () => {
    using session = model.createSession({ contextLength: 256 });
    const controller = new AbortController();
    const generation = session.generate("And God said", { temperature: 0, maxTokens: 200, ignoreEos: true, signal: controller.signal });
    let chunks = 0;
    for await (const _ of generation) if (++chunks === 5) controller.abort();
    const r = await generation.result;
    expect(r.finishReason).toBe("abort");
    expect(r.tokens).toHaveLength(5);
  }, T);

  test("a timer fires while a generation streams (the path Ctrl-C takes in `ingot chat`)", async () => {
    using session = model.createSession({ contextLength: 1024 });
    const controller = new AbortController();
    let firstChunkAt = 0;
    const generation = session.generate("And God said", { temperature: 0, maxTokens: 1000, ignoreEos: true, signal: controller.signal });
    let chunks = 0;
    for await (const _ of generation) {
      if (chunks++ === 0) {
        firstChunkAt = performance.now();
        setTimeout(() => controller.abort(), 20);
      }
    }
    const r = await generation.result;
    expect(r.finishReason).toBe("abort");
    expect(r.tokens.length).toBeGreaterThan(0);
    expect(r.tokens.length).toBeLessThan(1000);
    expect(performance.now() - firstChunkAt).toBeLessThan(5000);
  }, T);

  test("leaving `for await` early aborts, settles the result and frees the session", async () => {
    using session = model.createSession({ contextLength: 256 });
    const generation = session.generate("And God said", { temperature: 0, maxTokens: 100 });
    let n = 0;
    for await (const _ of generation) if (++n === 3) break;
    const r = await generation.result;
    expect(r.finishReason).toBe("abort");
    expect(r.tokens).toHaveLength(3);
    const next = await session.generate("And God said", { temperature: 0, maxTokens: 3 }).result;
    expect(next.tokens).toEqual(r.tokens);
  }, T);

  test("an already-aborted signal generates nothing", async () => {
    using session = model.createSession({ contextLength: 64 });
    const r = await session.generate("And", { signal: AbortSignal.abort(), maxTokens: 10 }).result;
    expect(r.finishReason).toBe("abort");
    expect(r.tokens).toEqual([]);
  }, T);

  test("two generations at once on one session: the second is refused with SESSION_BUSY", async () => {
    using session = model.createSession({ contextLength: 256 });
    const first = session.generate("And God said", { temperature: 0, maxTokens: 20 });
    const it = first[Symbol.asyncIterator]();
    await it.next();
    const error = await session.generate("Blessed", { maxTokens: 2 }).result.catch((e) => e);
    expect((error as IngotError).code).toBe("SESSION_BUSY");
    await it.return?.();
    expect((await first.result).finishReason).toBe("abort");
  }, T);
});
