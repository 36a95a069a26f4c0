/**
 * Errors in OpenAI's shape: `{ "error": { "message", "type", "param", "code" } }`, with the HTTP status
 * OpenAI would use. Any thrown value maps to one; only IngotErrors say more than "internal error".
 */
import { isIngotError, type IngotErrorCode } from "../errors.ts";
import { RequestError } from "./params.ts";

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(message: string, opts: { type?: string; param?: string | null; code?: string | null } = {}): OpenAiErrorBody {
  return { error: { message, type: opts.type ?? "invalid_request_error", param: opts.param ?? null, code: opts.code ?? null } };
}

export function errorResponse(status: number, message: string, opts: { type?: string; param?: string | null; code?: string | null } = {}): Response {
  return Response.json(errorBody(message, opts), { status });
}

const CLIENT_ERRORS: Partial<Record<IngotErrorCode, string>> = {
  BAD_INPUT: "invalid_value",
  BAD_ARGUMENT: "invalid_value",
  CONTEXT_OVERFLOW: "context_length_exceeded",
  TEMPLATE_ERROR: "template_error",
  TEMPLATE_MISSING: "template_missing",
};

/** The status and body for an error thrown while serving a request. */
export function describeError(e: unknown): { status: number; body: OpenAiErrorBody } {
  if (e instanceof RequestError) return { status: 400, body: errorBody(e.message, { param: e.param, code: "invalid_value" }) };
  if (isIngotError(e)) {
    const code = CLIENT_ERRORS[e.code];
    if (code) return { status: 400, body: errorBody(e.message, { code }) };
    if (e.code === "QUEUE_FULL") return { status: 503, body: errorBody(e.message, { type: "server_error", code: "queue_full" }) };
    return { status: 500, body: errorBody(e.message, { type: "server_error", code: e.code.toLowerCase() }) };
  }
  return { status: 500, body: errorBody(`internal error: ${(e as Error)?.message ?? String(e)}`, { type: "server_error" }) };
}

export function errorToResponse(e: unknown): Response {
  const { status, body } = describeError(e);
  return Response.json(body, { status });
}
