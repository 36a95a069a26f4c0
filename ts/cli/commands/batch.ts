/**
 * `ingot batch <in.jsonl> -o <out.jsonl> [-m model] [--parallel n] [--endpoint url] [...]`: runs every
 * line `{ "id", "prompt" | "messages", ...sampling }` and appends `{ "id", "text", "tokens",
 * "finish_reason", "usage" }` (or an error record) to the output as each finishes. Rerunning with the
 * same output skips the ids already there. Sampling flags are defaults that lines may override.
 */
import type { Command } from "commander";
import { LocalExecutor } from "../../batch/local.ts";
import { RemoteExecutor } from "../../batch/remote.ts";
import { SpeculativeExecutor } from "../../batch/speculative.ts";
import { IngotError } from "../../errors.ts";
import { runBatch, type BatchExecutor, type BatchSummary } from "../../batch/runner.ts";
import { DEMO_MODEL } from "../../model/demo.ts";
import { Model } from "../../model/model.ts";
import type { Fields } from "../../server/params.ts";
import type { Backend } from "../../engine/backend.ts";
import { addBackendOption, addSamplingOptions, intOption, type SamplingFlags, threadsOption } from "../options.ts";
import { ThroughputProgress } from "../progress.ts";

interface BatchFlags extends SamplingFlags {
  output: string;
  model?: string;
  parallel: number;
  nPredict: number;
  threads?: number;
  backend: Backend;
  ctx?: number;
  ignoreEos?: boolean;
  endpoint?: string;
  apiKey?: string;
  retryErrors?: boolean;
  draft?: string;
  lookup?: boolean;
  draftMax?: number;
  json?: boolean;
}

export function registerBatch(program: Command): void {
  const cmd = program
    .command("batch")
    .description("generate for every line of a JSONL file, several sequences at once; resumable (reruns skip ids already in the output)")
    .argument("<input>", 'JSONL input: one { "id", "prompt" | "messages", ...sampling fields } per line')
    .requiredOption("-o, --output <path>", "JSONL output, appended to as items finish")
    .option("-m, --model <path>", "GGUF model (default: the demo model); with --endpoint, the model id to request")
    .option("-p, --parallel <n>", "sequences decoded together (with --endpoint: requests in flight)", intOption("--parallel", 1, 256), 4)
    .option("-n, --n-predict <n>", "most new tokens per item unless the line sets max_tokens", intOption("-n", 0), 256)
    .addOption(threadsOption())
    .option("-c, --ctx <n>", "positions per sequence (default: the model's context)", intOption("--ctx", 1))
    .option("--ignore-eos", "keep generating after end-of-text tokens")
    .option("--endpoint <url>", "send the items to an OpenAI-compatible server instead (e.g. http://127.0.0.1:8080)")
    .option("--api-key <key>", "API key for --endpoint (default: $OPENAI_API_KEY)")
    .option("--retry-errors", "run again the items whose records in the output are errors")
    .option("--draft <path>", "speculative decoding with this draft model (same vocabulary); items then run one at a time")
    .option("--lookup", "speculative decoding by prompt lookup (with --draft: lookup first)")
    .option("--draft-max <n>", "largest draft per step (default 8)", intOption("--draft-max", 1, 64))
    .option("--json", "print a JSON summary on stdout when done");
  addBackendOption(addSamplingOptions(cmd)).action(async (input: string, flags: BatchFlags) => {
    const seed = flags.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
    const defaults = defaultFields(flags, seed);
    let executor: BatchExecutor;
    let vocabSize: number | undefined;
    if (flags.endpoint) {
      if (flags.draft || flags.lookup) throw new IngotError("BAD_ARGUMENT", "--draft and --lookup run locally: the endpoint's server decides how it decodes");
      executor = new RemoteExecutor({ endpoint: flags.endpoint, model: flags.model, apiKey: flags.apiKey ?? process.env.OPENAI_API_KEY, parallel: flags.parallel });
    } else {
      const model = Model.load(flags.model ?? DEMO_MODEL, { threads: flags.threads, backend: flags.backend });
      vocabSize = model.tokenizer.vocabSize;
      executor = flags.draft || flags.lookup
        ? new SpeculativeExecutor(model, { draft: flags.draft ? Model.load(flags.draft, { threads: flags.threads, backend: flags.backend }) : undefined, lookup: flags.lookup, draftMax: flags.draftMax, contextLength: flags.ctx })
        : new LocalExecutor(model, { parallel: flags.parallel, contextLength: flags.ctx });
    }

    const progress = new ThroughputProgress("batch", undefined, !flags.json && Boolean(process.stderr.isTTY));
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let summary: BatchSummary;
    try {
      summary = await runBatch({
        input, output: flags.output, executor, defaults, vocabSize,
        retryErrors: flags.retryErrors,
        signal: interrupt.signal,
        onStart: (lines, skipped) => progress.start(lines, skipped),
        onRecord: (r) => progress.add(1, r.usage?.completion_tokens ?? 0),
      });
    } finally {
      progress.done();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await executor.close();
    }
    report(summary, flags, seed);
    if (summary.aborted) process.exitCode = 130;
  });
}

/** The flags, as request fields that lines may override. */
function defaultFields(f: BatchFlags, seed: number): Fields {
  const fields: Fields = {
    max_tokens: f.nPredict, temperature: f.temp, top_k: f.topK, top_p: f.topP, min_p: f.minP, typical_p: f.typicalP,
    repeat_penalty: f.repeatPenalty, frequency_penalty: f.frequencyPenalty, presence_penalty: f.presencePenalty,
    seed, stop: f.stop, ignore_eos: f.ignoreEos,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function report(s: BatchSummary, flags: BatchFlags, seed: number): void {
  const rate = (n: number) => (s.seconds > 0 ? n / s.seconds : 0);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({
      output: flags.output, lines: s.lines, skipped: s.skipped, written: s.written, errors: s.errors,
      generated_tokens: s.generatedTokens, seconds: s.seconds, items_per_s: rate(s.written), tokens_per_s: rate(s.generatedTokens),
      seed, aborted: s.aborted,
    })}\n`);
    return;
  }
  const parts = [`${s.written} records written to ${flags.output}`];
  if (s.skipped) parts.push(`${s.skipped} already done`);
  if (s.errors) parts.push(`${s.errors} errors`);
  process.stderr.write(`${parts.join(", ")}; ${s.generatedTokens} tokens in ${s.seconds.toFixed(1)} s (${rate(s.written).toFixed(2)} items/s, ${rate(s.generatedTokens).toFixed(0)} tok/s)${s.aborted ? "; interrupted: rerun to finish" : ""}\n`);
}
