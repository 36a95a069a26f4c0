/**
 * A multi-turn chat on one session. Each turn renders the whole conversation with the model's chat
 * template; when the new prompt text extends the previous prompt plus the answer (append-only
 * templates such as ChatML), its tokens are the cached tokens plus the new text's, so the turn
 * prefills only what was added. Otherwise (a template that rewrites earlier turns, a new system
 * prompt) the session still reuses the longest common token prefix.
 */
import type { ChatMessage } from "../chat/index.ts";
import type { ModelConfig } from "../model/config.ts";
import { Generation, type GenerateOptions, type GenerationChunk, type GenerationResult } from "./generation.ts";
import type { IngotModel } from "./model.ts";
import { Resource } from "./resource.ts";
import { Session, type SessionOptions } from "./session.ts";

export interface ChatSessionOptions extends SessionOptions {
  /** System message placed first in every prompt. Default: none. */
  systemPrompt?: string;
}

/** Token accounting of one answer. */
export interface ChatTurnStats {
  /** Tokens in the rendered conversation the answer was generated from. */
  promptTokens: number;
  /** Of those, tokens whose KV cache entries were reused from earlier turns. */
  reusedTokens: number;
  /** Of those, tokens run through the model this turn. */
  prefillTokens: number;
  generatedTokens: number;
  prefillMs: number;
  decodeMs: number;
}

/** What `/save` writes: enough to read or replay the conversation. */
export interface ChatTranscript {
  model: string;
  systemPrompt: string | null;
  messages: ChatMessage[];
  turns: ChatTurnStats[];
}

interface CachedText {
  text: string;
  tokens: number[];
}

export class ChatSession extends Resource {
  readonly session: Session;
  #systemPrompt: string | null;
  #messages: ChatMessage[] = [];
  #turns: ChatTurnStats[] = [];
  /** Text and tokens of the last prompt plus answer, when the tokens spell exactly that text. */
  #cached: CachedText | null = null;

  /** @internal Use `model.createChatSession()`. */
  constructor(readonly model: IngotModel, options: ChatSessionOptions = {}) {
    super("chat session");
    this.#systemPrompt = options.systemPrompt ?? null;
    this.session = new Session(model, options);
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  get systemPrompt(): string | null {
    return this.#systemPrompt;
  }

  /** Replaces the system prompt (null removes it); the conversation so far is kept. */
  setSystemPrompt(text: string | null): void {
    this.assertAlive();
    this.#systemPrompt = text;
  }

  /** The user and assistant messages so far (the system prompt is separate). */
  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }

  /** Token accounting of every answer so far, oldest first. */
  get turns(): readonly ChatTurnStats[] {
    return this.#turns;
  }

  /** Forgets the conversation (not the system prompt). The cache stays: its shared prefix is reused. */
  reset(): void {
    this.assertAlive();
    this.#messages = [];
    this.#turns = [];
  }

  /**
   * Sends a user message and generates the answer. When the generation ends (for any reason,
   * including an abort) the answer generated so far becomes the assistant message; when it fails,
   * the user message is taken back.
   */
  prompt(text: string, options: GenerateOptions = {}): Generation {
    this.assertAlive();
    const { signal, ...rest } = options;
    return new Generation((aborted) => this.turn(text, { ...rest, signal: aborted }), signal);
  }

  /** The conversation and per-turn stats as plain JSON. */
  transcript(): ChatTranscript {
    return { model: this.model.path, systemPrompt: this.#systemPrompt, messages: [...this.#messages], turns: [...this.#turns] };
  }

  private *turn(text: string, options: GenerateOptions): Generator<GenerationChunk, GenerationResult> {
    this.assertAlive();
    const messages: ChatMessage[] = [...this.#messages, { role: "user", content: text }];
    const rendered = this.model.renderChat(this.#systemPrompt === null ? messages : [{ role: "system", content: this.#systemPrompt }, ...messages]);
    const ids = this.promptTokens(rendered);
    const result = yield* this.session.run(ids, options);
    this.#messages = [...messages, { role: "assistant", content: result.text }];
    const tokenizer = this.model.tokenizer;
    this.#cached = tokenizer.decode(result.tokens) === result.text
      ? { text: rendered + result.text, tokens: [...ids, ...result.tokens] }
      : { text: rendered, tokens: ids };
    const s = result.stats;
    this.#turns.push({
      promptTokens: s.promptTokens, reusedTokens: s.promptTokens - s.prefillTokens, prefillTokens: s.prefillTokens,
      generatedTokens: s.generatedTokens, prefillMs: s.prefillMs, decodeMs: s.decodeMs,
    });
    return result;
  }

  private promptTokens(rendered: string): number[] {
    const tokenizer = this.model.tokenizer;
    const encode = (s: string) => tokenizer.encode(s, { addSpecial: false, parseSpecial: true });
    const c = this.#cached;
    if (c && rendered.startsWith(c.text)) return [...c.tokens, ...encode(rendered.slice(c.text.length))];
    return encode(rendered);
  }

  protected release(): void {
    this.session.dispose();
    this.model.forget(this);
  }
}

