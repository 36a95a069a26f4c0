/**
 * `ingot generate [prompt] [-m model] [-n N] [--temp t] [--seed s] [--threads n] [--json]
 *  [--draft model] [--draft-max k] [--draft-fixed] [--lookup]`:
 * streams a continuation of the prompt to stdout (the embedded demo model when no -m). With a draft
 * model or prompt lookup it decodes speculatively, then measures plain decoding of the same prompt
 * for the speed-up (stats on stderr, or under stats.speculative with --json).
 */
import type { Command } from "commander";
import type { Backend } from "../../engine/backend.ts";
import { IngotError } from "../../errors.ts";
import { generate, tokensPerSecond, type GenerationChunk, type GenerationResult } from "../../generate/generate.ts";
import { Sequence } from "../../generate/sequence.ts";
import { DEMO_MODEL } from "../../model/demo.ts";
import { Model } from "../../model/model.ts";
import { Sampler } from "../../sampling/sampler.ts";
import { SpeculativeRunner, type SpeculativeResult, type SpeculativeStats } from "../../speculative/index.ts";
import { addBackendOption, addSamplingOptions, intOption, type SamplingFlags, samplingFromFlags, threadsOption } from "../options.ts";
import { readStdin } from "../output.ts";

interface GenerateFlags extends SamplingFlags {
  model?: string;
  nPredict: number;
  threads?: number;
  backend: Backend;
  ctx?: number;
  json?: boolean;
  echo: boolean;
  ignoreEos?: boolean;
  draft?: string;
  draftMax: number;
  draftFixed?: boolean;
  lookup?: boolean;
  baseline: boolean;
}

export function registerGenerate(program: Command): void {
  const cmd = program
    .command("generate")
    .description("continue a prompt (text from stdin when no argument); the demo model when no -m")
    .argument("[prompt]", "text to continue")
    .option("-m, --model <path>", "GGUF model (default: the embedded demo model)")
    .option("-n, --n-predict <n>", "most new tokens", intOption("-n", 0), 128)
    .addOption(threadsOption())
    .option("-c, --ctx <n>", "context size in tokens (default: the model's)", intOption("--ctx", 1))
    .option("--ignore-eos", "keep generating after end-of-text tokens")
    .option("--no-echo", "do not print the prompt before the continuation")
    .option("--json", 'print one JSON object: { "text", "tokens", "stats" } (generated part only)')
    .option("--draft <path>", "speculative decoding with this draft model (same vocabulary as the target)")
    .option("--draft-max <k>", "most tokens drafted per step", intOption("--draft-max", 1, 64), 8)
    .option("--draft-fixed", "always draft --draft-max tokens (default: adapt to the acceptance rate)")
    .option("--lookup", "speculative decoding with drafts looked up in the prompt and output (before the draft model, if any)")
    .option("--no-baseline", "with --draft/--lookup: skip the plain-decoding run that measures the speed-up");
  addBackendOption(addSamplingOptions(cmd)).action(async (promptArg: string | undefined, flags: GenerateFlags) => {
    const prompt = promptArg ?? (await readStdin());
    if (!prompt) throw new IngotError("BAD_ARGUMENT", "no prompt given: pass it as an argument or on stdin");
    const model = Model.load(flags.model ?? DEMO_MODEL, { threads: flags.threads, backend: flags.backend });
    const seed = flags.seed ?? Math.floor(Math.random() * 0xffffffff);
    const promptIds = model.tokenizer.encode(prompt);
    const opts = { ...samplingFromFlags(flags, seed), maxTokens: flags.nPredict, stop: flags.stop, ignoreEos: flags.ignoreEos };
    const contextLength = flags.ctx ?? model.config.contextLength;
    const print = (run: Generator<GenerationChunk, GenerationResult>): GenerationResult => {
      if (!flags.json && flags.echo) process.stdout.write(prompt);
      let step = run.next();
      while (!step.done) {
        if (!flags.json && step.value.text) process.stdout.write(step.value.text);
        step = run.next();
      }
      if (!flags.json) process.stdout.write("\n");
      return step.value;
    };

    if (flags.draft || flags.lookup) {
      const draft = flags.draft ? Model.load(flags.draft, { threads: flags.threads, backend: flags.backend }) : undefined;
      using runner = new SpeculativeRunner({ target: model, draft, lookup: flags.lookup, draftMax: flags.draftMax, contextLength, sampling: opts });
      const specOpts = { ...opts, draftLength: flags.draftFixed ? flags.draftMax : undefined };
      const result = print(runner.speculative(promptIds, specOpts)) as SpeculativeResult;
      if (flags.baseline) runner.measureBaseline(promptIds, result, specOpts);
      const stats = speculativeJson(result.stats.speculative);
      if (flags.json) process.stdout.write(`${JSON.stringify({ ...toJson(result, seed), stats: { ...toJson(result, seed).stats, speculative: stats } })}\n`);
      else process.stderr.write(`${describeSpeculative(result.stats.speculative)}\n`);
      return;
    }

    const topK = new Sampler(model.config.vocabSize, opts).preferredTopK || undefined;
    const ctx = model.createContext({ contextLength, batchCapacity: 512, outputCapacity: 1, topK });
    try {
      const result = print(generate(model.tokenizer, new Sequence(ctx), promptIds, opts));
      if (flags.json) process.stdout.write(`${JSON.stringify(toJson(result, seed))}\n`);
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

function speculativeJson(s: SpeculativeStats) {
  return {
    drafter: s.drafter,
    drafted: s.drafted,
    accepted: s.accepted,
    acceptance_rate: s.acceptanceRate,
    steps: s.steps,
    mean_accepted_per_step: s.meanAcceptedPerStep,
    tokens_per_s: s.tokensPerSecond,
    baseline_tokens_per_s: s.baselineTokensPerSecond,
    speedup: s.speedup,
  };
}

function describeSpeculative(s: SpeculativeStats): string {
  const speedup = s.speedup === null ? "" : `, plain ${s.baselineTokensPerSecond!.toFixed(0)} tok/s, speed-up ${s.speedup.toFixed(2)}×`;
  return `speculative (${s.drafter}): ${s.accepted}/${s.drafted} drafts accepted (${(100 * s.acceptanceRate).toFixed(1)}%), ` +
    `${s.meanAcceptedPerStep.toFixed(2)} per step over ${s.steps} steps, ${s.tokensPerSecond.toFixed(0)} tok/s${speedup}`;
}
