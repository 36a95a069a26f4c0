/**
 * `ingot chat` as a user runs it. Without a terminal: one message per stdin line, answers (or JSON
 * lines) on stdout, slash commands, KV reuse visible in the prefill counts, answers equal to the
 * library's ChatSession (itself checked against llama.cpp in tests/api). On a terminal (tmux):
 * Ctrl-C stops an answer and the chat goes on.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_MODEL, loadModel } from "../../ts/index.ts";
import { tinySyntheticModel } from "../api/reference.ts";
import { runCli } from "../cli/run-cli.ts";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { Tmux } from "./tmux.ts";

const T = MODEL_TEST_TIMEOUT_MS;
const tmp = mkdtempSync(join(tmpdir(), "ingot-chat-"));
const GREEDY = ["--temp", "0", "-n", "12", "-t", "1"];

interface AnswerLine {
  text: string;
  finish_reason: string;
  stats: { prompt_tokens: number; reused_tokens: number; prefill_tokens: number; generated_tokens: number };
}

describe("ingot chat without a terminal", () => {
  test("--json: answers, /stats, /system, /save, /reset, /exit, with reuse counted", async () => {
    const transcript = join(tmp, "chat.json");
    const input = [
      "Who made the heaven?", "And the earth?", "/stats", "/system Speak of the law.", "What is written?",
      `/save ${transcript}`, "/reset", "Who made the heaven?", "/stats", "/exit", "never answered",
    ].join("\n");
    const r = await runCli(["chat", "--json", ...GREEDY], `${input}\n`);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const answers = lines.filter((l) => !("command" in l)) as AnswerLine[];
    const stats = lines.filter((l) => l.command === "stats");
    expect(answers).toHaveLength(4);
    expect(stats).toHaveLength(2);
    const [a1, a2, a3, a4] = answers as [AnswerLine, AnswerLine, AnswerLine, AnswerLine];

    // Turn 2 reuses all of turn 1 that is cached: its prompt and all of its answer but the last token.
    expect(a1.stats.reused_tokens).toBe(0);
    expect(a2.stats.reused_tokens).toBe(a1.stats.prompt_tokens + a1.stats.generated_tokens - 1);
    expect(a2.stats.prefill_tokens).toBe(a2.stats.prompt_tokens - a2.stats.reused_tokens);
    expect(stats[0]).toMatchObject({
      turns: 2, messages: 4, cached_tokens: a2.stats.prompt_tokens + a2.stats.generated_tokens - 1, context_length: 1024,
      prefill_tokens: a1.stats.prefill_tokens + a2.stats.prefill_tokens, generated_tokens: 24,
    });
    // A system prompt now comes first where the user turn was: only the shared "<|im_start|>" is reusable.
    expect(a3.stats.reused_tokens).toBe(1);
    // After /reset the conversation starts again; the cache still holds the system prompt's turn.
    expect(a4.stats.reused_tokens).toBeGreaterThan(0);
    expect(stats[1]).toMatchObject({ turns: 1, messages: 2 });

    const saved = JSON.parse(readFileSync(transcript, "utf8"));
    expect(saved.systemPrompt).toBe("Speak of the law.");
    expect(saved.messages.map((m: { content: string }) => m.content)).toEqual([
      "Who made the heaven?", a1.text, "And the earth?", a2.text, "What is written?", a3.text,
    ]);
    expect(saved.turns).toHaveLength(3);
    expect(r.stderr).toContain("system prompt set");
    expect(r.stderr).toContain("conversation cleared");

    // The same conversation through the library gives the same answers.
    using model = await loadModel(DEMO_MODEL, { threads: 1 });
    using chat = model.createChatSession();
    expect((await chat.prompt("Who made the heaven?", { temperature: 0, maxTokens: 12 }).result).text).toBe(a1.text);
    expect((await chat.prompt("And the earth?", { temperature: 0, maxTokens: 12 }).result).text).toBe(a2.text);
  }, T);

  test("plain output: each answer then a newline on stdout; --system applies from the first turn", async () => {
    const json = await runCli(["chat", "--json", "--system", "Be brief.", ...GREEDY], "Hello\n");
    const expected = (JSON.parse(json.stdout) as AnswerLine).text;
    const plain = await runCli(["chat", "--system", "Be brief.", ...GREEDY], "Hello\n");
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(`${expected}\n`);
  }, T);

  test("a bad line is reported and the rest still runs; the exit code says something failed", async () => {
    const r = await runCli(["chat", "--json", ...GREEDY], "/frobnicate\n/save\nHello\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command /frobnicate");
    expect(r.stderr).toContain("/save needs a file name");
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  }, T);

  test("a model without a chat template is refused before reading any input", async () => {
    const r = await runCli(["chat", "-m", tinySyntheticModel()], "Hello\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has no chat template");
    expect(r.stdout).toBe("");
  }, T);

  test("speculative flags decode the same greedy answer", async () => {
    const plain = await runCli(["chat", "--json", ...GREEDY], "Hello\n");
    const spec = await runCli(["chat", "--json", "--draft", DEMO_MODEL.replace("target-q4_k_m", "draft-q8_0"), "--lookup", ...GREEDY], "Hello\n");
    expect(spec.code).toBe(0);
    const s = JSON.parse(spec.stdout);
    expect(s.text).toBe(JSON.parse(plain.stdout).text);
    expect(s.stats.speculative.drafter).toBe("model+lookup");
  }, T);
});

describe.if(Tmux.available())("ingot chat on a terminal (tmux)", () => {
  test("Ctrl-C stops the current answer without leaving; /stats and /exit work", async () => {
    await using tmux = await Tmux.start(["bun", join(import.meta.dir, "..", "..", "ts", "cli", "main.ts"), "chat", "--temp", "0", "-n", "1000", "--ignore-eos", "-t", "1"]);
    await tmux.waitFor(/◆ {2}you/);
    await tmux.type("Hello there");
    // Wait for the first words of the answer, then interrupt while it streams (1000 tokens take seconds).
    await tmux.waitFor(/│ {2}Hello there\n\S/);
    tmux.key("C-c");
    const stopped = await tmux.waitFor(/stopped · \d+ prompt tokens \(0 from the cache, \d+ prefilled at \d+ tok\/s\), (\d+) generated/);
    expect(Number(stopped[1])).toBeGreaterThan(0);
    expect(Number(stopped[1])).toBeLessThan(1000);
    await tmux.waitFor(/stopped[\s\S]*◆ {2}you/);
    await tmux.type("/stats");
    await tmux.waitFor(new RegExp(`1 turns, cache \\d+/1024 tokens; prefilled \\d+, reused 0, generated ${stopped[1]}`));
    await tmux.type("/exit");
    await tmux.waitFor(/EXITED rc=0/);
  }, T);
});
