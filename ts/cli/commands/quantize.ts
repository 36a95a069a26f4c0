/** `ingot quantize <in.gguf> <out.gguf> <TYPE>`: llama-quantize-compatible model quantization. */
import type { Command } from "commander";
import { fileTypeNames, quantizeModel, type QuantizeSummary } from "../../quantize/index.ts";
import { writeJson } from "../output.ts";
import { Progress } from "../progress.ts";

const MiB = 1024 * 1024;

function formatSummary(s: QuantizeSummary): string {
  const types = Object.entries(s.tensorTypes).map(([t, n]) => `${n} ${t}`).join(", ");
  const lines = [
    `wrote ${s.output} (${s.fileType}): ${(s.inputBytes / MiB).toFixed(2)} MiB -> ${(s.outputBytes / MiB).toFixed(2)} MiB in ${s.seconds.toFixed(2)} s`,
    `tensors: ${types}`,
  ];
  for (const f of s.fallbacks) lines.push(`fallback: ${f.tensor} ${f.wanted} -> ${f.used} (row length not a multiple of the block size)`);
  return lines.join("\n");
}

export function registerQuantize(program: Command): void {
  program
    .command("quantize")
    .description("quantize a GGUF model the way llama.cpp's llama-quantize does (llama.cpp loads the result)")
    .argument("<input>", "model to quantize (F32/F16/BF16 tensors)")
    .argument("<output>", "path of the quantized .gguf to write")
    .argument("<type>", `target type: ${fileTypeNames().join(", ")}`)
    .option("--allow-requantize", "accept already-quantized tensors (dequantised first; loses quality)")
    .option("--json", "print a JSON summary (sizes, tensor counts per type, seconds)")
    .action((input: string, output: string, type: string, opts: { allowRequantize?: boolean; json?: boolean }) => {
      // Progress draws only when stderr is a terminal.
      const progress = new Progress("quantizing");
      let summary: QuantizeSummary;
      try {
        summary = quantizeModel(input, output, {
          type, allowRequantize: opts.allowRequantize,
          onProgress: (p) => progress.update(p.bytes / Math.max(1, p.totalBytes), `${p.done}/${p.total} ${p.tensor}`),
        });
      } finally {
        progress.done();
      }
      if (opts.json) writeJson(summary);
      else process.stdout.write(`${formatSummary(summary)}\n`);
    });
}
