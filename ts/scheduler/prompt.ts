/**
 * Turns a request's input into prompt token ids, the same way for `ingot batch`, `ingot serve` and the
 * library: chat messages are rendered with the model's chat template and tokenized with special tokens
 * parsed and no BOS added (templates emit BOS themselves); plain prompts get the vocabulary's BOS
 * (add_bos) and have special-token text parsed, as llama.cpp's server does; token arrays pass as is.
 */
import { ChatTemplate, chatTemplateFromGguf, type ChatMessage } from "../chat/index.ts";
import { IngotError } from "../errors.ts";
import type { Tokenizer } from "../tokenizer/index.ts";

export type PromptInput = { prompt: string | readonly number[] } | { messages: readonly ChatMessage[] };

export interface PromptSource {
  readonly tokenizer: Tokenizer;
  readonly file: { getString(key: string): string | undefined };
}

export class PromptEncoder {
  private template: ChatTemplate | null = null;

  constructor(private readonly model: PromptSource) {}

  encode(input: PromptInput): number[] {
    const t = this.model.tokenizer;
    if ("messages" in input) return t.encode(this.render(input.messages), { addSpecial: false, parseSpecial: true });
    if (typeof input.prompt === "string") return t.encode(input.prompt, { addSpecial: true, parseSpecial: true });
    return [...input.prompt];
  }

  /** The chat prompt text for `messages`, ending with the assistant-turn header. */
  render(messages: readonly ChatMessage[]): string {
    const t = this.model.tokenizer;
    const special = (id: number | null | undefined) => (id === null || id === undefined ? "" : t.token(id));
    return this.chatTemplate().render({
      messages: messages.map(flattenContent),
      addGenerationPrompt: true,
      bosToken: special(t.bos),
      eosToken: special(t.eos),
    });
  }

  private chatTemplate(): ChatTemplate {
    if (this.template) return this.template;
    const source = chatTemplateFromGguf(this.model.file);
    if (source === undefined) {
      throw new IngotError("TEMPLATE_MISSING", "this model has no chat template (tokenizer.chat_template): send a plain prompt instead of messages");
    }
    this.template = new ChatTemplate(source);
    return this.template;
  }
}

/** OpenAI content parts ([{ type: "text", text }]) become plain text, which every template understands. */
function flattenContent(m: ChatMessage): ChatMessage {
  if (!Array.isArray(m.content)) return m;
  const parts = m.content.map((p) => {
    if (p.type !== "text" || typeof p.text !== "string") {
      throw new IngotError("BAD_INPUT", `message content part of type '${p.type}' is not supported: only text parts are`);
    }
    return p.text;
  });
  return { ...m, content: parts.join("") };
}
