/**
 * Decoding: round trips against llama.cpp's detokenizer rules, and the stream decoder (one id at a time)
 * agreeing with decode() without ever emitting a broken UTF-8 sequence.
 */
import { describe, expect, test } from "bun:test";
import type { Tokenizer } from "../../ts/tokenizer/index.ts";
import { demoTokenizer, label, VOCABS, vocabCases, vocabTokenizer } from "./fixtures.ts";

/**
 * llama_detokenize's clean_spaces passes, written directly from the C++ (three in-place passes over one
 * buffer). Used as the oracle for the streaming implementation.
 */
function llamaCleanSpaces(input: Uint8Array): Uint8Array {
  const text = Array.from(input);
  const pass = (n: number, body: (i: number, x: number, total: { v: number }, n: number) => number) => {
    const total = { v: n ? 1 : 0 };
    for (let i = 1; i < n; i++) {
      const x = text[i]!;
      i = body(i, x, total, n);
      text[total.v++] = x;
    }
    return total.v;
  };
  const SP = 0x20, AP = 0x27;
  let n = pass(text.length, (i, x, t) => {
    if (text[i - 1] === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) t.v--;
    return i;
  });
  n = pass(n, (i, x, t, m) => {
    if (x === AP && i + 1 < m && text[i - 1] === SP && text[i + 1] === SP) {
      t.v--;
      text[++i] = 0;
    }
    return i;
  });
  n = pass(n, (i, x, t, m) => {
    if (text[i - 1] === SP && x === AP && i + 1 < m) {
      const x1 = text[i + 1]!;
      if (x1 === 0x73 || x1 === 0x6d) t.v--;
      else if (x1 !== 0x74 && x1 !== 0x64 && i + 2 < m) {
        const x2 = text[i + 2]!;
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) t.v--;
      }
    }
    return i;
  });
  return Uint8Array.from(text.slice(0, n));
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const cleanText = (s: string) => dec.decode(llamaCleanSpaces(enc.encode(s)));

function streamChunks(tok: Tokenizer, ids: readonly number[], special = false): string[] {
  const sd = tok.createStreamDecoder({ special });
  const chunks = ids.map((id) => sd.push(id));
  chunks.push(sd.flush());
  return chunks;
}

const EXTRA = [
  "🦙🦙 llama 日本語のテキスト 😶‍🌫️ 🇫🇷",
  "Ω≈ç√∫˜µ≤≥÷ — “quotes” ‘single’",
  "  leading spaces and 'quotes' , . ! ? it 's we 're they 've I 'm",
  "한국어 텍스트와 中文字符 mixed with ASCII",
];

for (const name of [...VOCABS, "kjv-demo"] as const) {
  const tok = () => (name === "kjv-demo" ? demoTokenizer() : vocabTokenizer(name));
  const texts = [...(name === "kjv-demo" ? vocabCases("gpt-2") : vocabCases(name)).map((c) => c.text), ...EXTRA];

  describe(`decode ${name}`, () => {
    test("decode(encode(s)) == s, except where llama.cpp's clean_spaces rewrites the text", () => {
      const t = tok();
      const bpeClean = t.type === "bpe" && name !== "deepseek-llm";
      const changed: string[] = [];
      for (const s of texts) {
        const got = t.decode(t.encode(s, { addSpecial: false }));
        const want = bpeClean ? cleanText(s) : s;
        expect(got).toBe(want);
        if (want !== s) changed.push(label(s));
      }
      // only strings with " ?", " !", " 's"-style sequences are changed by the clean-up
      if (name === "gpt-2") expect(changed.length).toBe(3);
      if (!bpeClean) expect(changed).toEqual([]);
    });

    test("stream decoder output concatenates to decode() and never shows a broken character", () => {
      const t = tok();
      let split = 0;
      for (const s of texts) {
        for (const special of [false, true]) {
          const ids = t.encode(s, { addSpecial: true });
          const full = t.decode(ids, { special });
          const chunks = streamChunks(t, ids, special);
          expect(chunks.join("")).toBe(full);
          if (!full.includes("\uFFFD")) {
            for (const c of chunks) expect(c.includes("\uFFFD")).toBe(false);
          }
          // count characters whose bytes arrived in more than one token
          const pieces = ids.map((id) => t.tokenToPiece(id, { special }));
          split += pieces.filter((p) => p.length > 0 && dec.decode(p).includes("\uFFFD")).length;
        }
      }
      expect(split).toBeGreaterThan(0); // the vectors really exercise split UTF-8 sequences
    });
  });
}

describe("stream decoder", () => {
  test("holds incomplete UTF-8 until the character is complete (SentencePiece byte tokens)", () => {
    const t = vocabTokenizer("llama-spm");
    const ids = t.encode("🦙", { addSpecial: false }); // ▁ + four byte tokens
    const chunks = streamChunks(t, ids);
    expect(chunks.join("")).toBe("🦙");
    expect(chunks.filter((c) => c !== "")).toEqual(["🦙"]);
  });

  test("an unfinished character at the end is flushed as U+FFFD, like decode()", () => {
    const t = vocabTokenizer("llama-spm");
    const ids = t.encode("🦙", { addSpecial: false }).slice(0, -1);
    expect(streamChunks(t, ids).join("")).toBe(t.decode(ids));
    expect(t.decode(ids).endsWith("\uFFFD")).toBe(true);
  });

  test("first-token space strip applies to the first pushed token only", () => {
    const t = vocabTokenizer("llama-spm");
    const ids = t.encode(" a b", { addSpecial: false });
    expect(t.decode(ids)).toBe(" a b");
    expect(streamChunks(t, ids).join("")).toBe(" a b");
    // with BOS first, nothing is stripped (BOS renders as nothing)
    const withBos = t.encode("a b");
    expect(t.decode(withBos)).toBe(" a b");
    expect(streamChunks(t, withBos).join("")).toBe(" a b");
  });

  test("flush resets the decoder for reuse", () => {
    const t = demoTokenizer();
    const sd = t.createStreamDecoder();
    const ids = t.encode("Hello world");
    const a = ids.map((id) => sd.push(id)).join("") + sd.flush();
    const b = ids.map((id) => sd.push(id)).join("") + sd.flush();
    expect(a).toBe("Hello world");
    expect(b).toBe(a);
  });
});

describe("clean_spaces streaming equals llama.cpp's three passes", () => {
  test("random strings over the bytes the passes look at", () => {
    const alphabet = " '?!.,smrvetdla\n";
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const t = demoTokenizer(); // a clean_spaces vocabulary
    for (let k = 0; k < 3000; k++) {
      let s = "";
      const len = rnd(14);
      for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
      const want = cleanText(s);
      const ids = t.encode(s, { addSpecial: false });
      expect(t.decode(ids)).toBe(want);
      expect(streamChunks(t, ids).join("")).toBe(want);
    }
  });
});
