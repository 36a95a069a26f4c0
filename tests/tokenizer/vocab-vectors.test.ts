/**
 * llama.cpp's tokenizer test vectors (test-tokenizer-0): every string of each vocabulary's .inp must
 * encode to exactly the ids of the .out line (no BOS/EOS, no special-token parsing).
 */
import { describe, expect, test } from "bun:test";
import { label, VOCABS, vocabCases, vocabTokenizer } from "./fixtures.ts";

for (const name of VOCABS) {
  describe(`ggml-vocab-${name}`, () => {
    const cases = vocabCases(name);

    test("has the 46 strings of test-tokenizer-0", () => {
      expect(cases.length).toBe(46);
    });

    for (const [i, c] of cases.entries()) {
      test(`#${i} ${label(c.text)}`, () => {
        expect(vocabTokenizer(name).encode(c.text, { addSpecial: false, parseSpecial: false })).toEqual(c.ids);
      });
    }
  });
}

describe("vocabulary flags as llama.cpp sets them", () => {
  test("SentencePiece vocabularies add BOS, BPE ones follow their metadata", () => {
    const spm = vocabTokenizer("llama-spm");
    expect([spm.type, spm.addBos, spm.addEos, spm.bos, spm.eos]).toEqual(["spm", true, false, 1, 2]);
    expect(spm.encode("Hello")).toEqual([1, ...spm.encode("Hello", { addSpecial: false })]);

    const gpt2 = vocabTokenizer("gpt-2");
    expect([gpt2.type, gpt2.preTokenizer, gpt2.addBos, gpt2.bos, gpt2.eos]).toEqual(["bpe", "gpt2", false, 50256, 50256]);
    expect(gpt2.encode("Hello")).toEqual([15496]);

    const ds = vocabTokenizer("deepseek-llm");
    expect([ds.preTokenizer, ds.addBos, ds.bos]).toEqual(["deepseek-llm", true, 100000]);
    expect(ds.encode("Hello")[0]).toBe(100000);
  });

  test("end-of-generation tokens", () => {
    const phi3 = vocabTokenizer("phi-3");
    expect(phi3.isEog(phi3.tokenId("<|end|>")!)).toBe(true);
    expect(phi3.isEog(phi3.tokenId("<|endoftext|>")!)).toBe(true);
    expect(phi3.isEog(phi3.tokenId("<|assistant|>")!)).toBe(false);
    expect(vocabTokenizer("gpt-2").isEog(50256)).toBe(true);
    expect(vocabTokenizer("llama-spm").isEog(2)).toBe(true);
  });

  test("user-defined tokens are matched even without parseSpecial", () => {
    // deepseek-llm lists single characters such as "ø" as user-defined tokens
    const ds = vocabTokenizer("deepseek-llm");
    const o = ds.tokenId("ø")!;
    expect(o).toBe(100002);
    const ids = ds.encode("Føroyar", { addSpecial: false });
    expect(ids).toContain(o);
    expect(ds.decode(ids)).toBe("Føroyar");
    // phi-3's "</s>" is user-defined in the file, but llama.cpp's EOG detection makes it a control token
    const phi3 = vocabTokenizer("phi-3");
    expect(phi3.isControl(2)).toBe(true);
    expect(phi3.encode("a</s>b", { addSpecial: false })).not.toContain(2);
    expect(phi3.encode("a</s>b", { addSpecial: false, parseSpecial: true })).toContain(2);
  });

  test("control tokens are matched only with parseSpecial", () => {
    const spm = vocabTokenizer("llama-spm");
    expect(spm.encode("<s>x", { addSpecial: false, parseSpecial: true })[0]).toBe(1);
    expect(spm.encode("<s>x", { addSpecial: false })).not.toContain(1);
  });
});
