/**
 * An OpenAI-compatible HTTP server over one model: POST /v1/chat/completions and /v1/completions
 * (streaming or not), GET /v1/models, GET /health. Concurrent requests share the engine through the
 * scheduler's continuous batching; a client that disconnects cancels its generation.
 *
 *   const server = IngotServer.start(model, { port: 0, slots: 4 });
 *   console.log(server.url);      // http://127.0.0.1:<port>
 *   await server.stop();
 */
import { timingSafeEqual } from "node:crypto";
import { basename } from "node:path";
import type { Server } from "bun";
import { IngotError } from "../errors.ts";
import { PromptEncoder, type PromptSource } from "../scheduler/prompt.ts";
import { Scheduler, type SchedulableModel } from "../scheduler/scheduler.ts";
import { errorResponse, errorToResponse } from "./error-response.ts";
import { parseChatRequest, parseCompletionRequest, type CompletionParams } from "./params.ts";
import { completionBody, newResponseHeader, type CompletionKind } from "./responses.ts";
import { completionEvents, SSE_HEADERS } from "./sse.ts";

export type ServableModel = SchedulableModel & PromptSource & { readonly file: { readonly path?: string } };

export interface ServerOptions {
  /** Interface to listen on. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Model id clients must name (default: the model's file name without .gguf). */
  modelId?: string;
  /** When set, /v1/* requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Requests generating at once (KV slots). Default 4. */
  slots?: number;
  /** Positions per slot. Default: the model's training context. */
  contextLength?: number;
  /** Requests waiting for a slot before new ones get 503. Default 256. */
  maxQueue?: number;
  /** Largest request body accepted. Default 1 MiB. */
  maxBodyBytes?: number;
}

export class IngotServer {
  readonly modelId: string;
  readonly scheduler: Scheduler;
  private readonly prompts: PromptEncoder;
  private readonly vocabSize: number;
  private readonly apiKey: Buffer | null;
  private readonly maxBodyBytes: number;
  private readonly created = Math.floor(Date.now() / 1000);
  private server!: Server<undefined>;

  private constructor(model: ServableModel, opts: ServerOptions) {
    this.modelId = opts.modelId ?? basename(model.file.path ?? "model").replace(/\.gguf$/i, "");
    this.scheduler = new Scheduler(model, { slots: opts.slots, contextLength: opts.contextLength, maxQueue: opts.maxQueue ?? 256 });
    this.prompts = new PromptEncoder(model);
    this.vocabSize = model.tokenizer.vocabSize;
    this.apiKey = opts.apiKey ? Buffer.from(opts.apiKey) : null;
    this.maxBodyBytes = opts.maxBodyBytes ?? 1 << 20;
  }

  /** Starts listening; throws if the port is taken. */
  static start(model: ServableModel, opts: ServerOptions = {}): IngotServer {
    const s = new IngotServer(model, opts);
    const guarded = (handler: (req: Request, server: Server<undefined>) => Promise<Response> | Response) =>
      (req: Request, server: Server<undefined>) => s.guard(req, server, handler);
    try {
      s.server = Bun.serve({
        hostname: opts.host ?? "127.0.0.1",
        port: opts.port ?? 8080,
        // Bun answers a bare 413 beyond its own limit; up to twice ours, clients get an OpenAI-shaped 413.
        maxRequestBodySize: 2 * s.maxBodyBytes,
        routes: {
          "/health": { GET: () => Response.json({ status: "ok", model: s.modelId, slots: s.slotInfo() }) },
          "/v1/models": { GET: guarded(() => Response.json({ object: "list", data: [s.modelCard()] })) },
          "/v1/models/:id": {
            GET: guarded((req) => {
              const id = decodeURIComponent(new URL(req.url).pathname.slice("/v1/models/".length));
              return id === s.modelId ? Response.json(s.modelCard()) : s.unknownModel(id);
            }),
          },
          "/v1/chat/completions": { POST: guarded((req, server) => s.complete(req, server, "chat")) },
          "/v1/completions": { POST: guarded((req, server) => s.complete(req, server, "text")) },
        },
        fetch: () => errorResponse(404, "no such endpoint: see /v1/chat/completions, /v1/completions, /v1/models, /health", { code: "not_found" }),
        error: (e) => errorToResponse(e),
      });
    } catch (e) {
      void s.scheduler.close();
      throw new IngotError("BAD_ARGUMENT", `cannot listen on ${opts.host ?? "127.0.0.1"}:${opts.port ?? 8080}: ${(e as Error).message}`, { cause: e });
    }
    return s;
  }

  get url(): string {
    return this.server.url.toString().replace(/\/$/, "");
  }

  get port(): number {
    return this.server.port ?? 0;
  }

  /** Stops accepting connections, cancels running generations and frees the engine. */
  async stop(): Promise<void> {
    await this.server.stop(true);
    await this.scheduler.close();
  }

  private slotInfo() {
    return { total: this.scheduler.slots, active: this.scheduler.activeCount, queued: this.scheduler.queuedCount, ...this.scheduler.ended };
  }

  private modelCard() {
    return { id: this.modelId, object: "model", created: this.created, owned_by: "ingot" };
  }

  private unknownModel(id: string): Response {
    return errorResponse(404, `The model '${id}' does not exist: this server runs '${this.modelId}'`, { param: "model", code: "model_not_found" });
  }

  /** Authentication and error mapping shared by every /v1 route. */
  private async guard(req: Request, server: Server<undefined>, handler: (req: Request, server: Server<undefined>) => Promise<Response> | Response): Promise<Response> {
    if (this.apiKey && !this.authorized(req)) {
      return errorResponse(401, "Incorrect or missing API key: send 'Authorization: Bearer <key>'", { code: "invalid_api_key" });
    }
    try {
      return await handler(req, server);
    } catch (e) {
      return errorToResponse(e);
    }
  }

  private authorized(req: Request): boolean {
    const header = req.headers.get("authorization") ?? "";
    const given = Buffer.from(header.startsWith("Bearer ") ? header.slice(7) : "");
    return given.length === this.apiKey!.length && timingSafeEqual(given, this.apiKey!);
  }

  private async readBody(req: Request): Promise<unknown> {
    const declared = Number(req.headers.get("content-length") ?? 0);
    if (declared > this.maxBodyBytes) throw new BodyTooLarge(this.maxBodyBytes);
    const bytes = await req.arrayBuffer();
    if (bytes.byteLength > this.maxBodyBytes) throw new BodyTooLarge(this.maxBodyBytes);
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new BadJson((e as Error).message);
    }
  }

  private async complete(req: Request, server: Server<undefined>, kind: CompletionKind): Promise<Response> {
    let params: CompletionParams;
    try {
      const body = await this.readBody(req);
      params = kind === "chat" ? parseChatRequest(body, this.vocabSize) : parseCompletionRequest(body, this.vocabSize);
    } catch (e) {
      if (e instanceof BodyTooLarge) return errorResponse(413, e.message, { code: "request_too_large" });
      if (e instanceof BadJson) return errorResponse(400, `the request body is not valid JSON: ${e.message}`, { code: "invalid_json" });
      throw e;
    }
    if (params.model !== undefined && params.model !== this.modelId) return this.unknownModel(params.model);

    const prompt = this.prompts.encode(params.input);
    // No max_tokens: generate until end of text or a full context, as OpenAI does.
    const maxTokens = params.options.maxTokens ?? this.scheduler.contextLength;
    const seed = params.options.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
    const job = this.scheduler.submit({ ...params.options, maxTokens, seed, prompt, signal: req.signal });
    const chunks = params.stream ? job.chunks() : null;
    if (job.done) await job.result; // rejected at submission (too long, queue full): throws → 4xx/5xx
    server.timeout(req, 0); // a queued request may legitimately wait longer than the idle timeout

    const header = newResponseHeader(kind, this.modelId);
    if (chunks) {
      return new Response(completionEvents(job, chunks, header, params), { headers: SSE_HEADERS });
    }
    const result = await job.result;
    if (result.finishReason === "abort") return new Response(null, { status: 499 });
    return Response.json(completionBody(header, result, params.returnTokens));
  }
}

class BodyTooLarge extends Error {
  constructor(limit: number) {
    super(`the request body exceeds ${limit} bytes`);
  }
}

class BadJson extends Error {}
