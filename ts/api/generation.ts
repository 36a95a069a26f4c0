/**
 * A running generation as the public API hands it out: an async iterable of chunks plus a `result`
 * promise. The engine works synchronously; between chunks the iterator returns to the event loop,
 * so timers, I/O and signal handlers (Ctrl-C → AbortSignal) run while a long answer streams.
 * Leaving a `for await` early stops the generation (finish reason "abort") and still settles
 * `result`; awaiting `result` without iterating runs the generation to the end.
 */
import { IngotError } from "../errors.ts";
import type { FinishReason, GenerationChunk, GenerationStats } from "../generate/generate.ts";
import type { SamplingOptions } from "../sampling/sampler.ts";
import type { LookupOptions, SpeculativeStats } from "../speculative/index.ts";
import type { IngotModel } from "./model.ts";

export type { FinishReason, GenerationChunk, GenerationStats, SpeculativeStats };

/** Speculative decoding for one generation; same tokens as plain decoding with the same settings. */
export interface SpeculativeGenerateOptions {
  /** A draft model with the target's vocabulary. Default: none. */
  draft?: IngotModel;
  /** Also draft by looking up the context's last n-gram in the prompt and output (tried before the draft model). Default false. */
  lookup?: boolean | LookupOptions;
  /** Largest draft per step, capped by the session's `draftMax`. Default: the session's `draftMax` (8). */
  draftMax?: number;
  /** Draft exactly this many tokens per step (capped by draftMax). Default: adapt to the acceptance rate. */
  draftLength?: number;
}

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate. Default 256. */
  maxTokens?: number;
  /** Strings that end generation; they are not part of the output. Default: none. */
  stop?: string[];
  /** Keep going past end-of-generation tokens. Default false. */
  ignoreEos?: boolean;
  /** Stops the generation at the next token; it then finishes with reason "abort". */
  signal?: AbortSignal;
  /** Decode speculatively with a draft model and/or prompt lookup. Default: plain decoding. */
  speculative?: SpeculativeGenerateOptions;
}

export interface GenerationResult {
  /** All generated text (stop strings excluded). */
  text: string;
  /** All generated token ids. */
  tokens: number[];
  finishReason: FinishReason;
  /** Token counts and timings; `speculative` is set when the generation decoded speculatively. */
  stats: GenerationStats & { speculative?: SpeculativeStats };
}

/** Starts the synchronous generator with the signal that aborts it. */
export type GenerationStarter = (signal: AbortSignal) => Generator<GenerationChunk, GenerationResult>;

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
/** How often a streaming generation lets timers and signal handlers run (a token is often faster). */
const EVENT_LOOP_INTERVAL_MS = 5;

export class Generation implements AsyncIterable<GenerationChunk> {
  readonly #start: GenerationStarter;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  readonly #result: Promise<GenerationResult>;
  #settle!: { resolve: (r: GenerationResult) => void; reject: (e: unknown) => void };
  #started = false;

  /** @internal Sessions create generations; use `session.generate()`. */
  constructor(start: GenerationStarter, signal?: AbortSignal) {
    this.#start = start;
    this.#signal = signal ? AbortSignal.any([signal, this.#abort.signal]) : this.#abort.signal;
    this.#result = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    this.#result.catch(() => {}); // iterating surfaces the error; an unawaited result must not crash the process
  }

  /** The final text, tokens, finish reason and stats. Runs the generation when nobody iterates it. */
  get result(): Promise<GenerationResult> {
    if (!this.#started) void this.drainInBackground();
    return this.#result;
  }

  /** Stops the generation at the next token (finish reason "abort"). */
  abort(): void {
    this.#abort.abort();
  }

  [Symbol.asyncIterator](): AsyncIterator<GenerationChunk> {
    if (this.#started) throw new IngotError("BAD_ARGUMENT", "a generation can be iterated only once: read `result` for the outcome");
    this.#started = true;
    return this.run();
  }

  private async drainInBackground(): Promise<void> {
    try {
      for await (const _ of this) { /* chunks are only wanted for their side effect on result */ }
    } catch { /* already rejected #result */ }
  }

  private async *run(): AsyncGenerator<GenerationChunk, void> {
    let gen: Generator<GenerationChunk, GenerationResult> | null = null;
    let settled = false;
    let lastTurn = performance.now();
    try {
      gen = this.#start(this.#signal);
      for (;;) {
        const step = gen.next();
        if (step.done) {
          settled = true;
          this.#settle.resolve(step.value);
          return;
        }
        yield step.value;
        if (performance.now() - lastTurn >= EVENT_LOOP_INTERVAL_MS) {
          await nextMacrotask();
          lastTurn = performance.now();
        }
      }
    } catch (e) {
      settled = true;
      this.#settle.reject(e);
      throw e;
    } finally {
      // The consumer left early: abort, and let the generator finish so the result (and the cache) are consistent.
      if (!settled && gen) {
        this.#abort.abort();
        try {
          let step = gen.next();
          while (!step.done) step = gen.next();
          this.#settle.resolve(step.value);
        } catch (e) {
          this.#settle.reject(e);
        }
      }
    }
  }
}
