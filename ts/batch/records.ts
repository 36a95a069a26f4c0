/**
 * Output records of `ingot batch`, one JSON object per line:
 *   { "id", "text", "tokens", "finish_reason", "usage": { prompt_tokens, completion_tokens, total_tokens }, "seed" }
 * or, for a line or item that failed,
 *   { "id", "line", "text": null, "tokens": null, "finish_reason": null, "usage": null, "error": { "code", "message" } }
 * `tokens` holds the generated token ids (null when an endpoint does not return them).
 */
import { isIngotError } from "../errors.ts";
import type { Usage } from "../server/responses.ts";
import type { ItemId } from "./items.ts";

export interface SuccessRecord {
  id: ItemId;
  text: string;
  tokens: number[] | null;
  finish_reason: string;
  usage: Usage;
  seed?: number;
}

export interface ErrorRecord {
  id: ItemId | null;
  line: number;
  text: null;
  tokens: null;
  finish_reason: null;
  usage: null;
  error: { code: string; message: string };
}

export type BatchRecord = SuccessRecord | ErrorRecord;

export function errorRecord(id: ItemId | null, line: number, code: string, message: string): ErrorRecord {
  return { id, line, text: null, tokens: null, finish_reason: null, usage: null, error: { code, message } };
}

export function errorRecordFor(id: ItemId | null, line: number, e: unknown): ErrorRecord {
  if (isIngotError(e)) return errorRecord(id, line, e.code, e.message);
  return errorRecord(id, line, "INTERNAL", (e as Error)?.message ?? String(e));
}

export function isErrorRecord(r: BatchRecord): r is ErrorRecord {
  return (r as ErrorRecord).error != null;
}
