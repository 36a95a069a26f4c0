/** `ingot perplexity -m <model> -f <text file> [-c ctx] [--json]`: llama.cpp's perplexity method. */
import type { Command } from "commander";
import { IngotError } from "../../errors.ts";
import { perplexity } from "../../generate/perplexity.ts";
import { Model } from "../../model/model.ts";
import type { Backend } from "../../engine/backend.ts";
import { addBackendOption, intOption, threadsOption } from "../options.ts";
import { Progress } from "../progress.ts";

interface PerplexityFlags {
  model: string;
  file: string;
  ctx: number;
  chunks?: number;
  threads?: number;
  backend: Backend;
  json?: boolean;
}

export function registerPerplexity(program: Command): void {
  const cmd = program
    .command("perplexity")
    .description("perplexity of a model on a text, by llama-perplexity's method (second half of each chunk scored)")
    .requiredOption("-m, --model <path>", "GGUF model")
    .requiredOption("-f, --file <path>", "text file")
    .option("-c, --ctx <n>", "tokens per chunk", intOption("--ctx", 4), 512)
    .option("--chunks <n>", "score at most n chunks", intOption("--chunks", 1))
    .addOption(threadsOption())
    .option("--json", 'print { "ppl", "tokens_scored", ... } as JSON');
  addBackendOption(cmd).action(async (flags: PerplexityFlags) => {
      const file = Bun.file(flags.file);
      if (!(await file.exists())) throw new IngotError("FILE_NOT_FOUND", `text file not found: ${flags.file}`);
      const model = Model.load(flags.model, { threads: flags.threads, backend: flags.backend });
      const progress = new Progress("perplexity");
      const result = perplexity(model, await file.text(), {
        chunkSize: flags.ctx,
        maxChunks: flags.chunks,
        onProgress: (done, total, ppl) => progress.update(done / total, `chunk ${done}/${total}, PPL ${ppl.toFixed(4)}`),
      });
      progress.done();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ppl: result.ppl, tokens_scored: result.tokensScored, chunks: result.chunks, ctx: result.chunkSize, seconds: result.seconds })}\n`);
      } else {
        process.stdout.write(`PPL = ${result.ppl.toFixed(4)} (${result.tokensScored} tokens scored in ${result.chunks} chunks of ${result.chunkSize}, ${result.seconds.toFixed(2)} s)\n`);
      }
    });
}
