/**
 * Continuous batching: many requests share one inference context with one KV slot per running
 * sequence. Every step gathers, for each running sequence, its next prefill chunk or its one decode
 * token into a single forward pass, then samples each sequence's next token from its own row of
 * logits. Requests wait in a queue while every slot is busy and take a slot as soon as one frees up
 * (the slot whose cache shares the longest prefix with the new prompt, so repeated system prompts are
 * not recomputed).
 *
 *   const scheduler = new Scheduler(model, { slots: 4 });
 *   const job = scheduler.submit({ prompt: ids, maxTokens: 64, temperature: 0 });
 *   for await (const chunk of job.chunks()) process.stdout.write(chunk.text);
 *   const { text, finishReason, stats } = await job.result;
 *   await scheduler.close();
 *
 * The engine call is synchronous; the loop yields to the event loop between steps so that servers
 * stay responsive while it runs.
 */
import type { InferenceContext, ContextOptions } from "../engine/types.ts";
import { IngotError } from "../errors.ts";
import type { GenerateOptions } from "../generate/generate.ts";
import { Sequence } from "../generate/sequence.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import { Completion } from "./completion.ts";
import { GenerationJob, type JobResult } from "./job.ts";

/** What the scheduler needs from a model (a `Model` fits). */
export interface SchedulableModel {
  readonly tokenizer: Tokenizer;
  createContext(opts: ContextOptions): InferenceContext;
}

export interface SchedulerOptions {
  /** Sequences decoded together, each with its own KV slot. Default 4. */
  slots?: number;
  /** Positions per slot (prompt + generated tokens). Default: the model's training context. */
  contextLength?: number;
  /** Most tokens in one forward pass (decode tokens plus prefill chunks). Default 512. */
  batchCapacity?: number;
  /** Most requests waiting for a slot; submit() beyond that fails with QUEUE_FULL. Default: unbounded. */
  maxQueue?: number;
}

export interface JobRequest extends GenerateOptions {
  /** Prompt token ids (at least one). */
  prompt: readonly number[];
}

interface Waiting {
  job: GenerationJob;
  request: JobRequest;
  completion: Completion;
  submittedAt: number;
}

interface Running extends Waiting {
  /** Prompt tokens not yet in the cache. */
  pending: readonly number[];
  reused: number;
  startedAt: number;
  firstLogitsAt: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Scheduler {
  readonly contextLength: number;
  readonly slots: number;
  /** Queued requests that have ended so far: generated to the end, cancelled (abort), or failed. */
  readonly ended = { finished: 0, cancelled: 0, failed: 0 };
  private readonly context: InferenceContext;
  private readonly tokenizer: Tokenizer;
  private readonly sequences: Sequence[];
  private readonly running: (Running | null)[];
  private readonly queue: Waiting[] = [];
  private readonly maxQueue: number;
  private loop: Promise<void> | null = null;
  private looping = false;
  private closed = false;
  private readonly batch = { tokens: [] as number[], positions: [] as number[], seqIds: [] as number[], outputs: [] as number[] };

  constructor(model: SchedulableModel, opts: SchedulerOptions = {}) {
    const slots = opts.slots ?? 4;
    const batchCapacity = opts.batchCapacity ?? 512;
    if (!Number.isInteger(slots) || slots < 1) throw new IngotError("BAD_ARGUMENT", `slots must be a positive integer, got ${slots}`);
    if (!Number.isInteger(batchCapacity) || batchCapacity < slots) {
      throw new IngotError("BAD_ARGUMENT", `batchCapacity must be an integer of at least slots (${slots}), got ${batchCapacity}`);
    }
    this.tokenizer = model.tokenizer;
    this.context = model.createContext({ contextLength: opts.contextLength, sequences: slots, batchCapacity, outputCapacity: slots });
    this.contextLength = this.context.contextLength;
    this.slots = slots;
    this.sequences = Array.from({ length: slots }, (_, i) => new Sequence(this.context, i));
    this.running = new Array<Running | null>(slots).fill(null);
    this.maxQueue = opts.maxQueue ?? Infinity;
  }

  /** Requests generating now. */
  get activeCount(): number {
    return this.running.filter((r) => r !== null).length;
  }

  /** Requests waiting for a slot. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Queues a request. Errors in the request (empty prompt, a prompt longer than the context, bad
   * sampling settings) reject the job's result, never the other requests.
   */
  submit(request: JobRequest): GenerationJob {
    const job = new GenerationJob(request.signal);
    let completion: Completion;
    try {
      if (this.closed) throw new IngotError("ABORTED", "the scheduler has been closed");
      this.validate(request);
      if (this.queue.length >= this.maxQueue) {
        throw new IngotError("QUEUE_FULL", `${this.queue.length} requests are already waiting: retry later`);
      }
      completion = new Completion(this.tokenizer, request.prompt, request); // checks the sampling settings
    } catch (e) {
      job.settle({ error: e });
      return job;
    }
    this.queue.push({ job, request, completion, submittedAt: performance.now() });
    if (!this.looping) {
      this.looping = true;
      this.loop = this.run();
    }
    return job;
  }

  /** Cancels everything, waits for the loop to stop and frees the context. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.job.settle({ error: new IngotError("ABORTED", "the scheduler was closed") });
    for (const r of this.running) r?.job.cancel();
    await this.loop;
    this.context.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private validate(request: JobRequest): void {
    const { prompt } = request;
    if (prompt.length === 0) throw new IngotError("BAD_ARGUMENT", "the prompt is empty: give at least one token");
    if (prompt.length > this.contextLength) {
      throw new IngotError("CONTEXT_OVERFLOW", `the prompt has ${prompt.length} tokens but a sequence holds ${this.contextLength}: shorten it or raise the context size`);
    }
    const vocab = this.tokenizer.vocabSize;
    for (const id of prompt) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new IngotError("BAD_INPUT", `token id ${id} is outside the vocabulary (0..${vocab - 1})`);
    }
    const maxTokens = request.maxTokens ?? 256;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new IngotError("BAD_ARGUMENT", `maxTokens must be a non-negative integer, got ${maxTokens}`);
  }

  private async run(): Promise<void> {
    // Yield first: submit() returns before any work, so callers can attach to the job's chunks.
    try {
      while (this.queue.length > 0 || this.activeCount > 0) {
        await yieldToEventLoop();
        try {
          this.step();
        } catch (e) {
          this.failAll(e); // a bug, not a request's fault: fail loudly rather than hang every caller
        }
      }
    } finally {
      // Cleared in the same turn as the last check, so a submit() right after sees no loop and starts one.
      this.looping = false;
    }
  }

  /** One forward pass over every running sequence (after admitting waiting requests into free slots). */
  private step(): void {
    this.dropCancelled();
    this.admit();
    const b = this.batch;
    b.tokens.length = b.positions.length = b.seqIds.length = b.outputs.length = 0;
    const rows: { slot: number; row: number; tokens: readonly number[] }[] = [];
    const add = (slot: number, tokens: readonly number[], last: boolean) => {
      const base = this.sequences[slot]!.length;
      for (let i = 0; i < tokens.length; i++) {
        b.tokens.push(tokens[i]!);
        b.positions.push(base + i);
        b.seqIds.push(slot);
      }
      if (last) b.outputs.push(b.tokens.length - 1);
      rows.push({ slot, row: last ? b.outputs.length - 1 : -1, tokens });
    };
    // Decode tokens first (one per sequence, always fits), then prefill chunks in the room left.
    for (let s = 0; s < this.slots; s++) {
      const r = this.running[s];
      if (r && r.pending.length === 0) add(s, [r.completion.lastToken], true);
    }
    let room = this.context.batchCapacity - b.tokens.length;
    for (const s of this.admissionOrder()) {
      const r = this.running[s]!;
      if (r.pending.length === 0 || room === 0) continue;
      const chunk = r.pending.slice(0, room);
      r.pending = r.pending.slice(chunk.length);
      room -= chunk.length;
      add(s, chunk, r.pending.length === 0);
    }
    if (b.tokens.length === 0) return;
    if (b.outputs.length === 0) b.outputs.push(b.tokens.length - 1); // the engine wants a row; nobody reads it

    let logits: Float32Array;
    try {
      logits = this.context.forward(b);
    } catch (e) {
      for (const { slot } of rows) this.fail(slot, e);
      return;
    }
    const vocab = this.tokenizer.vocabSize;
    const now = performance.now();
    for (const { slot, row, tokens } of rows) {
      this.sequences[slot]!.tokens.push(...tokens);
      if (row < 0) continue;
      const r = this.running[slot]!;
      if (r.firstLogitsAt === 0) r.firstLogitsAt = now;
      try {
        r.job.deliver(r.completion.accept(logits.subarray(row * vocab, (row + 1) * vocab)));
      } catch (e) {
        this.fail(slot, e);
        continue;
      }
      // Otherwise the next token needs a free position in this sequence's cache.
      if (r.completion.finishReason) this.finish(slot, r.completion.finishReason);
      else if (this.sequences[slot]!.length >= this.contextLength) this.finish(slot, "length");
    }
  }

  /** Gives free slots to waiting requests, first come first served. */
  private admit(): void {
    while (this.queue.length > 0) {
      const free = this.freeSlots();
      if (free.length === 0) return;
      const w = this.queue.shift()!;
      if (w.job.signal.aborted) {
        w.job.settle({ result: this.emptyResult(w, "abort") });
        continue;
      }
      if (w.completion.finishReason) { // nothing to generate (maxTokens 0)
        w.job.settle({ result: this.emptyResult(w, "length") });
        continue;
      }
      const slot = this.bestSlot(free, w.request.prompt);
      const seq = this.sequences[slot]!;
      // Reuse the cached prefix, but always run the last prompt token again to get its logits.
      const reused = Math.min(seq.commonPrefix(w.request.prompt), w.request.prompt.length - 1);
      seq.truncate(reused);
      this.running[slot] = {
        ...w, reused,
        pending: w.request.prompt.slice(reused),
        startedAt: performance.now(),
        firstLogitsAt: 0,
      };
    }
  }

  private freeSlots(): number[] {
    const free: number[] = [];
    for (let s = 0; s < this.slots; s++) if (!this.running[s]) free.push(s);
    return free;
  }

  /** The free slot whose cache shares the longest prefix with `prompt` (the emptiest on ties). */
  private bestSlot(free: number[], prompt: readonly number[]): number {
    let best = free[0]!, bestShared = -1;
    for (const s of free) {
      const shared = this.sequences[s]!.commonPrefix(prompt);
      if (shared > bestShared || (shared === bestShared && this.sequences[s]!.length < this.sequences[best]!.length)) {
        best = s;
        bestShared = shared;
      }
    }
    return best;
  }

  /** Running slots, earliest admitted first (prefill room goes to whoever has waited longest). */
  private admissionOrder(): number[] {
    const slots: number[] = [];
    for (let s = 0; s < this.slots; s++) if (this.running[s]) slots.push(s);
    return slots.sort((a, b) => this.running[a]!.startedAt - this.running[b]!.startedAt);
  }

  private dropCancelled(): void {
    for (let s = 0; s < this.slots; s++) if (this.running[s]?.job.signal.aborted) this.finish(s, "abort");
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const w = this.queue[i]!;
      if (w.job.signal.aborted) {
        this.queue.splice(i, 1);
        w.job.settle({ result: this.emptyResult(w, "abort") });
      }
    }
  }

  private finish(slot: number, reason: JobResult["finishReason"]): void {
    const r = this.running[slot]!;
    this.running[slot] = null;
    this.ended[reason === "abort" ? "cancelled" : "finished"]++;
    const rest = r.completion.finish(reason);
    if (rest) r.job.deliver({ tokens: [], text: rest });
    const end = performance.now();
    const first = r.firstLogitsAt || end;
    r.job.settle({
      result: {
        text: r.completion.text,
        tokens: r.completion.tokens,
        finishReason: r.completion.finishReason ?? reason,
        stats: {
          promptTokens: r.request.prompt.length,
          prefillTokens: r.request.prompt.length - r.reused,
          generatedTokens: r.completion.tokens.length,
          queueMs: r.startedAt - r.submittedAt,
          prefillMs: first - r.startedAt,
          decodeMs: end - first,
        },
      },
    });
  }

  private fail(slot: number, error: unknown): void {
    const r = this.running[slot];
    this.running[slot] = null;
    // The cache may hold part of a failed step: forget this slot's contents.
    this.sequences[slot]!.truncate(0);
    this.ended.failed++;
    r?.job.settle({ error });
  }

  private failAll(error: unknown): void {
    for (let s = 0; s < this.slots; s++) if (this.running[s]) this.fail(s, error);
    for (const w of this.queue.splice(0)) {
      this.ended.failed++;
      w.job.settle({ error });
    }
  }

  private emptyResult(w: Waiting, finishReason: JobResult["finishReason"]): JobResult {
    this.ended[finishReason === "abort" ? "cancelled" : "finished"]++;
    const waited = performance.now() - w.submittedAt;
    return {
      text: "", tokens: [], finishReason,
      stats: { promptTokens: w.request.prompt.length, prefillTokens: 0, generatedTokens: 0, queueMs: waited, prefillMs: 0, decodeMs: 0 },
    };
  }
}
