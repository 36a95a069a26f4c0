/**
 * `ingot chat [-m model] [--system text] [-n N] [--json] [sampling, speculative flags]`: a multi-turn
 * chat with the model's chat template, the KV cache reused across turns. On a terminal it prompts
 * with @clack/prompts, streams answers, and Ctrl-C stops the current answer (Ctrl-C at the prompt
 * leaves). Without a terminal it reads one message per line from stdin and writes each answer to
 * stdout (with --json: one JSON object per answer line), so it can be scripted. Lines starting with
 * "/" are commands: /reset, /system <text>, /save <file>, /stats, /exit.
 */
import { intro, isCancel, log, outro, text } from "@clack/prompts";
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { ChatSession, ChatTurnStats } from "../../api/chat-session.ts";
import type { GenerateOptions, GenerationResult } from "../../api/generation.ts";
import { loadModel, type IngotModel } from "../../api/model.ts";
import type { Backend } from "../../engine/backend.ts";
import { IngotError } from "../../errors.ts";
import { tokensPerSecond } from "../../generate/generate.ts";
import { DEMO_MODEL } from "../../model/demo.ts";
import { addBackendOption, addSamplingOptions, intOption, type SamplingFlags, samplingFromFlags, threadsOption } from "../options.ts";
import { Progress } from "../progress.ts";

interface ChatFlags extends SamplingFlags {
  model?: string;
  threads?: number;
  ctx?: number;
  backend: Backend;
  nPredict: number;
  system?: string;
  json?: boolean;
  ignoreEos?: boolean;
  draft?: string;
  draftMax: number;
  lookup?: boolean;
}

export function registerChat(program: Command): void {
  const cmd = program
    .command("chat")
    .description("chat with a model using its chat template (one message per stdin line without a terminal); the demo model when no -m")
    .option("-m, --model <path>", "GGUF model (default: the embedded demo model)")
    .addOption(threadsOption())
    .option("-c, --ctx <n>", "context size in tokens (default: the model's)", intOption("--ctx", 1))
    .option("-n, --n-predict <n>", "most tokens per answer", intOption("-n", 1), 256)
    .option("--system <text>", "system prompt")
    .option("--ignore-eos", "keep generating after end-of-text tokens (answers end at -n)")
    .option("--json", "without a terminal: one JSON object per answer line ({ text, finish_reason, stats })")
    .option("--draft <path>", "speculative decoding with this draft model (same vocabulary as the target)")
    .option("--draft-max <k>", "most tokens drafted per step", intOption("--draft-max", 1, 64), 8)
    .option("--lookup", "speculative decoding with drafts looked up in the conversation");
  addBackendOption(addSamplingOptions(cmd)).action(async (flags: ChatFlags) => {
    const backend = flags.backend;
    const seed = flags.seed ?? Math.floor(Math.random() * 0xffffffff);
    const progress = new Progress("loading model");
    progress.update(undefined, flags.model ?? DEMO_MODEL);
    const model = await loadModel(flags.model ?? DEMO_MODEL, { backend, threads: flags.threads, contextLength: flags.ctx });
    let draft: IngotModel | undefined;
    try {
      draft = flags.draft ? await loadModel(flags.draft, { backend, threads: flags.threads, contextLength: flags.ctx }) : undefined;
      progress.done();
      if (model.chatTemplate === undefined) {
        throw new IngotError("TEMPLATE_MISSING", `${model.path} has no chat template (tokenizer.chat_template): use \`ingot generate\` for plain completion`);
      }
      using chat = model.createChatSession({ systemPrompt: flags.system, draftMax: flags.draftMax });
      const options: GenerateOptions = {
        ...samplingFromFlags(flags, seed), maxTokens: flags.nPredict, stop: flags.stop, ignoreEos: flags.ignoreEos,
        speculative: draft || flags.lookup ? { draft, lookup: flags.lookup } : undefined,
      };
      if (process.stdin.isTTY && process.stdout.isTTY) await interactive(chat, options);
      else await lines(chat, options, { json: flags.json ?? false, seed });
    } finally {
      progress.done();
      draft?.dispose();
      model.dispose();
    }
  });
}

type CommandOutcome = { exit: true } | { exit: false; message: string; data?: Record<string, unknown> };

/** Runs a slash command; null when `line` is a message. */
function slashCommand(chat: ChatSession, line: string): CommandOutcome | null {
  if (!line.startsWith("/")) return null;
  const space = line.indexOf(" ");
  const name = space < 0 ? line.slice(1) : line.slice(1, space);
  const arg = space < 0 ? "" : line.slice(space + 1).trim();
  switch (name) {
    case "exit":
    case "quit":
      return { exit: true };
    case "reset":
      chat.reset();
      return { exit: false, message: "conversation cleared" };
    case "system":
      chat.setSystemPrompt(arg || null);
      return { exit: false, message: arg ? "system prompt set" : "system prompt removed" };
    case "save": {
      if (!arg) throw new IngotError("BAD_ARGUMENT", "/save needs a file name: /save chat.json");
      writeFileSync(arg, `${JSON.stringify(chat.transcript(), null, 2)}\n`);
      return { exit: false, message: `saved ${chat.messages.length} messages to ${arg}` };
    }
    case "stats": {
      const data = statsJson(chat);
      return { exit: false, message: describeStats(chat), data };
    }
    default:
      throw new IngotError("BAD_ARGUMENT", `unknown command /${name}: use /reset, /system <text>, /save <file>, /stats or /exit`);
  }
}

function turnJson(t: ChatTurnStats) {
  return {
    prompt_tokens: t.promptTokens, reused_tokens: t.reusedTokens, prefill_tokens: t.prefillTokens, generated_tokens: t.generatedTokens,
    prefill_tokens_per_s: tokensPerSecond(t.prefillTokens, t.prefillMs), decode_tokens_per_s: tokensPerSecond(t.generatedTokens, t.decodeMs),
  };
}

function statsJson(chat: ChatSession): Record<string, unknown> {
  const sum = (k: keyof ChatTurnStats) => chat.turns.reduce((s, t) => s + t[k], 0);
  return {
    turns: chat.turns.length,
    messages: chat.messages.length,
    cached_tokens: chat.session.cachedTokens.length,
    context_length: chat.session.contextLength,
    prefill_tokens: sum("prefillTokens"),
    reused_tokens: sum("reusedTokens"),
    generated_tokens: sum("generatedTokens"),
    last_turn: chat.turns.length ? turnJson(chat.turns.at(-1)!) : null,
  };
}

function describeTurn(t: ChatTurnStats): string {
  return `${t.promptTokens} prompt tokens (${t.reusedTokens} from the cache, ${t.prefillTokens} prefilled at ` +
    `${tokensPerSecond(t.prefillTokens, t.prefillMs).toFixed(0)} tok/s), ${t.generatedTokens} generated at ${tokensPerSecond(t.generatedTokens, t.decodeMs).toFixed(0)} tok/s`;
}

function describeStats(chat: ChatSession): string {
  const s = statsJson(chat);
  const last = chat.turns.at(-1);
  return `${s.turns} turns, cache ${s.cached_tokens}/${s.context_length} tokens; prefilled ${s.prefill_tokens}, reused ${s.reused_tokens}, generated ${s.generated_tokens}` +
    (last ? `; last turn: ${describeTurn(last)}` : "");
}

function answerJson(r: GenerationResult, chat: ChatSession, seed: number) {
  const s = r.stats.speculative;
  return {
    text: r.text,
    finish_reason: r.finishReason,
    seed,
    stats: {
      ...turnJson(chat.turns.at(-1)!),
      ...(s ? { speculative: { drafter: s.drafter, drafted: s.drafted, accepted: s.accepted, acceptance_rate: s.acceptanceRate, steps: s.steps } } : {}),
    },
  };
}

/** Scriptable mode: one message or command per stdin line; answers (or JSON lines) on stdout. */
async function lines(chat: ChatSession, options: GenerateOptions, out: { json: boolean; seed: number }): Promise<void> {
  let failures = 0;
  for await (const raw of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    const line = raw.trim();
    if (!line) continue;
    try {
      const command = slashCommand(chat, line);
      if (command?.exit) break;
      if (command) {
        if (command.data) process.stdout.write(out.json ? `${JSON.stringify({ command: "stats", ...command.data })}\n` : `${command.message}\n`);
        else process.stderr.write(`${command.message}\n`);
        continue;
      }
      const generation = chat.prompt(line, options);
      for await (const chunk of generation) if (!out.json) process.stdout.write(chunk.text);
      const result = await generation.result;
      process.stdout.write(out.json ? `${JSON.stringify(answerJson(result, chat, out.seed))}\n` : "\n");
    } catch (e) {
      if (!(e instanceof IngotError)) throw e;
      failures++;
      process.stderr.write(`ingot: ${e.message}\n`);
    }
  }
  if (failures) throw new IngotError("BAD_INPUT", `${failures} input line(s) failed (see above)`);
}

/** Terminal mode: prompts, streamed answers, Ctrl-C stops an answer. */
async function interactive(chat: ChatSession, options: GenerateOptions): Promise<void> {
  intro(`ingot chat · ${chat.model.path} (${chat.model.backend}) · /reset /system <text> /save <file> /stats /exit · Ctrl-C stops an answer`);
  for (;;) {
    const input = await text({ message: "you", placeholder: "a message or /command" });
    if (isCancel(input)) break;
    const line = (input ?? "").trim();
    if (!line) continue;
    try {
      const command = slashCommand(chat, line);
      if (command?.exit) break;
      if (command) {
        log.info(command.message);
        continue;
      }
      await answer(chat, line, options);
    } catch (e) {
      if (!(e instanceof IngotError)) throw e;
      log.error(e.message);
    }
  }
  outro("bye");
}

async function answer(chat: ChatSession, line: string, options: GenerateOptions): Promise<void> {
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.on("SIGINT", onInterrupt);
  try {
    const generation = chat.prompt(line, { ...options, signal: stop.signal });
    for await (const chunk of generation) process.stdout.write(chunk.text);
    const result = await generation.result;
    const how = result.finishReason === "abort" ? "stopped · " : result.finishReason === "length" ? "token limit · " : "";
    process.stdout.write(`\n\x1b[2m${how}${describeTurn(chat.turns.at(-1)!)}\x1b[0m\n`);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}
