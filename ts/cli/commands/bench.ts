/**
 * `ingot bench --backend metal-emu --profile`: the decode profile of the Metal path (dispatches per
 * token and per layer, bytes each kernel loads against its unique footprint), measured by the MSL
 * emulator's byte-counting build. Other benchmark modes belong beside this one (one function each).
 */
import type { Command } from "commander";
import { parseBackend, resolveBackend, type Backend } from "../../engine/backend.ts";
import { formatProfile, profileDecode } from "../../engine/metal/profile.ts";
import { IngotError } from "../../errors.ts";
import { DEMO_MODEL } from "../../model/demo.ts";
import { Model } from "../../model/model.ts";
import { intOption } from "../options.ts";
import { writeJson } from "../output.ts";

interface BenchFlags {
  model?: string;
  backend: Backend;
  profile?: boolean;
  tokens: number;
  prompt: string;
  json?: boolean;
}

function runProfile(flags: BenchFlags): void {
  if (resolveBackend(flags.backend) !== "metal-emu") {
    throw new IngotError("BAD_ARGUMENT", "--profile counts bytes with the MSL emulator: use --backend metal-emu");
  }
  const model = Model.load(flags.model ?? DEMO_MODEL, { threads: 1 });
  const profile = profileDecode(model, model.tokenizer.encode(flags.prompt), flags.tokens);
  if (flags.json) writeJson(profile);
  else process.stdout.write(`${formatProfile(profile)}\n`);
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("benchmarks of the engines; --profile: the Metal decode profile (dispatches, bytes per kernel) on the MSL emulator")
    .option("-m, --model <path>", "GGUF model (default: the embedded demo model)")
    .option("--backend <name>", "cpu, metal, metal-emu or auto", parseBackend, "auto" as Backend)
    .option("--profile", "profile decode: dispatches per token and per layer, bytes loaded against unique footprint per kernel")
    .option("-n, --tokens <n>", "decode steps to measure", intOption("--tokens", 1, 1024), 4)
    .option("-p, --prompt <text>", "prompt to prefill first", "And the LORD said unto Moses,")
    .option("--json", "print one JSON object")
    .action((flags: BenchFlags) => {
      if (flags.profile) return runProfile(flags);
      throw new IngotError("BAD_ARGUMENT", "only `ingot bench --profile` is implemented; `bun run bench` runs the engine benchmarks");
    });
}
