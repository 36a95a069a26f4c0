/**
 * `ingot spec <prompts-file> [--draft model] [--lookup] [--draft-lengths 1,2,4,auto] [--temps 0,0.8]
 *  [-n N] [--repeats r] [--out prefix]`: the speculative-decoding experiment. Sweeps draft length and
 * temperature over the prompts (one per line), prints a table of acceptance, tokens/s and speed-up
 * over plain decoding, and writes <out>.json and <out>.svg (speed-up against draft length).
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { IngotError } from "../../errors.ts";
import { DEMO_DRAFT, DEMO_MODEL } from "../../model/demo.ts";
import { Model } from "../../model/model.ts";
import { runSweep, SpeculativeRunner, speedupChartSvg, type SweepRow } from "../../speculative/index.ts";
import { addSamplingOptions, intOption, type SamplingFlags, samplingFromFlags, threadsOption } from "../options.ts";

interface SpecFlags extends SamplingFlags {
  model?: string;
  draft?: string;
  lookup?: boolean;
  draftLengths: (number | "auto")[];
  temps: number[];
  nPredict: number;
  repeats: number;
  threads?: number;
  out: string;
}

function list<T>(parse: (s: string) => T) {
  return (value: string): T[] => value.split(",").map((s) => parse(s.trim()));
}

const draftLength = (s: string): number | "auto" => {
  if (s === "auto") return s;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError(`draft lengths are integers in 0..64 or "auto", got '${s}'`);
  return n;
};
const temperature = (s: string): number => {
  const t = Number(s);
  if (!(t >= 0 && t <= 100)) throw new InvalidArgumentError(`temperatures are numbers in 0..100, got '${s}'`);
  return t;
};

export function registerSpec(program: Command): void {
  const cmd = program
    .command("spec")
    .description("speculative-decoding experiment: sweep draft length × temperature over a prompt file; table, JSON and SVG")
    .argument("<prompts>", "text file, one prompt per line")
    .option("-m, --model <path>", "target model (default: the demo target)")
    .option("--draft <path>", "draft model (default: the demo draft unless --lookup alone)")
    .option("--lookup", "prompt-lookup drafting (before the draft model when --draft is given)")
    .option("--draft-lengths <list>", "draft lengths to try, comma-separated; auto = adaptive", list(draftLength), [1, 2, 3, 4, 6, 8, "auto"])
    .option("--temps <list>", "temperatures to try, comma-separated", list(temperature), [0, 0.8])
    .option("-n, --n-predict <n>", "tokens generated per run", intOption("-n", 1), 64)
    .option("--repeats <r>", "runs per prompt and cell (different seeds)", intOption("--repeats", 1, 1000), 1)
    .addOption(threadsOption())
    .option("--out <prefix>", "write <prefix>.json and <prefix>.svg", "spec-results");
  addSamplingOptions(cmd).action((promptsFile: string, flags: SpecFlags) => {
    let text: string;
    try {
      text = readFileSync(promptsFile, "utf8");
    } catch (e) {
      throw new IngotError("FILE_NOT_FOUND", `cannot read the prompt file ${promptsFile}: ${(e as Error).message}`);
    }
    const prompts = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
    if (prompts.length === 0) throw new IngotError("BAD_INPUT", `${promptsFile} holds no prompts: write one per line`);
    const target = Model.load(flags.model ?? DEMO_MODEL, { threads: flags.threads });
    const draftPath = flags.draft ?? (flags.lookup ? undefined : DEMO_DRAFT);
    const draft = draftPath ? Model.load(draftPath, { threads: flags.threads }) : undefined;
    const fixed = flags.draftLengths.filter((k): k is number => k !== "auto");
    const draftMax = Math.max(1, 8, ...fixed);
    const sampling = { ...samplingFromFlags(flags, flags.seed ?? 0), temperature: Math.max(...flags.temps) };
    using runner = new SpeculativeRunner({ target, draft, lookup: flags.lookup, draftMax, sampling });

    const header = ["temp", "k", "accepted/drafted", "acceptance", "P(keep) exact", "P(keep) match", "per step", "tok/s", "plain tok/s", "speed-up"];
    console.log(header.join("\t"));
    const rows = runSweep(runner, {
      prompts, temperatures: flags.temps, draftLengths: flags.draftLengths, maxTokens: flags.nPredict,
      repeats: flags.repeats, seed: flags.seed ?? 0, sampling: samplingFromFlags(flags, flags.seed ?? 0),
      onRow: (r) => console.log(formatRow(r).join("\t")),
    });
    const drafter = [draft ? `draft ${draftPath}` : null, flags.lookup ? "lookup" : null].filter(Boolean).join(" + ");
    const result = { target: flags.model ?? DEMO_MODEL, drafter, prompts, n_predict: flags.nPredict, repeats: flags.repeats, rows };
    mkdirSync(dirname(flags.out), { recursive: true });
    writeFileSync(`${flags.out}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(`${flags.out}.svg`, speedupChartSvg(rows, `speculative decoding: ${drafter}`));
    console.log(`wrote ${flags.out}.json and ${flags.out}.svg`);
  });
}

function formatRow(r: SweepRow): string[] {
  return [
    String(r.temperature), String(r.draftLength), `${r.accepted}/${r.drafted}`, r.acceptanceRate.toFixed(3),
    r.acceptProbability.toFixed(3), r.exactMatchProbability.toFixed(3), r.meanAcceptedPerStep.toFixed(2),
    r.tokensPerSecond.toFixed(0), r.baselineTokensPerSecond.toFixed(0), `${r.speedup.toFixed(2)}×`,
  ];
}
