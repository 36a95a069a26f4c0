/**
 * Validation of OpenAI-style request bodies (chat and text completions), shared by `ingot serve` and
 * the lines of `ingot batch`. Field names follow OpenAI, plus llama.cpp's extensions (top_k, min_p,
 * typical_p, repeat_penalty, ignore_eos, return_tokens). Unknown fields are ignored, as OpenAI does;
 * fields asking for something ingot cannot do (n > 1, logprobs, tools, JSON output) are refused rather
 * than silently ignored.
 */
import type { ChatMessage } from "../chat/index.ts";
import { IngotError } from "../errors.ts";
import type { GenerateOptions } from "../generate/generate.ts";
import type { PromptInput } from "../scheduler/prompt.ts";

/** A request field that is missing, mistyped or out of range; `param` names it. */
export class RequestError extends IngotError {
  constructor(message: string, readonly param: string | null = null) {
    super("BAD_INPUT", message);
    this.name = "RequestError";
  }
}

export type Fields = Record<string, unknown>;

export interface CompletionParams {
  /** The model the request names, if any. */
  model?: string;
  input: PromptInput;
  /** Sampling, budget and stop strings (no signal). */
  options: Omit<GenerateOptions, "signal">;
  stream: boolean;
  /** stream_options.include_usage: a last chunk carries usage. */
  includeUsage: boolean;
  /** Non-standard: include generated token ids in the response. */
  returnTokens: boolean;
}

export function asObject(value: unknown, what: string): Fields {
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new RequestError(`${what} must be a JSON object`);
  return value as Fields;
}

function number(f: Fields, key: string, lo: number, hi: number, integer = false): number | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < lo || v > hi) {
    throw new RequestError(`'${key}' must be ${integer ? "an integer" : "a number"} in [${lo}, ${hi}], got ${JSON.stringify(v)}`, key);
  }
  return v;
}

function bool(f: Fields, key: string): boolean | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new RequestError(`'${key}' must be true or false, got ${JSON.stringify(v)}`, key);
  return v;
}

function stopStrings(f: Fields): string[] | undefined {
  const v = f.stop;
  if (v === undefined || v === null) return undefined;
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length > 16 || !list.every((s) => typeof s === "string")) {
    throw new RequestError("'stop' must be a string or an array of at most 16 strings", "stop");
  }
  return list.filter((s) => s.length > 0);
}

function logitBias(f: Fields, vocabSize: number): Record<number, number> | undefined {
  const v = f.logit_bias;
  if (v === undefined || v === null) return undefined;
  const bias: Record<number, number> = {};
  for (const [key, value] of Object.entries(asObject(v, "'logit_bias'"))) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RequestError(`'logit_bias' names token ${key}, outside the vocabulary (0..${vocabSize - 1})`, "logit_bias");
    if (typeof value !== "number" || !(value >= -100 && value <= 100)) throw new RequestError(`'logit_bias' values must be numbers in [-100, 100]`, "logit_bias");
    bias[id] = value === -100 ? -Infinity : value;
  }
  return bias;
}

/** Sampling settings, budget and stop strings of a request or batch line. */
export function generationFields(f: Fields, vocabSize: number): Omit<GenerateOptions, "signal"> {
  const maxTokens = number(f, "max_completion_tokens", 0, Number.MAX_SAFE_INTEGER, true) ?? number(f, "max_tokens", 0, Number.MAX_SAFE_INTEGER, true);
  const options: Omit<GenerateOptions, "signal"> = {
    maxTokens,
    temperature: number(f, "temperature", 0, 100),
    topK: number(f, "top_k", 0, vocabSize, true),
    topP: number(f, "top_p", 0, 1),
    minP: number(f, "min_p", 0, 1),
    typicalP: number(f, "typical_p", 0, 1),
    repeatPenalty: number(f, "repeat_penalty", 0, 100),
    frequencyPenalty: number(f, "frequency_penalty", -100, 100),
    presencePenalty: number(f, "presence_penalty", -100, 100),
    seed: number(f, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
    stop: stopStrings(f),
    logitBias: logitBias(f, vocabSize),
    ignoreEos: bool(f, "ignore_eos"),
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function refuse(f: Fields): void {
  if (f.n !== undefined && f.n !== null && f.n !== 1) throw new RequestError("'n' other than 1 is not supported: send one request per choice", "n");
  if (f.logprobs === true || (typeof f.logprobs === "number" && f.logprobs > 0)) throw new RequestError("'logprobs' is not supported", "logprobs");
  if (Array.isArray(f.tools) && f.tools.length > 0) throw new RequestError("'tools' is not supported", "tools");
  const format = f.response_format;
  if (format !== undefined && format !== null && asObject(format, "'response_format'").type !== "text") {
    throw new RequestError("'response_format' other than { type: 'text' } is not supported", "response_format");
  }
}

export function chatMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) throw new RequestError("'messages' must be a non-empty array", "messages");
  return value.map((m, i) => {
    const msg = asObject(m, `messages[${i}]`);
    if (typeof msg.role !== "string" || !msg.role) throw new RequestError(`messages[${i}].role must be a string`, "messages");
    const c = msg.content;
    const ok = c === null || c === undefined || typeof c === "string" || (Array.isArray(c) && c.every((p) => p && typeof p === "object" && typeof p.type === "string"));
    if (!ok) throw new RequestError(`messages[${i}].content must be a string or an array of content parts`, "messages");
    return { ...msg, role: msg.role, content: (c ?? "") as ChatMessage["content"] };
  });
}

export function promptValue(value: unknown, vocabSize: number): PromptInput {
  const one = Array.isArray(value) && value.length === 1 && typeof value[0] === "string" ? value[0] : value;
  if (typeof one === "string") {
    if (!one) throw new RequestError("'prompt' is empty", "prompt");
    return { prompt: one };
  }
  if (Array.isArray(one) && one.length > 0 && one.every((id) => Number.isInteger(id) && id >= 0 && id < vocabSize)) return { prompt: one as number[] };
  throw new RequestError(`'prompt' must be a non-empty string or an array of token ids in 0..${vocabSize - 1} (one prompt per request)`, "prompt");
}

function common(f: Fields, input: PromptInput, vocabSize: number): CompletionParams {
  refuse(f);
  if (f.model !== undefined && typeof f.model !== "string") throw new RequestError("'model' must be a string", "model");
  const streamOptions = f.stream_options === undefined || f.stream_options === null ? {} : asObject(f.stream_options, "'stream_options'");
  return {
    model: f.model as string | undefined,
    input,
    options: generationFields(f, vocabSize),
    stream: bool(f, "stream") ?? false,
    includeUsage: bool(streamOptions, "include_usage") ?? false,
    returnTokens: bool(f, "return_tokens") ?? false,
  };
}

/** POST /v1/chat/completions body. */
export function parseChatRequest(body: unknown, vocabSize: number): CompletionParams {
  const f = asObject(body, "the request body");
  return common(f, { messages: chatMessages(f.messages) }, vocabSize);
}

/** POST /v1/completions body. */
export function parseCompletionRequest(body: unknown, vocabSize: number): CompletionParams {
  const f = asObject(body, "the request body");
  for (const key of ["echo", "suffix"] as const) {
    if (f[key] !== undefined && f[key] !== null && f[key] !== false) throw new RequestError(`'${key}' is not supported`, key);
  }
  if (f.best_of !== undefined && f.best_of !== null && f.best_of !== 1) throw new RequestError("'best_of' other than 1 is not supported", "best_of");
  return common(f, promptValue(f.prompt, vocabSize), vocabSize);
}
