/**
 * Runs batch items with speculative decoding (`ingot batch --draft`, `--lookup`): a draft model and/or
 * prompt lookup propose tokens that the target verifies in one forward pass. The speculative decoder
 * drives one target sequence, so items run one at a time; the event loop gets a turn between steps
 * (interrupts, progress).
 */
import { IngotError } from "../errors.ts";
import type { Model } from "../model/model.ts";
import { PromptEncoder } from "../scheduler/prompt.ts";
import { usageOf } from "../server/responses.ts";
import { SpeculativeRunner } from "../speculative/runner.ts";
import type { BatchItem } from "./items.ts";
import type { SuccessRecord } from "./records.ts";
import type { BatchExecutor } from "./runner.ts";

export interface SpeculativeExecutorOptions {
  draft?: Model;
  /** Draft by prompt lookup (before the draft model, when both are given). */
  lookup?: boolean;
  /** Largest draft per step. Default: the speculative runner's. */
  draftMax?: number;
  contextLength?: number;
}

export class SpeculativeExecutor implements BatchExecutor {
  readonly concurrency = 1;
  private readonly runner: SpeculativeRunner;
  private readonly prompts: PromptEncoder;
  /** Drafted and accepted tokens over the run. */
  readonly totals = { drafted: 0, accepted: 0 };

  constructor(target: Model, opts: SpeculativeExecutorOptions) {
    this.runner = new SpeculativeRunner({ target, draft: opts.draft, lookup: opts.lookup, draftMax: opts.draftMax, contextLength: opts.contextLength });
    this.prompts = new PromptEncoder(target);
  }

  async run(item: BatchItem, signal: AbortSignal): Promise<SuccessRecord> {
    const prompt = this.prompts.encode(item.input);
    const run = this.runner.speculative(prompt, { ...item.options, signal });
    let step = run.next();
    while (!step.done) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      step = run.next();
    }
    const r = step.value;
    if (r.finishReason === "abort") throw new IngotError("ABORTED", "the run was interrupted");
    this.totals.drafted += r.stats.speculative.drafted;
    this.totals.accepted += r.stats.speculative.accepted;
    return {
      id: item.id, text: r.text, tokens: r.tokens, finish_reason: r.finishReason,
      usage: usageOf(r.stats),
      seed: item.options.seed,
    };
  }

  async close(): Promise<void> {
    this.runner.dispose();
  }
}
