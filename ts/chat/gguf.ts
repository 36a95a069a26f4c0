/** The chat template stored in a GGUF file: `tokenizer.chat_template`, or `tokenizer.chat_template.<name>`. */
export function chatTemplateFromGguf(file: { getString(key: string): string | undefined }, name?: string): string | undefined {
  return file.getString(name ? `tokenizer.chat_template.${name}` : "tokenizer.chat_template");
}
