/**
 * `bun bench/engine.ts [--quick] [--only demo|1b] [--match text] [--runs n] [--threads n] [--no-save]`:
 * prefill and decode speed of
 * ingot's CPU engine side by side with node-llama-cpp (llama.cpp's CPU build) on the same files, same
 * threads, same token ids, in one process. Writes bench/results/engine.{json,md}.
 *
 * Rows: the demo target (F16, Q8_0, Q4_K_M, Q4_0) and a Llama-3.2-1B-shaped model with random weights
 * (Q4_K_M, Q8_0, Q4_0) that bench/synth-models.ts generates into bench/.cache on first use.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GgufFile } from "../ts/gguf/index.ts";
import { ingotRunner, llamaCppRunner, type EngineRunner, type RunTimes } from "./runners.ts";
import { median, min, quantile } from "./stats.ts";
import { ensureSynthModels } from "./synth-models.ts";

const root = join(import.meta.dir, "..");
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = flag("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
/** Keep only rows whose label contains this text (e.g. "1B shape Q8_0"); partial runs are not saved. */
const match = args.includes("--match") ? args[args.indexOf("--match") + 1] : undefined;
const save = !flag("--no-save") && match === undefined;
const runs = value("--runs", quick ? 2 : 5);
const threads = value("--threads", 2);

interface Case {
  label: string;
  path: string;
  prefill: number;
  decode: number;
}

const demo: Case[] = [
  ["F16", "tests/fixtures/models/kjv-target-f16.gguf"],
  ["Q8_0", "tests/fixtures/models/kjv-target-q8_0.gguf"],
  ["Q4_K_M", "models/kjv-target-q4_k_m.gguf"],
  ["Q4_0", "tests/fixtures/models/kjv-target-q4_0.gguf"],
].map(([type, path]) => ({ label: `kjv-target ${type}`, path: join(root, path!), prefill: 128, decode: 128 }));

function weightBytesPerToken(path: string): number {
  const f = GgufFile.open(path);
  const tied = !f.tensor("output.weight");
  return f.tensors.filter((t) => t.name !== "token_embd.weight" || tied).reduce((s, t) => s + t.byteSize, 0);
}

function promptIds(n: number, vocab: number): number[] {
  // Ordinary token ids spread over the vocabulary (deterministic), avoiding the first (special) ids.
  return Array.from({ length: n }, (_, i) => 300 + ((i * 7919) % (vocab - 300)));
}

interface Row {
  label: string;
  file: string;
  weightMiB: number;
  engines: Record<string, { prefillTps: number[]; decodeTps: number[]; p50Ms: number; p95Ms: number }>;
}

async function measure(c: Case): Promise<Row> {
  const vocab = GgufFile.open(c.path).getStringArray("tokenizer.ggml.tokens")!.length;
  const prompt = promptIds(c.prefill, vocab);
  const ctxLen = c.prefill + c.decode + 8;
  const runners: EngineRunner[] = [ingotRunner(c.path, threads, ctxLen), await llamaCppRunner(c.path, threads, ctxLen)];
  const results: Record<string, RunTimes[]> = {};
  // Warm-up once each, then alternate engines run by run so drift affects both alike.
  for (const r of runners) await r.run(prompt, 8);
  for (let i = 0; i < runs; i++) {
    for (const r of runners) (results[r.name] ??= []).push(await r.run(prompt, c.decode));
  }
  for (const r of runners) await r.dispose();
  const engines: Row["engines"] = {};
  for (const [name, rs] of Object.entries(results)) {
    const steps = rs.flatMap((r) => r.stepMs);
    engines[name] = {
      prefillTps: rs.map((r) => (c.prefill * 1000) / r.prefillMs),
      decodeTps: rs.map((r) => (r.stepMs.length * 1000) / r.stepMs.reduce((a, b) => a + b, 0)),
      p50Ms: quantile(steps, 0.5),
      p95Ms: quantile(steps, 0.95),
    };
  }
  return { label: c.label, file: c.path.slice(root.length + 1), weightMiB: weightBytesPerToken(c.path) / 2 ** 20, engines };
}

function table(rows: Row[]): string {
  const lines = [
    `Threads: ${threads}; ${runs} runs per engine, alternating; figures are median (min–max is in engine.json).`,
    "",
    "| model | weights MiB | ingot prefill t/s | llama.cpp prefill t/s | ratio | ingot decode t/s | llama.cpp decode t/s | ratio | ingot p50/p95 ms | ingot GB/s | llama.cpp GB/s |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const a = r.engines.ingot!, b = r.engines["node-llama-cpp"]!;
    const gbs = (tps: number) => ((tps * r.weightMiB * 2 ** 20) / 1e9).toFixed(1);
    lines.push(
      `| ${r.label} | ${r.weightMiB.toFixed(1)} | ${median(a.prefillTps).toFixed(0)} | ${median(b.prefillTps).toFixed(0)} | ${(median(a.prefillTps) / median(b.prefillTps)).toFixed(2)}× | ${median(a.decodeTps).toFixed(1)} | ${median(b.decodeTps).toFixed(1)} | ${(median(a.decodeTps) / median(b.decodeTps)).toFixed(2)}× | ${a.p50Ms.toFixed(2)}/${a.p95Ms.toFixed(2)} | ${gbs(median(a.decodeTps))} | ${gbs(median(b.decodeTps))} |`,
    );
  }
  return lines.join("\n");
}

const cases: Case[] = [];
if (only !== "1b") cases.push(...demo);
if (only !== "demo") {
  for (const [label, path] of await ensureSynthModels(join(import.meta.dir, ".cache"), quick ? ["Q4_K_M"] : ["Q4_K_M", "Q8_0", "Q4_0"])) {
    cases.push({ label: `Llama-3.2-1B shape ${label}`, path, prefill: 64, decode: quick ? 8 : 32 });
  }
}
const rows: Row[] = [];
for (const c of cases.filter((c) => match === undefined || c.label.includes(match))) {
  process.stderr.write(`measuring ${c.label}...\n`);
  rows.push(await measure(c));
}
const md = table(rows);
console.log(md);
const outDir = join(import.meta.dir, "results");
if (!save) process.exit(0);
mkdirSync(outDir, { recursive: true });
const meta = { date: new Date().toISOString(), threads, runs, cpu: navigator.hardwareConcurrency };
writeFileSync(join(outDir, "engine.json"), JSON.stringify({ ...meta, rows }, null, 2));
writeFileSync(join(outDir, "engine.md"), `# Engine benchmark (${meta.date})\n\n${md}\n`);
