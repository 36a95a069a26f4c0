/**
 * Multi-sequence throughput on the demo target (CPU): 16 prompts, 64 new tokens each (greedy,
 * end-of-text ignored), generated with 1, 4 and 8 sequences per forward pass by ingot's scheduler,
 * side by side with node-llama-cpp (llama.cpp's CPU build) running the same token ids on a context
 * with as many sequences, one generation per sequence at a time (it batches concurrent sequences into
 * one llama_decode). Tokens/s = generated tokens / wall time of the whole set, prefill included.
 * Usage: bun bench/batch.ts [repeats=3] [threads=2] [prompts=16] [new tokens=64]   → writes bench/results/batch.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { DEMO_MODEL } from "../ts/model/demo.ts";
import { Model } from "../ts/model/model.ts";
import { PromptEncoder, Scheduler } from "../ts/scheduler/index.ts";
import { median, min } from "./stats.ts";

const REPEATS = Number(process.argv[2] ?? 3);
const THREADS = Number(process.argv[3] ?? 2);
const PARALLEL = [1, 4, 8];
const PROMPT_COUNT = Number(process.argv[4] ?? 16);
const NEW_TOKENS = Number(process.argv[5] ?? 64);
const CONTEXT = 256;
const PROMPTS = [
  "In the beginning God created", "And the LORD said unto Moses,", "Blessed are the", "And it came to pass",
  "Thou shalt not", "The LORD is my shepherd", "For God so loved", "Now the serpent was",
  "And Jesus answered and said", "Praise ye the LORD.", "Hear, O Israel:", "Then said the king",
  "My son, keep my words,", "Woe unto you,", "And God said, Let there be", "Behold, I stand at the door,",
];

const model = Model.load(DEMO_MODEL, { threads: THREADS });
const encoder = new PromptEncoder(model);
const prompts = PROMPTS.slice(0, PROMPT_COUNT).map((p) => encoder.encode({ prompt: p }));

/** One pass of the whole set through the scheduler; returns tokens/s and the generated ids. */
async function ingotPass(parallel: number): Promise<{ tps: number; outputs: number[][] }> {
  const scheduler = new Scheduler(model, { slots: parallel, contextLength: CONTEXT });
  const t0 = performance.now();
  const results = await Promise.all(prompts.map((prompt) => scheduler.submit({ prompt, maxTokens: NEW_TOKENS, temperature: 0, ignoreEos: true }).result));
  const seconds = (performance.now() - t0) / 1000;
  await scheduler.close();
  const generated = results.reduce((n, r) => n + r.tokens.length, 0);
  return { tps: generated / seconds, outputs: results.map((r) => r.tokens) };
}

async function llamaCppPass(llamaModel: LlamaModel, parallel: number): Promise<{ tps: number; outputs: number[][] }> {
  const context = await llamaModel.createContext({ sequences: parallel, contextSize: CONTEXT * parallel, batchSize: 512, threads: { ideal: THREADS, min: THREADS } });
  const outputs: number[][] = new Array(prompts.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    const sequence = context.getSequence();
    while (next < prompts.length) {
      const i = next++;
      await sequence.clearHistory();
      const out: number[] = [];
      for await (const token of sequence.evaluate(prompts[i]! as Token[], { temperature: 0 })) {
        out.push(token);
        if (out.length >= NEW_TOKENS) break;
      }
      outputs[i] = out;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await context.dispose();
  return { tps: outputs.reduce((n, o) => n + o.length, 0) / seconds, outputs };
}

const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const llamaModel = await llama.loadModel({ modelPath: DEMO_MODEL });

await ingotPass(4); // warm-up: JIT, page cache, thread pool
await llamaCppPass(llamaModel, 4);

const rows = [];
for (const parallel of PARALLEL) {
  const ingot: number[] = [], cpp: number[] = [];
  let same = 0;
  for (let r = 0; r < REPEATS; r++) {
    const a = await ingotPass(parallel);
    const b = await llamaCppPass(llamaModel, parallel);
    ingot.push(a.tps);
    cpp.push(b.tps);
    same = a.outputs.filter((o, i) => o.join() === b.outputs[i]!.join()).length;
  }
  const row = {
    parallel,
    ingot_tokens_per_s: { median: Math.round(median(ingot)), best: Math.round(Math.max(...ingot)), worst: Math.round(min(ingot)) },
    llamacpp_tokens_per_s: { median: Math.round(median(cpp)), best: Math.round(Math.max(...cpp)), worst: Math.round(min(cpp)) },
    ratio_median: Math.round((median(ingot) / median(cpp)) * 100) / 100,
    identical_outputs: `${same}/${prompts.length}`,
  };
  rows.push(row);
  console.log(`parallel ${parallel}: ingot ${row.ingot_tokens_per_s.median} tok/s, node-llama-cpp ${row.llamacpp_tokens_per_s.median} tok/s (×${row.ratio_median}); same greedy tokens for ${row.identical_outputs} prompts`);
}
await llamaModel.dispose();

const result = {
  bench: "batch",
  model: "kjv-target-q4_k_m.gguf",
  prompts: prompts.length,
  new_tokens: NEW_TOKENS,
  threads: THREADS,
  repeats: REPEATS,
  load_average: (await Bun.file("/proc/loadavg").text().catch(() => "")).split(" ").slice(0, 3).join(" "),
  note: "tokens/s over the whole set (prefill included); shared 2-core machine, other jobs running: compare within a row",
  rows,
};
const dir = join(import.meta.dir, "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "batch.json"), `${JSON.stringify(result, null, 2)}\n`);
