/**
 * `ingot generate [prompt] [-m model] [-n N] [--temp t] [--seed s] [--threads n] [--json]`:
 * streams a continuation of the prompt to stdout (the embedded demo model when no -m).
 */
import type { Command } from "commander";
import { IngotError } from "../../errors.ts";
import { generate, tokensPerSecond, type GenerationResult } from "../../generate/generate.ts";
import { Sequence } from "../../generate/sequence.ts";
import { DEMO_MODEL } from "../../model/demo.ts";
import { Model } from "../../model/model.ts";
import { addSamplingOptions, intOption, samplingFromFlags, type SamplingFlags } from "../options.ts";
import { readStdin } from "../output.ts";

interface GenerateFlags extends SamplingFlags {
  model?: string;
  nPredict: number;
  threads?: number;
  ctx?: number;
  json?: boolean;
  echo: boolean;
  ignoreEos?: boolean;
}

export function registerGenerate(program: Command): void {
  const cmd = program
    .command("generate")
    .description("continue a prompt (text from stdin when no argument); the demo model when no -m")
    .argument("[prompt]", "text to continue")
    .option("-m, --model <path>", "GGUF model (default: the embedded demo model)")
    .option("-n, --n-predict <n>", "most new tokens", intOption("-n", 0), 128)
    .option("-t, --threads <n>", "CPU threads (default: all processors)", intOption("--threads", 1, 256))
    .option("-c, --ctx <n>", "context size in tokens (default: the model's)", intOption("--ctx", 1))
    .option("--ignore-eos", "keep generating after end-of-text tokens")
    .option("--no-echo", "do not print the prompt before the continuation")
    .option("--json", 'print one JSON object: { "text", "tokens", "stats" } (generated part only)');
  addSamplingOptions(cmd).action(async (promptArg: string | undefined, flags: GenerateFlags) => {
    const prompt = promptArg ?? (await readStdin());
    if (!prompt) throw new IngotError("BAD_ARGUMENT", "no prompt given: pass it as an argument or on stdin");
    const model = Model.load(flags.model ?? DEMO_MODEL, { threads: flags.threads });
    const seed = flags.seed ?? Math.floor(Math.random() * 0xffffffff);
    const promptIds = model.tokenizer.encode(prompt);
    const ctx = model.createContext({ contextLength: flags.ctx ?? model.config.contextLength, batchCapacity: 512, outputCapacity: 1 });
    try {
      const seq = new Sequence(ctx);
      const run = generate(model.tokenizer, seq, promptIds, {
        ...samplingFromFlags(flags, seed),
        maxTokens: flags.nPredict,
        stop: flags.stop,
        ignoreEos: flags.ignoreEos,
      });
      if (!flags.json && flags.echo) process.stdout.write(prompt);
      let step = run.next();
      while (!step.done) {
        if (!flags.json && step.value.text) process.stdout.write(step.value.text);
        step = run.next();
      }
      const result: GenerationResult = step.value;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(toJson(result, seed))}\n`);
      } else {
        process.stdout.write("\n");
      }
    } finally {
      ctx.dispose();
    }
  });
}

function toJson(r: GenerationResult, seed: number) {
  return {
    text: r.text,
    tokens: r.tokens,
    finish_reason: r.finishReason,
    seed,
    stats: {
      prompt_tokens: r.stats.promptTokens,
      generated_tokens: r.stats.generatedTokens,
      prefill_tokens_per_s: tokensPerSecond(r.stats.prefillTokens, r.stats.prefillMs),
      decode_tokens_per_s: tokensPerSecond(r.stats.generatedTokens, r.stats.decodeMs),
    },
  };
}
