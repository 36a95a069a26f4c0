/**
 * Runs batch items on an OpenAI-compatible server (ingot serve, llama.cpp's server, vLLM, ...): each
 * item becomes one non-streaming /v1/chat/completions or /v1/completions request carrying the line's
 * fields. Connection failures, 429 and 5xx answers are retried with backoff; other failures become
 * the item's error record. Generated token ids are asked for with `return_tokens` (ingot serve and
 * llama.cpp honour it); servers that do not return them give records with `tokens: null`.
 */
import { IngotError } from "../errors.ts";
import type { BatchItem } from "./items.ts";
import type { SuccessRecord } from "./records.ts";
import type { BatchExecutor } from "./runner.ts";

export interface RemoteExecutorOptions {
  /** Base URL, with or without a trailing /v1 (e.g. http://127.0.0.1:8080). */
  endpoint: string;
  /** Model id sent with every request (default: the first one GET /v1/models lists). */
  model?: string;
  apiKey?: string;
  /** Requests in flight. Default 4. */
  parallel?: number;
  /** Retries after a connection failure, 429 or 5xx. Default 3. */
  retries?: number;
  /** Per-request timeout. Default 10 minutes. */
  timeoutMs?: number;
}

type Json = Record<string, unknown>;

export class RemoteExecutor implements BatchExecutor {
  readonly concurrency: number;
  private readonly base: string;
  private model: Promise<string> | null;

  constructor(private readonly opts: RemoteExecutorOptions) {
    let url: URL;
    try {
      url = new URL(opts.endpoint);
    } catch {
      throw new IngotError("BAD_ARGUMENT", `--endpoint must be a URL such as http://127.0.0.1:8080, got '${opts.endpoint}'`);
    }
    this.base = url.toString().replace(/\/+$/, "").replace(/\/v1$/, "");
    this.model = opts.model ? Promise.resolve(opts.model) : null;
    this.concurrency = opts.parallel ?? 4;
  }

  /** Asks the server which model it serves, unless one was given. */
  resolveModel(): Promise<string> {
    this.model ??= this.request("GET", "/v1/models", undefined, AbortSignal.timeout(30_000)).then((body) => {
      const first = Array.isArray(body.data) ? (body.data[0] as Json | undefined)?.id : undefined;
      if (typeof first !== "string") throw new IngotError("REMOTE_ERROR", `${this.base}/v1/models lists no model: pass the model id with -m`);
      return first;
    }).catch((e: unknown) => {
      this.model = null; // ask again for the next item
      throw e;
    });
    return this.model;
  }

  async run(item: BatchItem, signal: AbortSignal): Promise<SuccessRecord> {
    const model = await this.resolveModel();
    const chat = "messages" in item.input;
    const body = { ...item.fields, ...item.input, model, stream: false, return_tokens: true };
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 600_000);
    const res = await this.request("POST", chat ? "/v1/chat/completions" : "/v1/completions", body, AbortSignal.any([signal, timeout]));
    const choice = Array.isArray(res.choices) ? (res.choices[0] as Json | undefined) : undefined;
    const text = chat ? (choice?.message as Json | undefined)?.content : choice?.text;
    if (!choice || typeof text !== "string") throw new IngotError("REMOTE_ERROR", "the server's answer has no choices[0] text");
    const usage = (res.usage ?? {}) as Json;
    const promptTokens = Number(usage.prompt_tokens ?? 0), completionTokens = Number(usage.completion_tokens ?? 0);
    const tokens = Array.isArray(choice.tokens) ? (choice.tokens as number[]) : null;
    return {
      id: item.id, text, tokens,
      finish_reason: String(choice.finish_reason ?? "stop"),
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: Number(usage.total_tokens ?? promptTokens + completionTokens) },
      seed: item.options.seed,
    };
  }

  async close(): Promise<void> {}

  /** One JSON request with retries; throws REMOTE_ERROR with the server's own message. */
  private async request(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Json> {
    const retries = this.opts.retries ?? 3;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      } catch (e) {
        if (signal.aborted) {
          const reason = signal.reason instanceof DOMException && signal.reason.name === "TimeoutError" ? "timed out" : "was aborted";
          throw new IngotError(reason === "timed out" ? "REMOTE_ERROR" : "ABORTED", `the request to ${this.base}${path} ${reason}`);
        }
        if (attempt < retries) {
          await backoff(attempt, signal);
          continue;
        }
        throw new IngotError("REMOTE_ERROR", `cannot reach ${this.base}${path}: ${(e as Error).message}`);
      }
      const text = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(text) as Json;
        } catch {
          throw new IngotError("REMOTE_ERROR", `${this.base}${path} answered with something that is not JSON`);
        }
      }
      if ((res.status === 429 || res.status >= 500) && attempt < retries) {
        await backoff(attempt, signal);
        continue;
      }
      throw new IngotError("REMOTE_ERROR", `${this.base}${path} answered ${res.status}: ${serverMessage(text)}`);
    }
  }
}

function serverMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === "string") return message;
  } catch { /* not JSON */ }
  return text.slice(0, 200) || "(empty body)";
}

async function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 500 * 2 ** attempt);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}
