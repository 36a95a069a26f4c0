/**
 * Times GgufFile.open on a synthetic Qwen2-sized vocabulary-only GGUF: 151,936 byte-level BPE tokens,
 * float scores, int32 token types and ~151k merges. Target: < 100 ms per open.
 * Usage: bun bench/gguf-open.ts [runs]   → prints min/median, writes bench/results/gguf-open.json
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgufFile, GgufValueType, writeGguf, type GgufMetadataEntry } from "../ts/gguf/index.ts";

const N_TOKENS = 151_936;
const N_MERGES = 151_387;
const RUNS = Number(process.argv[2] ?? 20);

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Byte-level BPE alphabet: ASCII letters plus the GPT-2 byte-to-unicode stand-ins (Ġ, Ċ, Ã, ...) and some CJK.
const ALPHABET = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,'-", "Ġ", "Ġ", "Ġ", "Ċ", "Ã", "¤", "ä", "¸", "æ", "ī", "人", "的"];

function synthesize(): GgufMetadataEntry[] {
  const rand = prng(42);
  const piece = (min: number, max: number) => {
    let s = "";
    const n = min + Math.floor(rand() * (max - min + 1));
    for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
    return s;
  };
  const tokens = Array.from({ length: N_TOKENS }, (_, i) => (i < 3 ? `<|special_${i}|>` : piece(1, 9)));
  const scores = new Float32Array(N_TOKENS).map((_, i) => -i);
  const types = new Int32Array(N_TOKENS).fill(1);
  types.fill(3, 0, 3);
  const merges = Array.from({ length: N_MERGES }, () => `${piece(1, 5)} ${piece(1, 5)}`);
  return [
    { key: "general.architecture", type: GgufValueType.STRING, value: "qwen2" },
    { key: "tokenizer.ggml.model", type: GgufValueType.STRING, value: "gpt2" },
    { key: "tokenizer.ggml.pre", type: GgufValueType.STRING, value: "qwen2" },
    { key: "tokenizer.ggml.tokens", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: tokens },
    { key: "tokenizer.ggml.scores", type: GgufValueType.ARRAY, arrayType: GgufValueType.FLOAT32, value: scores },
    { key: "tokenizer.ggml.token_type", type: GgufValueType.ARRAY, arrayType: GgufValueType.INT32, value: types },
    { key: "tokenizer.ggml.merges", type: GgufValueType.ARRAY, arrayType: GgufValueType.STRING, value: merges },
  ];
}

const dir = mkdtempSync(join(tmpdir(), "ingot-bench-gguf-"));
try {
  const path = join(dir, "vocab-qwen2-like.gguf");
  let t = performance.now();
  writeGguf(path, { metadata: synthesize(), tensors: [] });
  const writeMs = performance.now() - t;
  const fileBytes = statSync(path).size;

  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    t = performance.now();
    const f = GgufFile.open(path);
    times.push(performance.now() - t);
    if (f.getStringArray("tokenizer.ggml.tokens")!.length !== N_TOKENS) throw new Error("bad token count");
    if (f.getStringArray("tokenizer.ggml.merges")!.length !== N_MERGES) throw new Error("bad merge count");
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const result = {
    bench: "gguf-open",
    file: { tokens: N_TOKENS, merges: N_MERGES, bytes: fileBytes },
    runs: RUNS,
    first_ms: +times[0]!.toFixed(2),
    min_ms: +sorted[0]!.toFixed(2),
    median_ms: +median.toFixed(2),
    max_ms: +sorted[sorted.length - 1]!.toFixed(2),
    write_ms: +writeMs.toFixed(1),
    target_ms: 100,
    bun: Bun.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
  console.log(`GgufFile.open, ${N_TOKENS} tokens + ${N_MERGES} merges (${(fileBytes / 1e6).toFixed(1)} MB), ${RUNS} runs: ` +
    `first ${result.first_ms} ms, min ${result.min_ms} ms, median ${result.median_ms} ms (target < 100 ms); write ${result.write_ms} ms`);
  const outDir = join(import.meta.dir, "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "gguf-open.json"), JSON.stringify(result, null, 2) + "\n");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
