/** `ingot tokenize -m <model.gguf> [--ids] [--special] [--no-bos] <text>`: token ids of a text. */
import type { Command } from "commander";
import { IngotError } from "../../errors.ts";
import { GgufFile } from "../../gguf/index.ts";
import { Tokenizer } from "../../tokenizer/index.ts";
import { readStdin } from "../output.ts";

interface TokenizeOptions {
  model: string;
  ids?: boolean;
  json?: boolean;
  special?: boolean;
  bos: boolean;
}

export function registerTokenize(program: Command): void {
  program
    .command("tokenize")
    .description("tokenize a text with a model's vocabulary (text from stdin when no argument)")
    .requiredOption("-m, --model <path>", "GGUF file (weights not needed: vocabulary-only files work)")
    .option("--ids", "print only the ids, as a JSON array")
    .option("--json", 'print { "ids", "pieces" } (pieces as the vocabulary spells them)')
    .option("--special", "match special/control tokens written in the text (like llama.cpp's parse_special)")
    .option("--no-bos", "do not add BOS/EOS even when the vocabulary asks for them")
    .argument("[text]", "text to tokenize")
    .action(async (text: string | undefined, opts: TokenizeOptions) => {
      const input = text ?? (await readStdin());
      if (input === undefined) throw new IngotError("BAD_ARGUMENT", "no text given");
      const tokenizer = Tokenizer.fromGguf(GgufFile.open(opts.model));
      const ids = tokenizer.encode(input, { addSpecial: opts.bos, parseSpecial: opts.special ?? false });
      if (opts.ids) {
        process.stdout.write(`${JSON.stringify(ids)}\n`);
        return;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ids, pieces: ids.map((id) => tokenizer.token(id)) })}\n`);
        return;
      }
      const lines = ids.map((id) => `${String(id).padStart(7)} ${JSON.stringify(tokenizer.token(id))}`);
      process.stdout.write(`${lines.join("\n")}\n${ids.length} tokens\n`);
    });
}
