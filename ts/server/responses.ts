/**
 * Response bodies of the OpenAI chat and text completion endpoints, whole and as stream chunks.
 * `tokens` (generated ids) is a non-standard field, present only when the request set return_tokens.
 */
import type { GenerationStats } from "../generate/generate.ts";
import type { JobResult } from "../scheduler/job.ts";

export type CompletionKind = "chat" | "text";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What every response of one request shares. */
export interface ResponseHeader {
  kind: CompletionKind;
  id: string;
  model: string;
  created: number;
}

export function newResponseHeader(kind: CompletionKind, model: string): ResponseHeader {
  const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${crypto.randomUUID().replaceAll("-", "")}`;
  return { kind, id, model, created: Math.floor(Date.now() / 1000) };
}

export function usageOf(stats: Pick<GenerationStats, "promptTokens" | "generatedTokens">): Usage {
  return { prompt_tokens: stats.promptTokens, completion_tokens: stats.generatedTokens, total_tokens: stats.promptTokens + stats.generatedTokens };
}

/** OpenAI has no "abort": a cancelled request has no client left to read it. */
function finishReason(r: JobResult): "stop" | "length" {
  return r.finishReason === "stop" ? "stop" : "length";
}

function envelope(h: ResponseHeader, streaming: boolean) {
  const object = h.kind === "chat" ? (streaming ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  return { id: h.id, object, created: h.created, model: h.model };
}

export function completionBody(h: ResponseHeader, r: JobResult, returnTokens: boolean) {
  const tokens = returnTokens ? { tokens: r.tokens } : {};
  const choice = h.kind === "chat"
    ? { index: 0, message: { role: "assistant", content: r.text }, logprobs: null, finish_reason: finishReason(r), ...tokens }
    : { index: 0, text: r.text, logprobs: null, finish_reason: finishReason(r), ...tokens };
  return { ...envelope(h, false), choices: [choice], usage: usageOf(r.stats) };
}

/** A stream chunk with new text (and, on the last one, the finish reason). */
export function chunkBody(h: ResponseHeader, delta: { text: string; tokens?: number[]; first?: boolean }, result: JobResult | null) {
  const tokens = delta.tokens ? { tokens: delta.tokens } : {};
  const finish_reason = result ? finishReason(result) : null;
  const choice = h.kind === "chat"
    ? { index: 0, delta: delta.first ? { role: "assistant", content: delta.text } : result && !delta.text ? {} : { content: delta.text }, logprobs: null, finish_reason, ...tokens }
    : { index: 0, text: delta.text, logprobs: null, finish_reason, ...tokens };
  return { ...envelope(h, true), choices: [choice] };
}

/** The extra last chunk when stream_options.include_usage is set. */
export function usageChunkBody(h: ResponseHeader, r: JobResult) {
  return { ...envelope(h, true), choices: [], usage: usageOf(r.stats) };
}
