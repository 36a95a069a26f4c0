/**
 * The public face of a loaded model: `await loadModel(path, options)`, tokenize / detokenize, chat
 * prompt rendering, and factories for sessions. Disposing the model disposes every session made
 * from it (their contexts hold the native memory; the weights stay memory-mapped until collected).
 */
import type { ChatMessage } from "../chat/index.ts";
import { parseBackend, resolveBackend, type Backend, type ResolvedBackend } from "../engine/backend.ts";
import { IngotError } from "../errors.ts";
import type { ModelConfig } from "../model/config.ts";
import { Model } from "../model/model.ts";
import { PromptEncoder } from "../scheduler/prompt.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import { ChatSession, type ChatSessionOptions } from "./chat-session.ts";
import { Resource } from "./resource.ts";
import { Session, type SessionOptions } from "./session.ts";

export interface LoadModelOptions {
  /** Engine: "cpu", "metal", "metal-emu", or "auto" (Metal on Apple Silicon when built, the CPU elsewhere). Default "auto". */
  backend?: Backend;
  /** CPU worker threads. Default: every online processor. */
  threads?: number;
  /** Context length of the sessions made from this model unless they ask otherwise. Default: the model's training context. */
  contextLength?: number;
  /** Cancels loading (IngotError "ABORTED"). */
  signal?: AbortSignal;
}

export interface TokenizeOptions {
  /** Add BOS / EOS as the vocabulary asks. Default true. */
  addSpecial?: boolean;
  /** Recognise control-token text such as `<|im_start|>`. Default false. */
  parseSpecial?: boolean;
}

export interface DetokenizeOptions {
  /** Render control tokens as their text. Default false (they render as nothing). */
  special?: boolean;
}

function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new IngotError("ABORTED", `${what} was aborted`);
}

/** Loads a GGUF model for the chosen engine. FILE_NOT_FOUND, GGUF_*, MODEL_* errors say what is wrong with the file. */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<IngotModel> {
  checkAborted(options.signal, "loading the model");
  const backend = resolveBackend(parseBackend(options.backend ?? "auto"));
  const contextLength = options.contextLength;
  const model = Model.load(path, { threads: options.threads });
  if (contextLength !== undefined && !(Number.isInteger(contextLength) && contextLength >= 1)) {
    throw new IngotError("BAD_ARGUMENT", `contextLength must be a positive integer, got ${contextLength}`);
  }
  checkAborted(options.signal, "loading the model");
  return new IngotModel(path, model, backend, contextLength ?? model.config.contextLength);
}

export class IngotModel extends Resource {
  /** The engine's model (weights, config, tokenizer, `createContext`) for the low-level API. */
  readonly model: Model;
  readonly #sessions = new Set<Resource>();
  #prompts: PromptEncoder | null = null;

  /** @internal Use `loadModel()`. */
  constructor(
    /** The GGUF file this model came from. */
    readonly path: string,
    model: Model,
    /** The engine sessions run on ("auto" resolved). */
    readonly backend: ResolvedBackend,
    /** Default context length of new sessions. */
    readonly contextLength: number,
  ) {
    super("model");
    this.model = model;
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  get tokenizer(): Tokenizer {
    return this.model.tokenizer;
  }

  /** The Jinja chat template stored in the file (tokenizer.chat_template), if any. */
  get chatTemplate(): string | undefined {
    return this.model.file.getString("tokenizer.chat_template");
  }

  /** Token ids of `text`. */
  tokenize(text: string, options: TokenizeOptions = {}): number[] {
    this.assertAlive();
    return this.tokenizer.encode(text, options);
  }

  /** Text of `ids` (as llama.cpp's detokenizer renders it). */
  detokenize(ids: readonly number[], options: DetokenizeOptions = {}): string {
    this.assertAlive();
    return this.tokenizer.decode(ids, options);
  }

  /**
   * The prompt text for `messages` with the model's chat template, ending with the assistant-turn
   * header. TEMPLATE_MISSING when the file has no template.
   */
  renderChat(messages: readonly ChatMessage[]): string {
    this.assertAlive();
    this.#prompts ??= new PromptEncoder(this.model);
    return this.#prompts.render(messages);
  }

  /** A completion session: one KV cache whose prefix is reused by the next prompt that shares it. */
  createSession(options: SessionOptions = {}): Session {
    this.assertAlive();
    return this.track(new Session(this, options));
  }

  /** A multi-turn chat with the model's chat template, reusing the KV cache across turns. */
  createChatSession(options: ChatSessionOptions = {}): ChatSession {
    this.assertAlive();
    return this.track(new ChatSession(this, options));
  }

  /** Throws IngotError "DISPOSED" when this model has been disposed. */
  ensureAlive(): void {
    this.assertAlive();
  }

  private track<T extends Resource>(r: T): T {
    this.#sessions.add(r);
    return r;
  }

  /** @internal A session tells its model it is gone. */
  forget(r: Resource): void {
    this.#sessions.delete(r);
  }

  protected release(): void {
    for (const s of [...this.#sessions]) s.dispose();
    this.#sessions.clear();
  }
}
