/**
 * The demo vocabulary (byte-level BPE, GPT-2 pre-tokenisation, 4096 ids) against Hugging Face's and
 * llama.cpp's tokenizations of the reference prompts and of eval-revelation.txt.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { demoTokenizer, FIXTURES } from "./fixtures.ts";

const ref = JSON.parse(readFileSync(join(FIXTURES, "tokenizer", "kjv-reference-ids.json"), "utf8")) as {
  hf_prompts: Record<string, number[]>;
  revelation512: number[];
  hf_long: number[];
};
const revelation = readFileSync(join(FIXTURES, "tokenizer", "eval-revelation.txt"), "utf8");

describe("KJV demo vocabulary", () => {
  test("metadata: BOS = EOS = <|endoftext|>, no BOS added, ChatML tokens are control / EOG", () => {
    const tok = demoTokenizer();
    expect([tok.type, tok.preTokenizer, tok.vocabSize, tok.bos, tok.eos, tok.addBos, tok.addEos])
      .toEqual(["bpe", "gpt2", 4096, 0, 0, false, false]);
    expect([0, 1, 2].map((id) => tok.token(id))).toEqual(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
    expect([0, 1, 2].map((id) => tok.isControl(id))).toEqual([true, true, true]);
    expect([0, 1, 2].map((id) => tok.isEog(id))).toEqual([true, false, true]);
  });

  for (const [prompt, ids] of Object.entries(ref.hf_prompts)) {
    test(`Hugging Face ids of ${JSON.stringify(prompt)}`, () => {
      expect(demoTokenizer().encode(prompt)).toEqual(ids);
    });
  }

  test("eval-revelation.txt: first 512 ids equal llama.cpp's", () => {
    const ids = demoTokenizer().encode(revelation);
    expect(ids.length).toBeGreaterThan(512);
    expect(ids.slice(0, 512)).toEqual(ref.revelation512);
  });

  test("a 1500-token Hugging Face tokenization survives decode → encode", () => {
    const tok = demoTokenizer();
    const text = tok.decode(ref.hf_long, { special: true }); // it contains <|endoftext|> separators
    expect(tok.encode(text, { parseSpecial: true })).toEqual(ref.hf_long);
  });

  test("parseSpecial: <|im_start|> is id 1 only when special tokens are parsed", () => {
    const tok = demoTokenizer();
    expect(tok.encode("<|im_start|>", { parseSpecial: true })).toEqual([1]);
    const plain = tok.encode("<|im_start|>");
    expect(plain.length).toBeGreaterThan(1);
    expect(plain).not.toContain(1);
    expect(tok.decode(plain)).toBe("<|im_start|>");

    const chat = tok.encode("<|im_start|>user\nHello<|im_end|>\n", { parseSpecial: true });
    expect(chat[0]).toBe(1);
    expect(chat).toContain(2);
    expect(tok.decode(chat)).toBe("user\nHello\n");
    expect(tok.decode(chat, { special: true })).toBe("<|im_start|>user\nHello<|im_end|>\n");
  });

  test("tokenToPiece returns bytes; control tokens are empty unless special", () => {
    const tok = demoTokenizer();
    const the = tok.tokenId("Ġthe")!;
    expect(new TextDecoder().decode(tok.tokenToPiece(the))).toBe(" the");
    expect(tok.tokenToPiece(1).length).toBe(0);
    expect(new TextDecoder().decode(tok.tokenToPiece(1, { special: true }))).toBe("<|im_start|>");
    expect(() => tok.tokenToPiece(4096)).toThrow();
  });
});
