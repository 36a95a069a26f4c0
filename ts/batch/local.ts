/**
 * Runs batch items on a local model through the scheduler: `parallel` sequences share each forward
 * pass. Twice that many items are kept submitted so a freed slot is refilled at the very next step.
 */
import { IngotError } from "../errors.ts";
import { PromptEncoder, type PromptSource } from "../scheduler/prompt.ts";
import { Scheduler, type SchedulableModel } from "../scheduler/scheduler.ts";
import { usageOf } from "../server/responses.ts";
import type { BatchItem } from "./items.ts";
import type { SuccessRecord } from "./records.ts";
import type { BatchExecutor } from "./runner.ts";

export interface LocalExecutorOptions {
  /** Sequences decoded together. Default 4. */
  parallel?: number;
  /** Positions per sequence. Default: the model's training context. */
  contextLength?: number;
}

export class LocalExecutor implements BatchExecutor {
  readonly concurrency: number;
  private readonly scheduler: Scheduler;
  private readonly prompts: PromptEncoder;

  constructor(model: SchedulableModel & PromptSource, opts: LocalExecutorOptions = {}) {
    this.scheduler = new Scheduler(model, { slots: opts.parallel ?? 4, contextLength: opts.contextLength });
    this.prompts = new PromptEncoder(model);
    this.concurrency = 2 * this.scheduler.slots;
  }

  async run(item: BatchItem, signal: AbortSignal): Promise<SuccessRecord> {
    const prompt = this.prompts.encode(item.input);
    const job = this.scheduler.submit({ ...item.options, prompt, signal });
    const r = await job.result;
    if (r.finishReason === "abort") throw new IngotError("ABORTED", "the run was interrupted");
    return { id: item.id, text: r.text, tokens: r.tokens, finish_reason: r.finishReason, usage: usageOf(r.stats), seed: item.options.seed };
  }

  async close(): Promise<void> {
    await this.scheduler.close();
  }
}
