/**
 * The one error type ingot throws for anything a user can cause: bad files, bad flags, bad requests.
 * `code` is stable and machine-readable; `message` says what was wrong and, where it can, how to fix it.
 */
export type IngotErrorCode =
  | "GGUF_TRUNCATED"
  | "GGUF_BAD_MAGIC"
  | "GGUF_BAD_VERSION"
  | "GGUF_BAD_VALUE"
  | "GGUF_LIMIT"
  | "GGUF_UNKNOWN_TYPE"
  | "GGUF_BAD_TENSOR"
  | "GGUF_MISSING_KEY"
  | "FILE_NOT_FOUND"
  | "TOKENIZER_UNSUPPORTED"
  | "TOKENIZER_BAD_VOCAB"
  | "TEMPLATE_MISSING"
  | "TEMPLATE_ERROR"
  | "BAD_ARGUMENT"
  | "BAD_INPUT"
  | "MODEL_UNSUPPORTED"
  | "MODEL_BAD_METADATA"
  | "MODEL_MISMATCH"
  | "CONTEXT_OVERFLOW"
  | "NATIVE_ERROR"
  | "NATIVE_MISSING"
  | "ABORTED"
  | "QUEUE_FULL"
  | "DISPOSED"
  | "SESSION_BUSY"
  | "REMOTE_ERROR";

export class IngotError extends Error {
  readonly code: IngotErrorCode;

  constructor(code: IngotErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IngotError";
    this.code = code;
  }
}

export function isIngotError(e: unknown): e is IngotError {
  return e instanceof IngotError;
}
