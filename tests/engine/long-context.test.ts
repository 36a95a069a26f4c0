/**
 * Long context: a 4096-token generation on a model whose file declares an 8192-token context
 * (a tiny synthetic llama with random weights: the point is positions far beyond the usual 2048
 * caps, a KV cache sized from the context asked for, and no error on the way).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "../../ts/generate/generate.ts";
import { Sequence } from "../../ts/generate/sequence.ts";
import { GgmlType } from "../../ts/gguf/index.ts";
import { Model } from "../../ts/model/model.ts";
import { SYNTH_SHAPES, synthesizeModel } from "../../ts/model/synth.ts";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";

const dir = mkdtempSync(join(tmpdir(), "ingot-long-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("4096 generated tokens on a model with an 8192-token context", () => {
  const path = join(dir, "tiny.gguf");
  synthesizeModel(path, { shape: SYNTH_SHAPES.tiny!, typeOf: () => GgmlType.F16, fileType: 1 });
  const model = Model.load(path, { threads: 2 });
  expect(model.config.contextLength).toBe(8192);
  using ctx = model.createContext({ outputCapacity: 1 });
  expect(ctx.contextLength).toBe(8192);
  const seq = new Sequence(ctx);
  const run = generate(model.tokenizer, seq, model.tokenizer.encode("t300 t301"), { temperature: 0.8, seed: 3, maxTokens: 4096, ignoreEos: true });
  let step = run.next();
  while (!step.done) step = run.next();
  expect(step.value.tokens.length).toBe(4096);
  expect(step.value.finishReason).toBe("length");
  // The cache holds the prompt and every generated token but the last (it is never fed back).
  expect(seq.length).toBe(step.value.stats.promptTokens + 4095);
}, MODEL_TEST_TIMEOUT_MS);
