/**
 * Every model file against llama.cpp's own outputs on it:
 * - greedy continuations (64 tokens): identical for F16 files, identical for at least the first
 *   32 tokens for quantised files;
 * - argmax at each of the first 512 positions of eval-revelation.txt: ≥ 98% agreement;
 * - perplexity on eval-revelation.txt (c=256) within 0.5% of llama-perplexity's figure.
 */
import { describe, expect, test } from "bun:test";
import { generate } from "../../ts/generate/generate.ts";
import { perplexity } from "../../ts/generate/perplexity.ts";
import { Sequence } from "../../ts/generate/sequence.ts";
import { Model } from "../../ts/model/model.ts";
import { MODEL_TEST_TIMEOUT_MS, argmax, evalText, llamacppGreedy, llamacppPerplexity, llamacppRevelation512, modelPath } from "./fixtures.ts";

const models = new Map<string, Model>();
function load(file: string): Model {
  let m = models.get(file);
  if (!m) models.set(file, (m = Model.load(modelPath(file), { threads: 2 })));
  return m;
}

function greedy(model: Model, prompt: string, n: number): number[] {
  using ctx = model.createContext({ contextLength: 256, batchCapacity: 64, outputCapacity: 1 });
  const run = generate(model.tokenizer, new Sequence(ctx), model.tokenizer.encode(prompt), { temperature: 0, maxTokens: n, ignoreEos: true });
  let step = run.next();
  while (!step.done) step = run.next();
  return step.value.tokens;
}

describe("greedy continuations equal llama.cpp's", async () => {
  for (const ref of await llamacppGreedy()) {
    const quantised = !ref.model.includes("f16");
    test(`${ref.model} ${JSON.stringify(ref.prompt)}`, () => {
      const model = load(ref.model);
      const tokens = greedy(model, ref.prompt, ref.n_predict);
      expect(tokens.length).toBe(ref.n_predict);
      if (quantised) {
        // The reference is text: our first 32 tokens, decoded, must continue the prompt exactly as it does.
        const first32 = ref.prompt + model.tokenizer.decode(tokens.slice(0, 32));
        expect(ref.output.startsWith(first32)).toBe(true);
      } else {
        // The reference's trailing whitespace is trimmed.
        expect((ref.prompt + model.tokenizer.decode(tokens)).trimEnd()).toBe(ref.output);
      }
    }, MODEL_TEST_TIMEOUT_MS);
  }
});

describe("argmax agreement with llama.cpp on the first 512 tokens of Revelation", async () => {
  const ref = await llamacppRevelation512();
  for (const [file, r] of Object.entries(ref)) {
    test(file, () => {
      const model = load(file);
      const n = r.ids.length;
      using ctx = model.createContext({ contextLength: n, batchCapacity: n });
      const logits = ctx.forward({ tokens: r.ids, positions: r.ids.map((_, i) => i), seqIds: r.ids.map(() => 0), outputs: r.ids.map((_, i) => i) });
      const V = model.config.vocabSize;
      let agree = 0;
      for (let i = 0; i < n; i++) if (argmax(logits.subarray(i * V, (i + 1) * V)) === r.argmax_per_pos[i]) agree++;
      expect(agree / n).toBeGreaterThanOrEqual(0.98);
    }, MODEL_TEST_TIMEOUT_MS);
  }
});

describe("perplexity within 0.5% of llama-perplexity (c=256)", async () => {
  const text = await evalText();
  for (const [file, ppl] of Object.entries(await llamacppPerplexity())) {
    test(`${file} (llama.cpp ${ppl})`, () => {
      const result = perplexity(load(file), text, { chunkSize: 256 });
      expect(result.tokensScored).toBe(61 * 127);
      expect(Math.abs(result.ppl - ppl) / ppl).toBeLessThan(0.005);
    }, MODEL_TEST_TIMEOUT_MS);
  }
});
