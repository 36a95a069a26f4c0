/** The word-wise SentencePiece path must give exactly what llama.cpp's whole-fragment merge loop gives. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GgufFile } from "../../ts/gguf/index.ts";
import { SpmEncoder } from "../../ts/tokenizer/spm.ts";
import { Vocab } from "../../ts/tokenizer/vocab.ts";
import { FIXTURES, vocabCases, vocabPath } from "./fixtures.ts";

const revelation = readFileSync(join(FIXTURES, "tokenizer", "eval-revelation.txt"), "utf8");

describe("SentencePiece word-wise encoding", () => {
  for (const name of ["llama-spm", "phi-3"] as const) {
    test(`${name}: word-wise == whole-run on eval-revelation.txt and the test vectors`, () => {
      const vocab = Vocab.fromGguf(GgufFile.open(vocabPath(name)));
      const fast = new SpmEncoder(vocab);
      const literal = new SpmEncoder(vocab, { wholeRuns: true });
      const texts = [revelation, ...vocabCases(name).map((c) => c.text), "▁▁x▁ ▁▁▁y", "a  b   c    d"];
      for (const t of texts) {
        const escaped = (" " + t).replaceAll(" ", "\u2581");
        const a: number[] = [];
        const b: number[] = [];
        fast.encode(escaped, a);
        literal.encode(escaped, b);
        expect(a).toEqual(b);
      }
    });
  }
});
