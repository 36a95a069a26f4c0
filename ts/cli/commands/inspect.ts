/** `ingot inspect <model.gguf> [--json]`: what a GGUF file holds. */
import type { Command } from "commander";
import { GgufFile } from "../../gguf/index.ts";
import { describeGguf, type ModelDescription } from "../../model/describe.ts";
import { writeJson } from "../output.ts";

const MiB = 1024 * 1024;

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}

export function formatDescription(d: ModelDescription): string {
  const lines: string[] = [];
  const row = (k: string, v: unknown) => v !== null && v !== undefined && lines.push(`${k.padEnd(18)} ${v}`);
  row("file", `${d.path} (${(d.fileBytes / MiB).toFixed(1)} MiB, GGUF v${d.ggufVersion})`);
  row("name", d.name);
  row("architecture", d.architecture);
  row("parameters", `${formatCount(d.parameters)} in ${d.tensorCount} tensors`);
  row("context length", d.contextLength);
  row("embedding", d.embeddingLength);
  row("layers", d.layers);
  if (d.heads !== null) row("heads", `${d.heads} (${d.kvHeads ?? d.heads} KV)`);
  row("feed forward", d.feedForwardLength);
  row("rope freq base", d.ropeFreqBase);
  const v = d.vocabulary;
  row("vocabulary", `${v.size} tokens, ${v.model ?? "?"}${v.pre ? ` (pre: ${v.pre})` : ""}${v.merges ? `, ${v.merges} merges` : ""}`);
  if (v.bos) row("bos", `${v.bos.id} ${JSON.stringify(v.bos.text)}${v.addBos === null ? "" : v.addBos ? " (added)" : " (not added)"}`);
  if (v.eos) row("eos", `${v.eos.id} ${JSON.stringify(v.eos.text)}`);
  const types = Object.entries(d.tensorTypes).sort((a, b) => b[1].bytes - a[1].bytes);
  if (types.length) {
    lines.push("tensor types");
    for (const [name, t] of types) lines.push(`  ${name.padEnd(8)} ${String(t.tensors).padStart(5)} tensors ${(t.bytes / MiB).toFixed(2).padStart(10)} MiB`);
  }
  lines.push(d.chatTemplate ? `chat template\n${d.chatTemplate.replace(/^/gm, "  ")}` : "chat template      (none)");
  return lines.join("\n");
}

export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description("show a GGUF file's architecture, parameters, tensor types, vocabulary and chat template")
    .argument("<model>", "path to a .gguf file")
    .option("--json", "print one JSON object")
    .action((path: string, opts: { json?: boolean }) => {
      const d = describeGguf(GgufFile.open(path));
      if (opts.json) writeJson(d);
      else process.stdout.write(`${formatDescription(d)}\n`);
    });
}
