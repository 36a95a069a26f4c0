/**
 * `ingot serve` refusing what it should, in OpenAI's error shape and status codes: malformed bodies,
 * bad fields, unknown models, oversized bodies, prompts longer than the context, a missing API key;
 * and accepting a huge max_tokens by stopping at the full context.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { IngotServer } from "../../ts/server/server.ts";
import { demoModel, MODEL_TEST_TIMEOUT_MS } from "../batch/helpers.ts";

const model = demoModel();
const CONTEXT = 96;
let server: IngotServer;
let keyed: IngotServer;

beforeAll(() => {
  server = IngotServer.start(model, { port: 0, slots: 2, contextLength: CONTEXT, maxBodyBytes: 4096 });
  keyed = IngotServer.start(model, { port: 0, slots: 1, contextLength: CONTEXT, apiKey: "sesame" });
});
afterAll(async () => {
  await server.stop();
  await keyed.stop();
});

async function post(path: string, body: string | object, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as { error?: { message: string; type: string; param: string | null; code: string | null } }) : null };
}

describe("ingot serve request validation", () => {
  test.each([
    ["not JSON", "{\"messages\": [", null, "invalid_json"],
    ["an array body", "[1, 2]", null, "invalid_value"],
    ["no messages", { max_tokens: 3 }, "messages", "invalid_value"],
    ["empty messages", { messages: [] }, "messages", "invalid_value"],
    ["a message without role", { messages: [{ content: "hi" }] }, "messages", "invalid_value"],
    ["a string temperature", { messages: [{ role: "user", content: "hi" }], temperature: "hot" }, "temperature", "invalid_value"],
    ["a negative max_tokens", { messages: [{ role: "user", content: "hi" }], max_tokens: -1 }, "max_tokens", "invalid_value"],
    ["a fractional max_tokens", { messages: [{ role: "user", content: "hi" }], max_tokens: 1.5 }, "max_tokens", "invalid_value"],
    ["n = 2", { messages: [{ role: "user", content: "hi" }], n: 2 }, "n", "invalid_value"],
    ["stop as a number", { messages: [{ role: "user", content: "hi" }], stop: 5 }, "stop", "invalid_value"],
    ["logit_bias outside the vocabulary", { messages: [{ role: "user", content: "hi" }], logit_bias: { "99999": 1 } }, "logit_bias", "invalid_value"],
    ["an image content part", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }, null, "invalid_value"],
  ])("chat with %s → 400 in OpenAI's shape", async (_name, body, param, code) => {
    const res = await post("/v1/chat/completions", body);
    expect(res.status).toBe(400);
    expect(res.body!.error).toMatchObject({ type: "invalid_request_error", param, code });
    expect(res.body!.error!.message.length).toBeGreaterThan(5);
    expect(Object.keys(res.body!.error!).sort()).toEqual(["code", "message", "param", "type"]);
  });

  test("text completions: missing prompt, several prompts, echo → 400", async () => {
    for (const body of [{ max_tokens: 2 }, { prompt: ["a", "b"] }, { prompt: "a", echo: true }, { prompt: "" }]) {
      const res = await post("/v1/completions", body);
      expect(res.status).toBe(400);
      expect(res.body!.error!.type).toBe("invalid_request_error");
    }
  });

  test("an unknown model is a 404 model_not_found (openai client: NotFoundError)", async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
    const err = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).param).toBe("model");
  });

  test("a body over the limit is a 413", async () => {
    const res = await post("/v1/completions", { prompt: "x".repeat(5000), max_tokens: 1 });
    expect(res.status).toBe(413);
    expect(res.body!.error!.code).toBe("request_too_large");
    const huge = await fetch(`${server.url}/v1/completions`, { method: "POST", body: "x".repeat(100_000) });
    expect(huge.status).toBe(413);
  });

  test("a prompt longer than the context is a 400 context_length_exceeded (openai client: BadRequestError)", async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x", maxRetries: 0 });
    const err = await client.completions.create({ model: server.modelId, prompt: "And the LORD said unto Moses, ".repeat(20), max_tokens: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("context_length_exceeded");
  });

  test("a huge max_tokens generates until the context is full", async () => {
    const res = await post("/v1/completions", { prompt: "Blessed are the", max_tokens: 1_000_000_000, temperature: 0, ignore_eos: true });
    expect(res.status).toBe(200);
    const body = res.body as unknown as { choices: { finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(body.choices[0]!.finish_reason).toBe("length");
    expect(body.usage.prompt_tokens).toBe(3);
    expect(body.usage.completion_tokens).toBe(CONTEXT - 3 + 1);
  }, MODEL_TEST_TIMEOUT_MS);

  test("unknown routes are 404s in the same shape", async () => {
    const res = await fetch(`${server.url}/v1/engines`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  test("with an API key, /v1 needs 'Authorization: Bearer <key>' and /health does not", async () => {
    const wrong = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "open", maxRetries: 0 });
    const err = await wrong.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
    const none = await fetch(`${keyed.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect((await fetch(`${keyed.url}/health`)).status).toBe(200);

    const right = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: "sesame", maxRetries: 0 });
    const answer = await right.completions.create({ model: keyed.modelId, prompt: "Blessed are the", max_tokens: 3, temperature: 0 });
    expect(answer.choices[0]!.text).toBe(" LORD thy God");
  }, MODEL_TEST_TIMEOUT_MS);

  test("text content parts are joined like a plain string", async () => {
    const base = { max_tokens: 8, temperature: 0 };
    const parts = await post("/v1/chat/completions", { ...base, messages: [{ role: "user", content: [{ type: "text", text: "Who made " }, { type: "text", text: "the heaven?" }] }] });
    const plain = await post("/v1/chat/completions", { ...base, messages: [{ role: "user", content: "Who made the heaven?" }] });
    expect(parts.status).toBe(200);
    expect(parts.body).toMatchObject({ choices: [{ message: (plain.body as unknown as { choices: { message: object }[] }).choices[0]!.message }] });
  }, MODEL_TEST_TIMEOUT_MS);
});
