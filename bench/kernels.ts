/**
 * `bun bench/kernels.ts [--reps n] [--only TYPE,...]`: single-thread matmul kernel speed, the figure to
 * judge a kernel change by on a shared, noisy machine (each case is the minimum over many repetitions).
 * Shapes: the demo target's FFN (k 512 × 1536 rows) and a Llama-3.2-1B-shaped one (k 2048 × 8192 rows),
 * with 1 token (decode), 4 (speculative verification) and 64 (prefill), in the file's layout and, where
 * the engine repacks the type (Sources/IngotCPU/repack.c), in its eight-row layout ("x8"). Reports ns per
 * thousand multiply-adds and, for one token, GB/s of weights streamed. Writes bench/results/kernels.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ptr } from "bun:ffi";
import { GgmlType, Impl, kernels } from "../ts/engine/cpu/kernels-ffi.ts";
import { cpuLibrary } from "../ts/engine/cpu/native.ts";

const args = process.argv.slice(2);
const reps = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : 30;
const only = args.includes("--only") ? args[args.indexOf("--only") + 1]!.split(",") : null;

const TYPES: [string, number][] = [
  ["F16", GgmlType.F16], ["Q8_0", GgmlType.Q8_0], ["Q4_0", GgmlType.Q4_0], ["Q4_1", GgmlType.Q4_1], ["Q5_0", GgmlType.Q5_0], ["Q5_1", GgmlType.Q5_1],
  ["Q2_K", GgmlType.Q2_K], ["Q3_K", GgmlType.Q3_K], ["Q4_K", GgmlType.Q4_K], ["Q5_K", GgmlType.Q5_K], ["Q6_K", GgmlType.Q6_K],
];
const SHAPES = [
  { name: "demo ffn", k: 512, n: 1536 },
  { name: "1B ffn", k: 2048, n: 8192 },
];
const TOKENS = [1, 4, 64];

/** Deterministic values in [-0.1, 0.1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ((s >>> 8) / 2 ** 24 - 0.5) * 0.2;
  }
  return out;
}

function ok(rc: number, what: string): void {
  if (rc !== 0) throw new Error(`${what} failed with code ${rc}`);
}

interface Result { type: string; shape: string; k: number; n: number; tokens: number; ms: number; nsPerKMac: number; weightGBs: number }

const results: Result[] = [];
for (const [type, id] of TYPES) {
  if (only && !only.includes(type)) continue;
  for (const { name, k, n } of SHAPES) {
    const rowBytes = kernels.rowSize(id, k);
    const W = new Uint8Array(rowBytes * n);
    const src = values(k * 64, 7 + id);
    for (let r = 0; r < n; r++) ok(kernels.quantize(id, src.subarray((r % 64) * k, (r % 64 + 1) * k), W.subarray(r * rowBytes), k), "quantize");
    // The file's layout, and the engine's own where it repacks this type (what models actually run).
    const layouts: [string, number, Uint8Array][] = [[type, id, W]];
    const layout = cpuLibrary().ingot_cpu_repacked_layout(id, n, k);
    if (layout !== 0) {
      const packed = new Uint8Array(Number(cpuLibrary().ingot_cpu_repacked_bytes(layout, n, k)));
      ok(cpuLibrary().ingot_cpu_repack(layout, ptr(W), rowBytes, n, k, ptr(packed)), "repack");
      layouts.push([`${type} x8`, layout, packed]);
    }
    for (const [label, layoutId, weights] of layouts) for (const tokens of TOKENS) {
      const xqRow = kernels.actRowSize(id, k);
      const xq = new Uint8Array(xqRow * tokens);
      ok(kernels.quantizeActivations(id, values(k * tokens, 99), k, tokens, xq, xqRow), "quantize activations");
      const Y = new Float32Array(n * tokens);
      const caseReps = tokens === 1 ? reps * 4 : Math.max(3, Math.round(reps / (k / 512)));
      let best = Infinity;
      for (let i = 0; i < caseReps; i++) {
        const t0 = performance.now();
        ok(kernels.matmul(layoutId, Impl.SIMD, weights, rowBytes, k, xq, xqRow, tokens, Y, n, 0, n), "matmul");
        best = Math.min(best, performance.now() - t0);
      }
      const macs = k * n * tokens;
      results.push({
        type: label, shape: name, k, n, tokens, ms: best, nsPerKMac: (best * 1e6) / (macs / 1000),
        weightGBs: tokens === 1 ? (rowBytes * n) / (best * 1e6) : NaN,
      });
    }
  }
}

const lines = ["| type | shape | tokens | ms | ns/kMAC | weights GB/s |", "|---|---|---|---|---|---|"];
for (const r of results) {
  lines.push(`| ${r.type} | ${r.shape} (${r.k}×${r.n}) | ${r.tokens} | ${r.ms.toFixed(3)} | ${r.nsPerKMac.toFixed(1)} | ${Number.isNaN(r.weightGBs) ? "" : r.weightGBs.toFixed(1)} |`);
}
console.log(lines.join("\n"));
const outDir = join(import.meta.dir, "results");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "kernels.json"), JSON.stringify({ date: new Date().toISOString(), reps, results }, null, 2));
