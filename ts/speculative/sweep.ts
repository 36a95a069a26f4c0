/**
 * A grid experiment: for every temperature and draft length (fixed k, or "auto" for adaptive), run
 * speculative generation on every prompt, each followed by plain decoding of the same prompt and
 * settings (same process, side by side), and aggregate acceptance, tokens/s and speed-up.
 */
import type { SamplingOptions } from "../sampling/sampler.ts";
import type { SpeculativeRunner } from "./runner.ts";

export interface SweepOptions {
  prompts: string[];
  temperatures: number[];
  /** Fixed draft lengths; "auto" = adaptive up to the runner's draft max. */
  draftLengths: (number | "auto")[];
  maxTokens: number;
  /** Runs per prompt and cell (different seeds). Default 1. */
  repeats?: number;
  seed?: number;
  /** Other sampling settings, shared by every cell. */
  sampling?: SamplingOptions;
  /** Called after each cell. */
  onRow?: (row: SweepRow) => void;
}

export interface SweepRow {
  temperature: number;
  draftLength: number | "auto";
  runs: number;
  generated: number;
  drafted: number;
  accepted: number;
  acceptanceRate: number;
  meanAcceptedPerStep: number;
  /** Per judged draft: P(keep) under exact rejection sampling, and under exact-match verification. */
  acceptProbability: number;
  exactMatchProbability: number;
  tokensPerSecond: number;
  baselineTokensPerSecond: number;
  /** Total plain decode time / total speculative decode time. */
  speedup: number;
}

export function runSweep(runner: SpeculativeRunner, o: SweepOptions): SweepRow[] {
  const tokenizer = runner.target.tokenizer;
  const prompts = o.prompts.map((p) => tokenizer.encode(p));
  const rows: SweepRow[] = [];
  for (const temperature of o.temperatures) {
    for (const draftLength of o.draftLengths) {
      const t = { runs: 0, generated: 0, drafted: 0, accepted: 0, steps: 0, judged: 0, accept: 0, exact: 0, specMs: 0, plainMs: 0 };
      for (let r = 0; r < (o.repeats ?? 1); r++) {
        prompts.forEach((prompt, i) => {
          const opts = {
            ...o.sampling, temperature, seed: (o.seed ?? 0) + 1000 * r + i, maxTokens: o.maxTokens, ignoreEos: true,
            draftLength: draftLength === "auto" ? undefined : draftLength,
          };
          const { speculative, plain } = runner.compare(prompt, opts);
          const s = speculative.stats.speculative;
          t.runs++;
          t.generated += speculative.tokens.length;
          t.drafted += s.drafted;
          t.accepted += s.accepted;
          t.steps += s.steps;
          t.judged += s.judged;
          t.accept += s.acceptProbability * s.judged;
          t.exact += s.exactMatchProbability * s.judged;
          t.specMs += speculative.stats.decodeMs;
          t.plainMs += plain.stats.decodeMs;
        });
      }
      const row: SweepRow = {
        temperature, draftLength, runs: t.runs, generated: t.generated, drafted: t.drafted, accepted: t.accepted,
        acceptanceRate: t.drafted ? t.accepted / t.drafted : 0,
        meanAcceptedPerStep: t.steps ? t.accepted / t.steps : 0,
        acceptProbability: t.judged ? t.accept / t.judged : 0,
        exactMatchProbability: t.judged ? t.exact / t.judged : 0,
        tokensPerSecond: (1000 * t.generated) / t.specMs,
        baselineTokensPerSecond: (1000 * t.generated) / t.plainMs,
        speedup: t.plainMs / t.specMs,
      };
      rows.push(row);
      o.onRow?.(row);
    }
  }
  return rows;
}
