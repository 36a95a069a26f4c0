/** Loaders for the tokenizer tests (reference fixtures copied into tests/fixtures). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GgufFile } from "../../ts/gguf/index.ts";
import { Tokenizer } from "../../ts/tokenizer/index.ts";

export const FIXTURES = join(import.meta.dir, "..", "fixtures");
export const VOCABS = ["llama-spm", "phi-3", "gpt-2", "deepseek-llm"] as const;
export type VocabName = (typeof VOCABS)[number];

export const DEMO_MODEL = join(import.meta.dir, "..", "..", "models", "kjv-draft-q8_0.gguf");

const cache = new Map<string, Tokenizer>();

function load(path: string): Tokenizer {
  let t = cache.get(path);
  if (!t) {
    t = Tokenizer.fromGguf(GgufFile.open(path));
    cache.set(path, t);
  }
  return t;
}

export function vocabPath(name: VocabName): string {
  return join(FIXTURES, "vocab", `ggml-vocab-${name}.gguf`);
}

export function vocabTokenizer(name: VocabName): Tokenizer {
  return load(vocabPath(name));
}

export function demoTokenizer(): Tokenizer {
  return load(DEMO_MODEL);
}

export interface VocabCase {
  text: string;
  ids: number[];
}

/**
 * The .inp/.out pair as llama.cpp's test-tokenizer-0 reads it: inputs are separated by
 * "\n__ggml_vocab_test__\n" (so the newline before each separator line belongs to the separator), and
 * the .out file has one line of space-separated ids per input.
 */
export function vocabCases(name: VocabName): VocabCase[] {
  const base = vocabPath(name);
  const raw = readFileSync(base + ".inp", "utf8");
  const sep = "\n__ggml_vocab_test__\n";
  const inputs: string[] = [];
  for (let pos = 0; pos < raw.length;) {
    const next = raw.indexOf(sep, pos);
    if (next === -1) {
      inputs.push(raw.slice(pos));
      break;
    }
    inputs.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  const lines = readFileSync(base + ".out", "utf8").split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length !== inputs.length) {
    throw new Error(`${name}: ${inputs.length} inputs but ${lines.length} output lines`);
  }
  return inputs.map((text, i) => {
    const o = lines[i]!.trim();
    return { text, ids: o === "" ? [] : o.split(" ").map(Number) };
  });
}

export function label(text: string, max = 60): string {
  const j = JSON.stringify(text);
  return j.length > max ? j.slice(0, max - 3) + "..." : j;
}
