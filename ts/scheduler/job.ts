/**
 * The handle a caller gets for one submitted request: a promise of the final result, an optional
 * stream of chunks, and cancellation. The scheduler drives it through the `deliver`/`settle` methods.
 */
import type { FinishReason, GenerationChunk, GenerationStats } from "../generate/generate.ts";

export interface JobStats extends GenerationStats {
  /** Time spent waiting for a free sequence slot. */
  queueMs: number;
}

export interface JobResult {
  text: string;
  tokens: number[];
  finishReason: FinishReason;
  stats: JobStats;
}

interface Waiter {
  resolve(r: IteratorResult<GenerationChunk>): void;
  reject(e: unknown): void;
}

export class GenerationJob {
  /** Resolves when generation ends (also on cancellation, with finishReason "abort"); rejects on failure. */
  readonly result: Promise<JobResult>;
  private resolveResult!: (r: JobResult) => void;
  private rejectResult!: (e: unknown) => void;
  private readonly controller = new AbortController();
  private buffer: GenerationChunk[] | null = null;
  private waiter: Waiter | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private detach: (() => void) | null = null;

  constructor(signal?: AbortSignal) {
    this.result = new Promise((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A rejection nobody awaits must not crash the process: the stream reader sees it too.
    this.result.catch(() => {});
    if (signal?.aborted) this.controller.abort();
    else if (signal) {
      const onAbort = () => this.controller.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      // A long-lived signal (a whole batch run's) must not collect one listener per job.
      this.detach = () => signal.removeEventListener("abort", onAbort);
    }
  }

  /** Aborted by cancel() or by the caller's signal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get done(): boolean {
    return this.ended;
  }

  /** Stops generation at the next step; the result resolves with what was generated so far. */
  cancel(): void {
    this.controller.abort();
  }

  /**
   * Chunks as they are produced, ending when generation ends (throwing if it fails). Call it right
   * after submit(): chunks produced before the call are not replayed. Breaking out of the loop cancels.
   */
  chunks(): AsyncIterableIterator<GenerationChunk> {
    this.buffer ??= [];
    const next = (): Promise<IteratorResult<GenerationChunk>> => {
      const queued = this.buffer!.shift();
      if (queued) return Promise.resolve({ value: queued, done: false });
      if (this.failure) return Promise.reject(this.failure.error);
      if (this.ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
    };
    const iterator: AsyncIterableIterator<GenerationChunk> = {
      next,
      return: async () => {
        this.cancel();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** @internal scheduler side: a new chunk. */
  deliver(chunk: GenerationChunk): void {
    if (!this.buffer || (chunk.tokens.length === 0 && !chunk.text)) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
    } else {
      this.buffer.push(chunk);
    }
  }

  /** @internal scheduler side: generation is over. */
  settle(outcome: { result: JobResult } | { error: unknown }): void {
    if (this.ended) return;
    this.ended = true;
    this.detach?.();
    if ("error" in outcome) {
      this.failure = { error: outcome.error };
      this.rejectResult(outcome.error);
    } else {
      this.resolveResult(outcome.result);
    }
    const w = this.waiter;
    this.waiter = null;
    if (w && this.failure) w.reject(this.failure.error);
    else w?.resolve({ value: undefined, done: true });
  }
}
