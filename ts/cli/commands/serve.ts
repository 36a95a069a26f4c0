/**
 * `ingot serve [--host 127.0.0.1] [--port 8080] [-m model] [--parallel n] [--api-key key]`: an
 * OpenAI-compatible server (chat and text completions, streaming or not, /v1/models, /health) on
 * loopback unless told otherwise. Runs until interrupted.
 */
import type { Command } from "commander";
import { DEMO_MODEL } from "../../model/demo.ts";
import { Model } from "../../model/model.ts";
import { IngotServer } from "../../server/server.ts";
import type { Backend } from "../../engine/backend.ts";
import { addBackendOption, intOption, threadsOption } from "../options.ts";

interface ServeFlags {
  host: string;
  port: number;
  model?: string;
  parallel: number;
  ctx?: number;
  threads?: number;
  backend: Backend;
  apiKey?: string;
  maxBody: number;
  maxQueue: number;
  json?: boolean;
}

export function registerServe(program: Command): void {
  const cmd = program
    .command("serve")
    .description("serve a model over an OpenAI-compatible HTTP API (loopback by default)")
    .option("--host <address>", "interface to listen on; 0.0.0.0 exposes the server to the network", "127.0.0.1")
    .option("--port <n>", "TCP port (0 = any free port)", intOption("--port", 0, 65535), 8080)
    .option("-m, --model <path>", "GGUF model (default: the demo model); its id is the file name without .gguf")
    .option("-p, --parallel <n>", "requests generating at once (KV slots); more wait in a queue", intOption("--parallel", 1, 256), 4)
    .option("-c, --ctx <n>", "positions per request (default: the model's context)", intOption("--ctx", 1))
    .addOption(threadsOption())
    .option("--api-key <key>", "require 'Authorization: Bearer <key>' on /v1 routes (default: $INGOT_API_KEY, else none)")
    .option("--max-body <bytes>", "largest request body", intOption("--max-body", 1024), 1 << 20)
    .option("--max-queue <n>", "requests waiting for a slot before new ones get 503", intOption("--max-queue", 0), 256)
    .option("--json", "print the listening address as one JSON line");
  addBackendOption(cmd).action(async (flags: ServeFlags) => {
    const model = Model.load(flags.model ?? DEMO_MODEL, { threads: flags.threads, backend: flags.backend });
    const apiKey = flags.apiKey ?? process.env.INGOT_API_KEY;
    const server = IngotServer.start(model, {
      host: flags.host, port: flags.port, apiKey, slots: flags.parallel, contextLength: flags.ctx,
      maxBodyBytes: flags.maxBody, maxQueue: flags.maxQueue,
    });
    const info = { url: server.url, model: server.modelId, parallel: server.scheduler.slots, context: server.scheduler.contextLength, api_key: Boolean(apiKey) };
    if (flags.json) process.stdout.write(`${JSON.stringify(info)}\n`);
    else process.stderr.write(`ingot: serving ${info.model} at ${info.url} (${info.parallel} slots of ${info.context} tokens${apiKey ? ", API key required" : ""}); Ctrl-C stops\n`);
    if (!isLoopback(flags.host) && !apiKey) process.stderr.write("ingot: warning: listening beyond loopback without --api-key: anyone who can reach this port can use it\n");
    await untilInterrupted();
    await server.stop();
  });
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}

