/** `ingot prompt -m <model.gguf> --messages <file.json> [...]`: prints exactly the rendered chat prompt. */
import type { Command } from "commander";
import { ChatTemplate, chatTemplateFromGguf, type ChatMessage } from "../../chat/index.ts";
import { IngotError } from "../../errors.ts";
import { GgufFile } from "../../gguf/index.ts";

interface PromptOptions {
  model: string;
  messages: string;
  template?: string;
  generationPrompt: boolean;
  bos?: string;
  eos?: string;
  json?: boolean;
}

async function readMessages(path: string): Promise<ChatMessage[]> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new IngotError("FILE_NOT_FOUND", `messages file not found: ${path}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await file.text());
  } catch (e) {
    throw new IngotError("BAD_INPUT", `${path} is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { messages?: unknown })?.messages;
  if (!Array.isArray(list) || !list.every((m) => m && typeof m === "object" && typeof m.role === "string")) {
    throw new IngotError("BAD_INPUT", `${path} must hold an array of messages ({ "role", "content" }) or { "messages": [...] }`);
  }
  return list as ChatMessage[];
}

function tokenText(file: GgufFile, key: string): string | undefined {
  const id = file.getNumber(key);
  const tokens = file.getStringArray("tokenizer.ggml.tokens");
  return id !== undefined && tokens && id >= 0 && id < tokens.length ? tokens[id] : undefined;
}

export function registerPrompt(program: Command): void {
  program
    .command("prompt")
    .description("render a chat prompt with the model's chat template (or --template) and print it")
    .requiredOption("-m, --model <path>", "GGUF file whose chat template and BOS/EOS tokens to use")
    .requiredOption("--messages <file>", "JSON file: an array of { role, content } messages")
    .option("--template <file>", "a Jinja chat template overriding the model's")
    .option("--no-generation-prompt", "do not open an assistant turn at the end")
    .option("--bos <text>", "BOS token text (default: the vocabulary's)")
    .option("--eos <text>", "EOS token text (default: the vocabulary's)")
    .option("--json", 'print { "prompt" } as JSON instead of the bare text')
    .action(async (opts: PromptOptions) => {
      const file = GgufFile.open(opts.model);
      let source: string | undefined;
      if (opts.template) {
        const f = Bun.file(opts.template);
        if (!(await f.exists())) throw new IngotError("FILE_NOT_FOUND", `template file not found: ${opts.template}`);
        source = await f.text();
      } else {
        source = chatTemplateFromGguf(file);
        if (source === undefined) throw new IngotError("TEMPLATE_MISSING", `${opts.model} has no tokenizer.chat_template: pass --template <file.jinja>`);
      }
      const rendered = new ChatTemplate(source).render({
        messages: await readMessages(opts.messages),
        addGenerationPrompt: opts.generationPrompt,
        bosToken: opts.bos ?? tokenText(file, "tokenizer.ggml.bos_token_id") ?? "",
        eosToken: opts.eos ?? tokenText(file, "tokenizer.ggml.eos_token_id") ?? "",
      });
      process.stdout.write(opts.json ? `${JSON.stringify({ prompt: rendered })}\n` : rendered);
    });
}
