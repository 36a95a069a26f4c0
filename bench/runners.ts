/**
 * The two engines measured side by side: ingot's CPU engine and node-llama-cpp (llama.cpp's CPU build
 * from npm), fed the same token ids from the same file with the same thread count.
 * Prefill: one batch of `prefill` tokens from an empty cache. Decode: `decode` single-token steps with
 * greedy sampling, each step timed (so p50/p95 per-token latency come out too).
 */
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { Sequence } from "../ts/generate/sequence.ts";
import { Model } from "../ts/model/model.ts";
import { Sampler } from "../ts/sampling/sampler.ts";

export interface RunTimes {
  prefillMs: number;
  /** Milliseconds of each decode step (sampling included). */
  stepMs: number[];
}

export interface EngineRunner {
  name: string;
  run(prompt: number[], decode: number): Promise<RunTimes>;
  dispose(): Promise<void>;
}

export function ingotRunner(path: string, threads: number, contextLength: number): EngineRunner {
  const model = Model.load(path, { threads });
  const ctx = model.createContext({ contextLength, batchCapacity: 512, outputCapacity: 1 });
  const sampler = new Sampler(model.config.vocabSize, { temperature: 0 });
  return {
    name: "ingot",
    async run(prompt, decode) {
      const seq = new Sequence(ctx);
      const t0 = performance.now();
      let logits = seq.prefill(prompt);
      const prefillMs = performance.now() - t0;
      const stepMs: number[] = [];
      for (let i = 0; i < decode; i++) {
        const s = performance.now();
        const token = sampler.sample(logits);
        logits = seq.step(token);
        stepMs.push(performance.now() - s);
      }
      return { prefillMs, stepMs };
    },
    async dispose() {
      ctx.dispose();
    },
  };
}

let llama: Llama | null = null;

export async function llamaCppRunner(path: string, threads: number, contextLength: number): Promise<EngineRunner> {
  llama ??= await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model: LlamaModel = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: contextLength, batchSize: 512, threads: { ideal: threads, min: threads } });
  const sequence = context.getSequence();
  return {
    name: "node-llama-cpp",
    async run(prompt, decode) {
      await sequence.clearHistory();
      const t0 = performance.now();
      await sequence.evaluateWithoutGeneratingNewTokens(prompt as Token[]);
      const prefillMs = performance.now() - t0;
      // The last prompt token is evaluated again to start generation, as ingot's prefill returns its logits.
      const stepMs: number[] = [];
      let last = performance.now();
      for await (const _ of sequence.evaluate([prompt[prompt.length - 1]!] as Token[], { temperature: 0 })) {
        const now = performance.now();
        stepMs.push(now - last);
        last = now;
        if (stepMs.length >= decode) break;
      }
      return { prefillMs, stepMs };
    },
    async dispose() {
      await context.dispose();
      await model.dispose();
    },
  };
}
