/**
 * Loading and freeing through the library API: backend choice, load errors with their codes,
 * tokenize / detokenize / chat rendering against outside references, and deterministic disposal
 * (idempotent, `using`, `await using`, DISPOSED on every use afterwards, a model taking its sessions).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_MODEL, IngotError, loadModel, type IngotModel } from "../../ts/index.ts";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { tinySyntheticModel } from "./reference.ts";

const T = MODEL_TEST_TIMEOUT_MS;
const fixtures = join(import.meta.dir, "..", "fixtures");

async function codeOf(f: () => unknown): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    if (e instanceof IngotError) return e.code;
    throw e;
  }
  return undefined;
}

describe("loadModel", () => {
  test("reads the demo target's shape; 'auto' is the CPU off Apple Silicon", async () => {
    using model = await loadModel(DEMO_MODEL, { backend: "auto", threads: 1 });
    if (process.platform === "darwin" && process.arch === "arm64") expect(["cpu", "metal"]).toContain(model.backend);
    else expect(model.backend).toBe("cpu");
    expect(model.config.dim).toBe(512);
    expect(model.config.layers).toBe(6);
    expect(model.config.vocabSize).toBe(4096);
    expect(model.contextLength).toBe(1024);
    expect(model.model.threads).toBe(1);
    expect(model.chatTemplate).toContain("<|im_start|>");
  }, T);

  test.if(process.platform !== "darwin")("the Metal backend off a Mac loads, then refuses to make a session: NATIVE_MISSING", async () => {
    using model = await loadModel(DEMO_MODEL, { backend: "metal" });
    expect(model.backend).toBe("metal");
    expect(await codeOf(() => model.createSession({ contextLength: 64 }))).toBe("NATIVE_MISSING");
  }, T);

  test("failures carry codes: missing file, unknown backend, bad context length, aborted", async () => {
    expect(await codeOf(() => loadModel("/nonexistent/model.gguf"))).toBe("FILE_NOT_FOUND");
    expect(await codeOf(() => loadModel(DEMO_MODEL, { backend: "vulkan" as "cpu" }))).toBe("BAD_ARGUMENT");
    expect(await codeOf(() => loadModel(DEMO_MODEL, { contextLength: 0 }))).toBe("BAD_ARGUMENT");
    expect(await codeOf(() => loadModel(DEMO_MODEL, { signal: AbortSignal.abort() }))).toBe("ABORTED");
    expect(await codeOf(() => loadModel(DEMO_MODEL, { threads: 0 }))).toBe("BAD_ARGUMENT");
  }, T);

  test("the model's contextLength option sizes its sessions", async () => {
    using model = await loadModel(DEMO_MODEL, { contextLength: 32 });
    using session = model.createSession();
    expect(session.contextLength).toBe(32);
    const long = model.tokenize("And the LORD said unto Moses, ".repeat(8));
    expect(long.length).toBeGreaterThan(32);
    expect(await codeOf(() => session.generate(long, { maxTokens: 1 }).result)).toBe("CONTEXT_OVERFLOW");
  }, T);
});

describe("text", () => {
  test("tokenize / detokenize follow the vocabulary (control tokens only when asked)", async () => {
    using model = await loadModel(DEMO_MODEL);
    const ids = model.tokenize("<|im_start|>user\nhi<|im_end|>\n", { parseSpecial: true });
    expect(ids).toEqual([1, 399, 269, 201, 417, 2, 201]);
    expect(model.tokenizer.token(1)).toBe("<|im_start|>");
    expect(model.detokenize(ids)).toBe("user\nhi\n");
    expect(model.detokenize(ids, { special: true })).toBe("<|im_start|>user\nhi<|im_end|>\n");
    expect(model.tokenize("<|im_start|>")).not.toContain(1);
    const text = "In the beginning God created the heaven and the earth.";
    expect(model.detokenize(model.tokenize(text))).toBe(text);
  }, T);

  test("renderChat matches Python jinja2's render of the demo template", async () => {
    using model = await loadModel(DEMO_MODEL);
    const ref = JSON.parse(readFileSync(join(fixtures, "templates", "demo-chatml-render.json"), "utf8"));
    expect(model.renderChat(ref.messages)).toBe(ref.expected);
  }, T);

  test("a model without a chat template says so", async () => {
    using model = await loadModel(tinySyntheticModel());
    expect(await codeOf(() => model.renderChat([{ role: "user", content: "hi" }]))).toBe("TEMPLATE_MISSING");
  }, T);
});

describe("disposal", () => {
  test("dispose is idempotent and every later use throws DISPOSED", async () => {
    const model = await loadModel(DEMO_MODEL);
    const session = model.createSession({ contextLength: 64 });
    session.dispose();
    session.dispose();
    expect(session.disposed).toBe(true);
    expect(await codeOf(() => session.generate("In"))).toBe("DISPOSED");
    expect(await codeOf(() => session.reset())).toBe("DISPOSED");
    model.dispose();
    model.dispose();
    expect(await codeOf(() => model.tokenize("In"))).toBe("DISPOSED");
    expect(await codeOf(() => model.createSession())).toBe("DISPOSED");
    expect(await codeOf(() => model.renderChat([]))).toBe("DISPOSED");
  }, T);

  test("disposing a model disposes its sessions and chats", async () => {
    const model = await loadModel(DEMO_MODEL);
    const session = model.createSession({ contextLength: 64 });
    const chat = model.createChatSession({ contextLength: 64 });
    model.dispose();
    expect(session.disposed).toBe(true);
    expect(chat.disposed).toBe(true);
    expect(chat.session.disposed).toBe(true);
    expect(await codeOf(() => chat.prompt("hi"))).toBe("DISPOSED");
  }, T);

  test("`using` and `await using` release at the end of the scope", async () => {
    let outer: IngotModel;
    let kept: { disposed: boolean };
    {
      await using model = await loadModel(DEMO_MODEL);
      outer = model;
      using session = model.createSession({ contextLength: 64 });
      kept = session;
      expect(session.disposed).toBe(false);
    }
    expect(kept.disposed).toBe(true);
    expect(outer.disposed).toBe(true);
  }, T);

  test("a session disposed while its generation is paused fails that generation with DISPOSED", async () => {
    using model = await loadModel(DEMO_MODEL);
    const session = model.createSession({ contextLength: 128 });
    const generation = session.generate("And God said", { temperature: 0, maxTokens: 50 });
    const chunks: string[] = [];
    const error = await (async () => {
      for await (const chunk of generation) {
        chunks.push(chunk.text);
        if (chunks.length === 2) session.dispose();
      }
    })().catch((e) => e);
    expect((error as IngotError).code).toBe("DISPOSED");
    expect(chunks).toHaveLength(2);
    expect(await codeOf(() => generation.result)).toBe("DISPOSED");
  }, T);
});
