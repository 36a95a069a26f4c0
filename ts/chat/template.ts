/** A compiled chat template, rendered the way Hugging Face transformers renders it with Python jinja2. */
import { parse, tokenize } from "@huggingface/jinja";
import { ChatTemplateError, TemplateRaise } from "./errors.ts";
import { createEnvironment } from "./globals.ts";
import { PyInterpreter } from "./interpreter.ts";
import { findOutputNodes } from "./output-nodes.ts";
import type { RenderOptions } from "./types.ts";
import { applyWhitespaceControl } from "./whitespace.ts";

export class ChatTemplate {
  readonly source: string;
  private readonly program: ReturnType<typeof parse>;
  private readonly outputNodes: WeakSet<object>;

  constructor(source: string) {
    this.source = source;
    try {
      this.program = parse(tokenize(applyWhitespaceControl(source), { lstrip_blocks: false, trim_blocks: false }));
    } catch (e) {
      throw new ChatTemplateError(`chat template has a syntax error: ${(e as Error).message}`, { cause: e });
    }
    this.outputNodes = findOutputNodes(this.program);
  }

  render(opts: RenderOptions): string {
    const context: Record<string, unknown> = {
      ...opts.extra,
      messages: opts.messages,
      add_generation_prompt: opts.addGenerationPrompt ?? true,
    };
    if (opts.bosToken !== undefined) context.bos_token = opts.bosToken;
    if (opts.eosToken !== undefined) context.eos_token = opts.eosToken;
    if (opts.tools !== undefined) context.tools = opts.tools;
    const now = opts.now;
    const env = createEnvironment(() => now ?? new Date());
    try {
      for (const [key, value] of Object.entries(context)) {
        if (env.variables.has(key)) env.variables.delete(key); // a context value shadows a global
        env.set(key, value);
      }
      const result = new PyInterpreter(env, this.outputNodes).run(this.program);
      return String(result.value);
    } catch (e) {
      if (e instanceof TemplateRaise) {
        throw new ChatTemplateError(`chat template error: ${e.message}`, { cause: e, templateMessage: e.message });
      }
      if (e instanceof ChatTemplateError) throw e;
      throw new ChatTemplateError(`chat template failed to render: ${(e as Error).message}`, { cause: e });
    }
  }
}
