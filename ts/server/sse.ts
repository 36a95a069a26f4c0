/**
 * Server-sent events for a streaming completion: `data: {chunk}\n\n` per piece of text, a last chunk
 * with the finish reason (and usage when asked), then `data: [DONE]`. A failure mid-stream is sent as
 * an OpenAI error object before the stream closes. Cancelling the stream (client gone) cancels the job.
 */
import type { GenerationChunk } from "../generate/generate.ts";
import type { GenerationJob } from "../scheduler/job.ts";
import { describeError } from "./error-response.ts";
import { chunkBody, usageChunkBody, type ResponseHeader } from "./responses.ts";

const encoder = new TextEncoder();
const event = (data: unknown) => encoder.encode(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);

export const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" };

export function completionEvents(
  job: GenerationJob,
  chunks: AsyncIterableIterator<GenerationChunk>,
  h: ResponseHeader,
  opts: { includeUsage: boolean; returnTokens: boolean },
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        if (h.kind === "chat") controller.enqueue(event(chunkBody(h, { text: "", first: true }, null)));
        for await (const c of chunks) {
          controller.enqueue(event(chunkBody(h, { text: c.text, tokens: opts.returnTokens ? c.tokens : undefined }, null)));
        }
        const result = await job.result;
        if (result.finishReason === "abort") return controller.close();
        controller.enqueue(event(chunkBody(h, { text: "", tokens: opts.returnTokens ? [] : undefined }, result)));
        if (opts.includeUsage) controller.enqueue(event(usageChunkBody(h, result)));
        controller.enqueue(event("[DONE]"));
        controller.close();
      } catch (e) {
        if (job.signal.aborted) return; // the client went away; nobody to tell
        try {
          controller.enqueue(event(describeError(e).body));
          controller.close();
        } catch { /* stream already cancelled */ }
      }
    },
    cancel() {
      job.cancel();
    },
  });
}
