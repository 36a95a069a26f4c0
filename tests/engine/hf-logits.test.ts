/**
 * Every F16 reference model against Hugging Face transformers' logits (fp32 arithmetic): on the short
 * prompts the last-position logits within 1e-2 and the same argmax at every position; on the
 * 1500-token prompt ≥ 99% argmax agreement and last logits within 5e-2.
 */
import { describe, expect, test } from "bun:test";
import { Model } from "../../ts/model/model.ts";
import { MODEL_TEST_TIMEOUT_MS, argmax, hfLogits, maxAbsDiff, modelPath } from "./fixtures.ts";

const MODELS = ["kjv-target-f16", "kjv-draft-f16", "qwen2-tiny-f16", "llama3-tiny-f16"];

for (const name of MODELS) {
  describe(`${name} vs Hugging Face`, async () => {
    const ref = await hfLogits(name);
    const model = Model.load(modelPath(`${name}.gguf`), { threads: 2 });
    for (const [prompt, r] of Object.entries(ref)) {
      const long = prompt === "__long__";
      test(long ? "1500-token prompt" : JSON.stringify(prompt), () => {
        const n = r.ids.length;
        using ctx = model.createContext({ contextLength: n, batchCapacity: n });
        const logits = ctx.forward({
          tokens: r.ids,
          positions: r.ids.map((_, i) => i),
          seqIds: r.ids.map(() => 0),
          outputs: r.ids.map((_, i) => i),
        });
        const V = model.config.vocabSize;
        let agree = 0;
        for (let i = 0; i < n; i++) if (argmax(logits.subarray(i * V, (i + 1) * V)) === r.argmax_per_pos[i]) agree++;
        const lastDiff = maxAbsDiff(logits.subarray((n - 1) * V, n * V), r.last_logits);
        if (long) {
          expect(agree / n).toBeGreaterThanOrEqual(0.99);
          expect(lastDiff).toBeLessThan(5e-2);
        } else {
          expect(agree).toBe(n);
          expect(lastDiff).toBeLessThan(1e-2);
        }
      }, MODEL_TEST_TIMEOUT_MS);
    }
  });
}
