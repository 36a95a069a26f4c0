/** Registers every CLI command; one file per command. */
import type { Command } from "commander";
import { registerBatch } from "./batch.ts";
import { registerBench } from "./bench.ts";
import { registerChat } from "./chat.ts";
import { registerGenerate } from "./generate.ts";
import { registerInspect } from "./inspect.ts";
import { registerPerplexity } from "./perplexity.ts";
import { registerPrompt } from "./prompt.ts";
import { registerQuantize } from "./quantize.ts";
import { registerServe } from "./serve.ts";
import { registerSpec } from "./spec.ts";
import { registerTokenize } from "./tokenize.ts";

export function registerCommands(program: Command): void {
  registerInspect(program);
  registerTokenize(program);
  registerPrompt(program);
  registerGenerate(program);
  registerChat(program);
  registerSpec(program);
  registerQuantize(program);
  registerBench(program);
  registerPerplexity(program);
  registerBatch(program);
  registerServe(program);
}
