/**
 * `ingot serve` through the official `openai` npm client on loopback: models, chat and text
 * completions, streaming and not, checked against llama.cpp's greedy continuations and against the
 * scheduler run in-process on the same prompt.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { PromptEncoder, Scheduler } from "../../ts/scheduler/index.ts";
import { IngotServer } from "../../ts/server/server.ts";
import { continuation, demoModel, demoReferences, MODEL_TEST_TIMEOUT_MS } from "../batch/helpers.ts";

const model = demoModel();
let server: IngotServer;
let client: OpenAI;
const MODEL_ID = "kjv-target-q4_k_m";
const CHAT = [{ role: "system" as const, content: "Answer from the scriptures." }, { role: "user" as const, content: "Who made the heaven and the earth?" }];

beforeAll(() => {
  server = IngotServer.start(model, { port: 0, slots: 4, contextLength: 256 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await server.stop();
});

/** The same request run on a scheduler in this process: what the server must answer. */
async function direct(input: Parameters<PromptEncoder["encode"]>[0], opts: { maxTokens: number; temperature: number; seed?: number }) {
  const s = new Scheduler(model, { slots: 1, contextLength: 256 });
  try {
    const prompt = new PromptEncoder(model).encode(input);
    return { prompt, result: await s.submit({ prompt, ...opts }).result };
  } finally {
    await s.close();
  }
}

describe("ingot serve with the openai client", () => {
  test("lists and retrieves the model; /health reports the slots", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual([MODEL_ID]);
    expect((await client.models.retrieve(MODEL_ID)).id).toBe(MODEL_ID);
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toEqual({ status: "ok", model: MODEL_ID, slots: { total: 4, active: 0, queued: 0, finished: 0, cancelled: 0, failed: 0 } });
  });

  test("text completions equal llama.cpp's greedy continuations, with usage", async () => {
    const refs = await demoReferences();
    const answers = await Promise.all(refs.map((r) => client.completions.create({ model: MODEL_ID, prompt: r.prompt, max_tokens: 64, temperature: 0 })));
    answers.forEach((a, i) => {
      const ref = refs[i]!;
      expect(a.object).toBe("text_completion");
      expect(a.model).toBe(MODEL_ID);
      expect((ref.prompt + a.choices[0]!.text).trimEnd()).toBe(ref.output);
      expect(a.choices[0]!.finish_reason).toBe("length");
      const promptTokens = model.tokenizer.encode(ref.prompt).length;
      expect(a.usage).toMatchObject({ prompt_tokens: promptTokens, completion_tokens: 64, total_tokens: promptTokens + 64 });
    });
  }, MODEL_TEST_TIMEOUT_MS);

  test("chat completions render the model's template and answer as the scheduler does", async () => {
    const answer = await client.chat.completions.create({ model: MODEL_ID, messages: CHAT, max_tokens: 40, temperature: 0.8, seed: 1234 });
    const { prompt, result } = await direct({ messages: CHAT }, { maxTokens: 40, temperature: 0.8, seed: 1234 });
    expect(model.tokenizer.decode(prompt, { special: true })).toBe(
      "<|im_start|>system\nAnswer from the scriptures.<|im_end|>\n<|im_start|>user\nWho made the heaven and the earth?<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(answer.object).toBe("chat.completion");
    expect(answer.choices[0]!.message).toMatchObject({ role: "assistant", content: result.text });
    expect(answer.choices[0]!.finish_reason).toBe(result.finishReason === "stop" ? "stop" : "length");
    expect(answer.usage).toMatchObject({ prompt_tokens: prompt.length, completion_tokens: result.tokens.length });
    expect(result.tokens.length).toBeGreaterThan(0);
  }, MODEL_TEST_TIMEOUT_MS);

  test("streamed chat deltas add up to the non-streamed answer; include_usage adds a usage chunk", async () => {
    const request = { model: MODEL_ID, messages: CHAT, max_tokens: 30, temperature: 0.8, seed: 99 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    let text = "";
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    let first = true;
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (first) expect(choice.delta.role).toBe("assistant");
      first = false;
      text += choice.delta.content ?? "";
      finishes.push(choice.finish_reason);
    }
    expect(text).toBe(whole.choices[0]!.message.content!);
    expect(finishes.at(-1)).toBe(whole.choices[0]!.finish_reason);
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    expect(usage).toEqual(whole.usage!);
  }, MODEL_TEST_TIMEOUT_MS);

  test("streamed text completion equals llama.cpp's continuation; the stream ends with [DONE]", async () => {
    const ref = (await demoReferences()).find((r) => r.prompt === "And the LORD said unto Moses,")!;
    const stream = await client.completions.create({ model: MODEL_ID, prompt: ref.prompt, max_tokens: 64, temperature: 0, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text.trimEnd()).toBe(continuation(ref));

    const raw = await fetch(`${server.url}/v1/completions`, { method: "POST", body: JSON.stringify({ prompt: ref.prompt, max_tokens: 3, temperature: 0, stream: true }) });
    expect(raw.headers.get("content-type")).toStartWith("text/event-stream");
    const events = (await raw.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(events.every((e) => e.startsWith("data: "))).toBe(true);
  }, MODEL_TEST_TIMEOUT_MS);

  test("stop strings, token-id prompts and return_tokens", async () => {
    const ref = (await demoReferences()).find((r) => r.prompt === "Blessed are the")!;
    const ids = model.tokenizer.encode(ref.prompt);
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: ids, max_tokens: 64, temperature: 0, stop: "\n", return_tokens: true }),
    });
    const body = (await res.json()) as { choices: { text: string; finish_reason: string; tokens: number[] }[] };
    expect(body.choices[0].text).toBe(continuation(ref).split("\n")[0]);
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(model.tokenizer.decode(body.choices[0].tokens)).toBe(`${body.choices[0].text}\n`); // the stop string's token was sampled
  }, MODEL_TEST_TIMEOUT_MS);
});
