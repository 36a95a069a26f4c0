/**
 * llama.cpp (node-llama-cpp's CPU build) loads what `ingot quantize` writes. For the types llama.cpp's
 * own files exist for, its greedy continuation of our file is the one it makes on its own file, here
 * and now (the recorded llamacpp-greedy.jsonl came from another llama.cpp build, which breaks one
 * near-tie differently on Q5_K_M: it is checked only where this build reproduces it).
 * On the draft model, near-lossless types continue as its F16 reference does; the others load and
 * generate 16 tokens, and ingot's engine, fed llama.cpp's continuation, predicts every token of it
 * except where the top two logits are within 0.05 (near-ties the two float orders can break either
 * way): these types have no llama.cpp-made reference file, and Q2_K/Q3_K are repacked by the engine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { getLlama, LlamaCompletion, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { Model } from "../../ts/model/model.ts";
import { DRAFT_F16, llamaCppGreedy, llamaCppTarget, quantizedOnce, TARGET_F16 } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

let llama: Llama;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama.dispose();
});

/** Greedy continuations of each prompt by llama.cpp, 16 tokens, and how many tokens each made. */
async function llamaCppContinue(modelPath: string, prompts: string[]): Promise<{ text: string; tokens: number }[]> {
  const model = await llama.loadModel({ modelPath });
  try {
    const out: { text: string; tokens: number }[] = [];
    for (const prompt of prompts) {
      // An explicit thread count: the default oversubscribes a shared 2-core machine badly.
      const context = await model.createContext({ contextSize: 256, threads: 2 });
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const text = await completion.generateCompletion(prompt, { maxTokens: 16, temperature: 0 });
      out.push({ text, tokens: model.tokenize(text).length });
      await context.dispose();
    }
    return out;
  } finally {
    await model.dispose();
  }
}

describe("llama.cpp continues our files as it continues its own", () => {
  for (const type of ["Q8_0", "Q6_K", "Q4_0", "Q4_K_M", "Q5_K_M"]) {
    test(type, async () => {
      const { path } = quantizedOnce(TARGET_F16, type);
      const recorded = await llamaCppGreedy(`kjv-target-${type.toLowerCase()}.gguf`);
      expect(recorded.length).toBe(3);
      const prompts = recorded.map((r) => r.prompt);
      const ours = await llamaCppContinue(path, prompts);
      const theirs = await llamaCppContinue(llamaCppTarget(type), prompts);
      expect(ours).toEqual(theirs);
      let reproduced = 0;
      recorded.forEach((r, i) => {
        expect(ours[i]!.text.length).toBeGreaterThan(20);
        if (r.output.startsWith(r.prompt + theirs[i]!.text)) {
          expect(r.output.startsWith(r.prompt + ours[i]!.text)).toBe(true);
          reproduced++;
        }
      });
      expect(reproduced).toBeGreaterThanOrEqual(2);
    });
  }
});

// The other types on the (6x smaller) draft model, to keep the run short.
describe("llama.cpp loads the other types", () => {
  test.each(["F16", "BF16", "F32"])("%s continues as the F16 reference", async (type) => {
    const { path } = quantizedOnce(DRAFT_F16, type);
    const [ref] = await llamaCppGreedy("kjv-draft-f16.gguf");
    const { text } = (await llamaCppContinue(path, [ref!.prompt]))[0]!;
    expect(ref!.output.startsWith(ref!.prompt + text)).toBe(true);
  });

  test.each(["Q5_1", "Q5_0", "Q4_1", "Q5_K_S", "Q4_K_S", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K"])("%s generates", async (type) => {
    const { path } = quantizedOnce(DRAFT_F16, type);
    const { text, tokens } = (await llamaCppContinue(path, ["In the beginning God created"]))[0]!;
    // 16 tokens were generated and came back as text (the tokenizer may merge a few on re-encoding).
    expect(tokens).toBeGreaterThanOrEqual(12);
    expect(text).toMatch(/\b[A-Za-z]{3,}\b/);
    // ingot, fed llama.cpp's continuation, predicts each of its tokens, except at near-ties.
    const agreement = ingotAgreement(path, "In the beginning God created", text);
    expect(agreement.nearTieMisses).toEqual(agreement.misses);
    expect(agreement.agreed).toBeGreaterThanOrEqual(agreement.positions - 2);
  });
});

/** A near-tie: two implementations' float sums may order the top two differently. */
const NEAR_TIE = 0.05;

/**
 * Teacher-forced comparison with llama.cpp's greedy continuation: at every position of `continuation`
 * (after the prompt), does ingot's argmax equal llama.cpp's token? Where it does not, the position
 * counts as a near-tie miss when ingot's logit for llama.cpp's token is within NEAR_TIE of its best.
 */
function ingotAgreement(path: string, prompt: string, continuation: string) {
  const model = Model.load(path, { threads: 2 });
  const promptIds = model.tokenizer.encode(prompt);
  const all = model.tokenizer.encode(prompt + continuation);
  expect(all.slice(0, promptIds.length)).toEqual(promptIds);
  using ctx = model.createContext({ contextLength: 256, batchCapacity: 64, outputCapacity: 64 });
  const positions = all.length - promptIds.length;
  const outputs = Array.from({ length: positions }, (_, i) => promptIds.length - 1 + i);
  const logits = ctx.forward({ tokens: all.slice(0, -1), positions: all.slice(0, -1).map((_, i) => i), seqIds: all.slice(0, -1).map(() => 0), outputs });
  const vocab = model.config.vocabSize;
  let agreed = 0;
  const misses: number[] = [], nearTieMisses: number[] = [];
  for (let i = 0; i < positions; i++) {
    const row = logits.subarray(i * vocab, (i + 1) * vocab);
    let best = 0;
    for (let j = 1; j < vocab; j++) if (row[j]! > row[best]!) best = j;
    const theirs = all[promptIds.length + i]!;
    if (best === theirs) agreed++;
    else {
      misses.push(i);
      if (row[best]! - row[theirs]! < NEAR_TIE) nearTieMisses.push(i);
    }
  }
  return { positions, agreed, misses, nearTieMisses };
}
