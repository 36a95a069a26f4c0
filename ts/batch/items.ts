/**
 * One input line of `ingot batch`: `{ "id", "prompt" | "messages", ...sampling fields }` with the same
 * field names as an OpenAI request (max_tokens, temperature, top_p, seed, stop, ...). Run-wide
 * defaults fill the fields a line leaves out. A line that cannot be used becomes a BatchLineError,
 * which the runner writes as an error record instead of stopping.
 */
import { IngotError, type IngotErrorCode } from "../errors.ts";
import type { GenerateOptions } from "../generate/generate.ts";
import type { PromptInput } from "../scheduler/prompt.ts";
import { asObject, chatMessages, generationFields, promptValue, RequestError, type Fields } from "../server/params.ts";

export type ItemId = string | number;

export interface BatchItem {
  id: ItemId;
  /** 1-based line number in the input. */
  line: number;
  input: PromptInput;
  /** The line's request fields merged over the defaults (what an endpoint is sent). */
  fields: Fields;
  /** The same, validated. */
  options: Omit<GenerateOptions, "signal">;
}

/** A line that yields no item; `id` is null when the line has no usable id of its own. */
export interface BatchLineError {
  id: ItemId | null;
  line: number;
  code: IngotErrorCode;
  message: string;
}

const NOT_SAMPLING = new Set(["id", "prompt", "messages", "model", "stream", "stream_options"]);

export function parseBatchLine(text: string, line: number, defaults: Fields, vocabSize: number): BatchItem | BatchLineError {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { id: null, line, code: "BAD_INPUT", message: `line ${line} is not valid JSON: ${(e as Error).message}` };
  }
  const obj = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Fields) : null;
  const id = obj?.id;
  if (!(typeof id === "string" && id !== "") && !(typeof id === "number" && Number.isFinite(id))) {
    return { id: null, line, code: "BAD_INPUT", message: `line ${line} needs an "id" (a non-empty string or a number)` };
  }
  try {
    const f = asObject(obj, `line ${line}`);
    const hasPrompt = f.prompt !== undefined, hasMessages = f.messages !== undefined;
    if (hasPrompt === hasMessages) throw new RequestError(`give exactly one of "prompt" and "messages"`);
    const input = hasMessages ? { messages: chatMessages(f.messages) } : promptValue(f.prompt, vocabSize);
    const fields: Fields = { ...defaults };
    for (const [key, value] of Object.entries(f)) if (!NOT_SAMPLING.has(key) && value !== undefined) fields[key] = value;
    return { id, line, input, fields, options: generationFields(fields, vocabSize) };
  } catch (e) {
    const err = e instanceof IngotError ? e : new IngotError("BAD_INPUT", String(e));
    return { id, line, code: err.code, message: err.message };
  }
}

export function isLineError(x: BatchItem | BatchLineError): x is BatchLineError {
  return "code" in x;
}

/** Key under which a record counts as done: the id (typed, so 1 and "1" differ), or the line when there is none. */
export function recordKey(id: ItemId | null, line: number): string {
  if (id === null) return `line:${line}`;
  return typeof id === "number" ? `n:${id}` : `s:${id}`;
}
