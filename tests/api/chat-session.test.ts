/**
 * ChatSession on the demo target (ChatML template): each turn's prompt tokens spell exactly the
 * rendered conversation, the answers from a reused cache are llama.cpp's (node-llama-cpp) greedy
 * answers to the same tokens from an empty cache, and the prefill counts are what reuse promises.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { DEMO_MODEL, IngotError, loadModel, type ChatMessage, type ChatSession, type IngotModel } from "../../ts/index.ts";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";

const T = MODEL_TEST_TIMEOUT_MS;
let model: IngotModel;
let llama: Llama;
let llamaModel: LlamaModel;

beforeAll(async () => {
  model = await loadModel(DEMO_MODEL);
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  llamaModel = await llama.loadModel({ modelPath: DEMO_MODEL });
});
afterAll(async () => {
  model.dispose();
  await llamaModel.dispose();
  await llama.dispose();
});

/** llama.cpp's greedy continuation of `ids` from an empty cache. */
async function llamaCppGreedyIds(ids: number[], n: number): Promise<number[]> {
  // An explicit thread count: the default oversubscribes a shared 2-core machine badly.
  const context = await llamaModel.createContext({ contextSize: 1024, threads: 1 });
  try {
    const out: number[] = [];
    for await (const token of context.getSequence().evaluate(ids as Token[], { temperature: 0 })) {
      out.push(token);
      if (out.length === n) break;
    }
    return out;
  } finally {
    await context.dispose();
  }
}

/** The prompt a finished turn ran on: the cache holds it and all of the answer but its last token. */
function lastPromptIds(chat: ChatSession, answerTokens: number): number[] {
  const cached = chat.session.cachedTokens;
  return cached.slice(0, cached.length - (answerTokens - 1));
}

function conversation(chat: ChatSession): ChatMessage[] {
  return chat.systemPrompt === null ? [...chat.messages] : [{ role: "system", content: chat.systemPrompt }, ...chat.messages];
}

describe("ChatSession", () => {
  test("three turns: exact prompts, llama.cpp's answers, only new tokens prefilled", async () => {
    using chat = model.createChatSession({ systemPrompt: "Answer as the scriptures do.", contextLength: 1024 });
    const questions = ["Who made the heaven and the earth?", "What did he say unto Moses?", "And what of the children of Israel?"];
    let cachedBefore = 0;
    for (const [i, question] of questions.entries()) {
      const result = await chat.prompt(question, { temperature: 0, maxTokens: 16 }).result;
      expect(result.finishReason).toBe("length");
      const turn = chat.turns[i]!;
      // Everything cached before the turn was reused; only the rest was run.
      expect(turn.reusedTokens).toBe(cachedBefore);
      expect(turn.prefillTokens).toBe(turn.promptTokens - cachedBefore);
      const promptIds = lastPromptIds(chat, result.tokens.length);
      expect(promptIds).toHaveLength(turn.promptTokens);
      // The tokens spell exactly what the template renders for the conversation so far.
      const rendered = model.renderChat(conversation(chat).slice(0, -1));
      expect(model.detokenize(promptIds, { special: true })).toBe(rendered);
      // An independent engine from an empty cache answers the same tokens with the same tokens.
      expect(result.tokens).toEqual(await llamaCppGreedyIds(promptIds, 16));
      expect(chat.messages.at(-1)).toEqual({ role: "assistant", content: result.text });
      cachedBefore = chat.session.cachedTokens.length;
    }
    // Turn 2 and 3 prefilled the new text plus the previous answer's last token, nothing else.
    const added = model.tokenize("<|im_end|>\n<|im_start|>user\nWhat did he say unto Moses?<|im_end|>\n<|im_start|>assistant\n", { addSpecial: false, parseSpecial: true });
    expect(chat.turns[1]!.prefillTokens).toBe(added.length + 1);
    expect(chat.messages).toHaveLength(6);
  }, T);

  test("a new system prompt reuses only the common prefix; reset keeps the system turn's cache", async () => {
    using chat = model.createChatSession({ systemPrompt: "Be brief.", contextLength: 512 });
    await chat.prompt("Hello", { temperature: 0, maxTokens: 8 }).result;
    const before = [...chat.session.cachedTokens];
    chat.setSystemPrompt("Speak of the law.");
    await chat.prompt("Again", { temperature: 0, maxTokens: 8 }).result;
    const rendered = model.renderChat([{ role: "system", content: "Speak of the law." }, ...chat.messages.slice(0, -1)]);
    const ids = model.tokenize(rendered, { addSpecial: false, parseSpecial: true });
    let common = 0;
    while (ids[common] === before[common]) common++;
    expect(chat.turns[1]!.reusedTokens).toBe(common);
    expect(common).toBe(model.tokenize("<|im_start|>system\n", { addSpecial: false, parseSpecial: true }).length);

    chat.reset();
    expect(chat.messages).toEqual([]);
    expect(chat.turns).toEqual([]);
    await chat.prompt("Hello", { temperature: 0, maxTokens: 8 }).result;
    // The cache already held this whole prompt (it began the previous turn's); only its last token,
    // whose logits start the answer, runs again.
    expect(chat.turns[0]!.prefillTokens).toBe(1);
    expect(chat.turns[0]!.reusedTokens).toBe(chat.turns[0]!.promptTokens - 1);
  }, T);

  test("an aborted answer is kept as far as it got; a failed turn leaves the conversation as it was", async () => {
    using chat = model.createChatSession({ contextLength: 96 });
    const controller = new AbortController();
    const generation = chat.prompt("Tell me everything", { temperature: 0, maxTokens: 50, ignoreEos: true, signal: controller.signal });
    let n = 0;
    for await (const _ of generation) if (++n === 4) controller.abort();
    const partial = await generation.result;
    expect(partial.finishReason).toBe("abort");
    expect(partial.tokens).toHaveLength(4);
    expect(chat.messages).toEqual([{ role: "user", content: "Tell me everything" }, { role: "assistant", content: partial.text }]);

    const error = await chat.prompt("And the LORD said unto Moses, ".repeat(12), { maxTokens: 4 }).result.catch((e) => e);
    expect((error as IngotError).code).toBe("CONTEXT_OVERFLOW");
    expect(chat.messages).toHaveLength(2);
    expect(chat.turns).toHaveLength(1);
    expect(chat.transcript()).toMatchObject({ model: DEMO_MODEL, systemPrompt: null, messages: chat.messages });
  }, T);
});
