/**
 * Pre-tokenisers: every name llama.cpp maps is accepted and splits losslessly; the hand-written GPT-2 /
 * Llama-3 matchers agree with the regexes they implement; the std::regex emulation agrees with a
 * Unicode-aware JS regex on text where llama.cpp's category collapsing makes no difference.
 */
import { describe, expect, test } from "bun:test";
import { encodeGguf, GgufFile, GgufValueType, type GgufMetadataEntry } from "../../ts/gguf/index.ts";
import { isIngotError } from "../../ts/errors.ts";
import { knownPreTokenizers, Tokenizer } from "../../ts/tokenizer/index.ts";
import { preTokenizerFor } from "../../ts/tokenizer/pretokenize.ts";
import { GPT2_REGEX, LLAMA3_REGEX, regexSplit } from "../../ts/tokenizer/regex-split.ts";
import { codepoints } from "../../ts/tokenizer/unicode.ts";
import { vocabCases } from "./fixtures.ts";

const SAMPLES = [
  ...vocabCases("gpt-2").map((c) => c.text),
  "I'M here, we'RE there; it'S ok\r\n\r\n  x \n\n\t y",
  "1234567 12 3.14159 ١٢٣ ½ Ⅻ",
  "camelCaseWord HTTPServer éÉ ßẞ",
];

function split(text: string, regexes: readonly string[]): string[] {
  const cps = codepoints(text);
  const out: string[] = [];
  let at = 0;
  for (const n of regexSplit(cps, regexes)) {
    out.push(String.fromCodePoint(...cps.slice(at, at + n)));
    at += n;
  }
  return out;
}

/** Reference: the same regex run by JS with full Unicode semantics; gaps between matches kept as words. */
function jsSplit(text: string, regex: string): string[] {
  const re = new RegExp(regex.replace("(?i:", "(?:"), "gu");
  const out: string[] = [];
  let prev = 0;
  for (const m of text.matchAll(re)) {
    if (m.index! > prev) out.push(text.slice(prev, m.index));
    out.push(m[0]);
    prev = m.index! + m[0].length;
  }
  if (prev < text.length) out.push(text.slice(prev));
  return out;
}

describe("pre-tokenisers", () => {
  test("every known name builds and splits every sample losslessly", () => {
    const names = knownPreTokenizers();
    for (const required of ["default", "gpt-2", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder", "falcon",
      "starcoder", "refact", "mpt", "gpt-neox", "phi-2", "command-r", "smollm", "olmo"]) {
      expect(names).toContain(required);
    }
    for (const name of names) {
      const pre = preTokenizerFor(name);
      for (const s of SAMPLES) expect(split(s, pre.regexes).join("")).toBe(s);
    }
  });

  test("the GPT-2 matcher equals the GPT-2 regex", () => {
    for (const s of SAMPLES) expect(split(s, [GPT2_REGEX])).toEqual(jsSplit(s, GPT2_REGEX + "|\\s+"));
  });

  test("the Llama-3 matcher equals the Llama-3 regex", () => {
    for (const s of SAMPLES) expect(split(s, [LLAMA3_REGEX])).toEqual(jsSplit(s, LLAMA3_REGEX));
  });

  test("std::regex emulation (qwen2, starcoder, deepseek-coder) equals JS regex on ASCII text", () => {
    const ascii = SAMPLES.filter((s) => /^[\x00-\x7f]*$/.test(s));
    expect(ascii.length).toBeGreaterThan(10);
    for (const name of ["qwen2", "starcoder", "deepseek-coder", "falcon", "default"]) {
      const pre = preTokenizerFor(name);
      for (const s of ascii) {
        let want = [s];
        for (const r of pre.regexes) want = want.flatMap((w) => jsSplit(w, r));
        expect(split(s, pre.regexes)).toEqual(want);
      }
    }
  });

  test("known splits", () => {
    expect(split("Hello world 123456", preTokenizerFor("llama-bpe").regexes)).toEqual(["Hello", " world", " ", "123", "456"]);
    expect(split("Hello world 123", preTokenizerFor("qwen2").regexes)).toEqual(["Hello", " world", " ", "1", "2", "3"]);
    expect(split("x = 12", preTokenizerFor("starcoder").regexes)).toEqual(["x", " =", " ", "1", "2"]);
  });
});

function vocabGguf(meta: Record<string, string | string[]>): GgufFile {
  const entries: GgufMetadataEntry[] = Object.entries(meta).map(([key, value]) =>
    Array.isArray(value)
      ? { key, type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value }
      : { key, type: GgufValueType.STRING, value });
  return GgufFile.fromBytes(encodeGguf({ metadata: entries, tensors: [] }));
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isIngotError(e) ? e.code : "not an IngotError";
  }
  return undefined;
}

describe("errors", () => {
  const tokens = ["a", "b", "ab"];
  test("unsupported tokenizer model or pre-tokeniser → TOKENIZER_UNSUPPORTED", () => {
    expect(codeOf(() => Tokenizer.fromGguf(vocabGguf({ "tokenizer.ggml.model": "bert", "tokenizer.ggml.tokens": tokens }))))
      .toBe("TOKENIZER_UNSUPPORTED");
    expect(codeOf(() => Tokenizer.fromGguf(vocabGguf({
      "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "no-such-pre", "tokenizer.ggml.tokens": tokens,
      "tokenizer.ggml.merges": ["a b"],
    })))).toBe("TOKENIZER_UNSUPPORTED");
  });

  test("missing tokens or merges → TOKENIZER_BAD_VOCAB", () => {
    expect(codeOf(() => Tokenizer.fromGguf(vocabGguf({ "tokenizer.ggml.model": "llama" })))).toBe("TOKENIZER_BAD_VOCAB");
    expect(codeOf(() => Tokenizer.fromGguf(vocabGguf({ "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": tokens }))))
      .toBe("TOKENIZER_BAD_VOCAB");
  });

  test("a minimal BPE vocabulary works", () => {
    const tok = Tokenizer.fromGguf(vocabGguf({
      "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "gpt-2", "tokenizer.ggml.tokens": tokens,
      "tokenizer.ggml.merges": ["a b"],
    }));
    expect(tok.encode("abba")).toEqual([2, 1, 0]);
    expect(tok.decode([2, 1, 0])).toBe("abba");
  });
});
