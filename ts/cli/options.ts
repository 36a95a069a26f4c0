/** Option parsing shared by the commands that run a model. */
import { InvalidArgumentError, Option, type Command } from "commander";
import { BACKENDS, parseBackend, type Backend } from "../engine/backend.ts";
import type { SamplingOptions } from "../sampling/sampler.ts";

export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

export function floatOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in ${min}..${max}`);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export interface SamplingFlags {
  temp?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  typicalP?: number;
  repeatPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  stop?: string[];
}

export function addSamplingOptions(cmd: Command): Command {
  return cmd
    .option("--temp <t>", "temperature; 0 = greedy (default 0.8)", floatOption("--temp", 0, 100))
    .option("--top-k <k>", "keep the k most likely tokens, 0 = off (default 40)", intOption("--top-k", 0))
    .option("--top-p <p>", "nucleus sampling, 1 = off (default 0.95)", floatOption("--top-p", 0, 1))
    .option("--min-p <p>", "drop tokens below p × the top probability (default 0.05)", floatOption("--min-p", 0, 1))
    .option("--typical-p <p>", "locally typical sampling, 1 = off (default 1)", floatOption("--typical-p", 0, 1))
    .option("--repeat-penalty <x>", "penalise recent tokens, 1 = off (default 1)", floatOption("--repeat-penalty", 0, 100))
    .option("--frequency-penalty <x>", "subtract x × count of recent tokens (default 0)", floatOption("--frequency-penalty", -100, 100))
    .option("--presence-penalty <x>", "subtract x from recent tokens (default 0)", floatOption("--presence-penalty", -100, 100))
    .option("--seed <n>", "PRNG seed (default: random, printed with --json)", intOption("--seed", 0, 0xffffffff))
    .option("--stop <text>", "stop when this text appears (repeatable)", collect);
}

export function samplingFromFlags(f: SamplingFlags, seed: number): SamplingOptions {
  return {
    temperature: f.temp, topK: f.topK, topP: f.topP, minP: f.minP, typicalP: f.typicalP,
    repeatPenalty: f.repeatPenalty, frequencyPenalty: f.frequencyPenalty, presencePenalty: f.presencePenalty, seed,
  };
}

/** `--backend <name>`: which engine runs the model (default auto: Metal on Apple Silicon when built, else cpu). */
/** `-t/--threads`: CPU worker threads (default: the physical cores, see ingot_cpu_default_threads). */
export function threadsOption(): Option {
  return new Option("-t, --threads <n>", "CPU threads (default: the physical cores)").argParser(intOption("--threads", 1, 256));
}

export function addBackendOption(cmd: Command): Command {
  const parse = (value: string): Backend => {
    try {
      return parseBackend(value);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
  return cmd.option("--backend <name>", `engine: ${BACKENDS.join(", ")} (auto = Metal on Apple Silicon when built, else cpu)`, parse, "auto" as Backend);
}
