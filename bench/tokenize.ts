/**
 * Tokenizer throughput: encodes eval-revelation.txt ×20 (about 1.25 MB) with the demo vocabulary and with
 * llama.cpp's gpt-2 and llama-spm test vocabularies. Each run uses a fresh Tokenizer (empty word cache),
 * so the figures include cache warm-up within the text. Also times a decode of the result.
 * Usage: bun bench/tokenize.ts [runs]   → prints min/median, writes bench/results/tokenize.json
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GgufFile } from "../ts/gguf/index.ts";
import { Tokenizer } from "../ts/tokenizer/index.ts";

const RUNS = Number(process.argv[2] ?? 5);
const ROOT = join(import.meta.dir, "..");
const TEXT = readFileSync(join(ROOT, "tests/fixtures/tokenizer/eval-revelation.txt"), "utf8").repeat(20);
const BYTES = Buffer.byteLength(TEXT, "utf8");

const VOCABS = [
  { name: "kjv-demo (bpe, gpt-2 pre)", path: join(ROOT, "models/kjv-draft-q8_0.gguf") },
  { name: "gpt-2 (bpe, 50257)", path: join(ROOT, "tests/fixtures/vocab/ggml-vocab-gpt-2.gguf") },
  { name: "llama-spm (spm, 32000)", path: join(ROOT, "tests/fixtures/vocab/ggml-vocab-llama-spm.gguf") },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const results = [];
for (const v of VOCABS) {
  const file = GgufFile.open(v.path);
  const encodeMs: number[] = [];
  const decodeMs: number[] = [];
  const loadMs: number[] = [];
  let nTokens = 0;
  for (let r = 0; r < RUNS; r++) {
    let t0 = performance.now();
    const tok = Tokenizer.fromGguf(file);
    loadMs.push(performance.now() - t0);
    t0 = performance.now();
    const ids = tok.encode(TEXT, { addSpecial: false });
    encodeMs.push(performance.now() - t0);
    nTokens = ids.length;
    t0 = performance.now();
    const back = tok.decode(ids);
    decodeMs.push(performance.now() - t0);
    if (r === 0 && tok.type === "spm" && back !== TEXT) console.warn(`${v.name}: decode(encode(text)) differs from text`);
  }
  const best = Math.min(...encodeMs);
  const med = median(encodeMs);
  const row = {
    vocab: v.name,
    tokens: nTokens,
    bytes: BYTES,
    encode_min_ms: round(best),
    encode_median_ms: round(med),
    tokens_per_s_best: Math.round(nTokens / (best / 1000)),
    tokens_per_s_median: Math.round(nTokens / (med / 1000)),
    mb_per_s_best: round(BYTES / 1e6 / (best / 1000)),
    mb_per_s_median: round(BYTES / 1e6 / (med / 1000)),
    decode_median_ms: round(median(decodeMs)),
    load_median_ms: round(median(loadMs)),
  };
  results.push(row);
  console.log(
    `${v.name.padEnd(28)} ${nTokens} tokens  encode min ${row.encode_min_ms} ms / median ${row.encode_median_ms} ms  ` +
      `${row.tokens_per_s_best.toLocaleString()} tok/s (median ${row.tokens_per_s_median.toLocaleString()})  ` +
      `${row.mb_per_s_best} MB/s (median ${row.mb_per_s_median})  decode ${row.decode_median_ms} ms  load ${row.load_median_ms} ms`,
  );
}

mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(
  join(ROOT, "bench/results/tokenize.json"),
  JSON.stringify({
    bench: "tokenize",
    text: "eval-revelation.txt x20",
    bytes: BYTES,
    runs: RUNS,
    results,
    bun: Bun.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  }, null, 2) + "\n",
);
