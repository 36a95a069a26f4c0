/**
 * The foundation's CLI commands end to end: inspect, tokenize, prompt, and how errors are reported
 * (one line on stderr, non-zero exit, no stack trace unless --verbose).
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MODEL_TEST_TIMEOUT_MS } from "../timeouts.ts";
import { runCli } from "./run-cli.ts";

const repo = join(import.meta.dir, "..", "..");
const DEMO = join(repo, "models", "kjv-target-q4_k_m.gguf");
const fixtures = join(repo, "tests", "fixtures");
const tmp = mkdtempSync(join(tmpdir(), "ingot-cli-"));
const T = MODEL_TEST_TIMEOUT_MS;

describe("ingot inspect", () => {
  test("--json describes the demo target as the reference data documents it", async () => {
    const r = await runCli(["inspect", "--json", DEMO]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.architecture).toBe("llama");
    expect(d.contextLength).toBe(1024);
    expect(d.embeddingLength).toBe(512);
    expect(d.layers).toBe(6);
    expect(d.heads).toBe(8);
    expect(d.kvHeads).toBe(2);
    expect(d.feedForwardLength).toBe(1536);
    expect(d.vocabulary).toMatchObject({ model: "gpt2", pre: "gpt-2", size: 4096, addBos: false });
    expect(d.vocabulary.bos).toEqual({ id: 0, text: "<|endoftext|>" });
    // q4_k_m = 39 Q4_K + 5 Q6_K matrices, the rest F32 norms (REFERENCE.md).
    expect(d.tensorTypes.Q4_K.tensors).toBe(39);
    expect(d.tensorTypes.Q6_K.tensors).toBe(5);
    expect(d.chatTemplate).toContain("<|im_start|>");
    expect(d.parameters).toBeGreaterThan(20e6);
  }, T);

  test("human-readable output names the essentials", async () => {
    const r = await runCli(["inspect", DEMO]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/architecture\s+llama/);
    expect(r.stdout).toMatch(/Q4_K\s+39 tensors/);
  }, T);
});

describe("ingot tokenize", () => {
  test("--ids prints exactly Hugging Face's ids as a JSON array and nothing else", async () => {
    const ref = await Bun.file(join(fixtures, "reference", "hf-logits-kjv-target-f16.json")).json();
    const r = await runCli(["tokenize", "-m", DEMO, "--ids", "And the LORD said unto Moses,"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify(ref["And the LORD said unto Moses,"].ids)}\n`);
  }, T);

  test("--json gives the ids with the vocabulary's pieces", async () => {
    const ref = await Bun.file(join(fixtures, "reference", "hf-logits-kjv-target-f16.json")).json();
    const r = await runCli(["tokenize", "-m", DEMO, "--json", "Blessed are the"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ids).toEqual(ref["Blessed are the"].ids);
    // Byte-level BPE pieces spell the text with Ġ for spaces (GPT-2's byte-to-unicode map).
    expect(out.pieces.join("")).toBe("BlessedĠareĠthe");
  }, T);

  test("reads the text from stdin when no argument is given", async () => {
    const ref = await Bun.file(join(fixtures, "reference", "hf-logits-kjv-target-f16.json")).json();
    const r = await runCli(["tokenize", "-m", DEMO, "--ids"], "Blessed are the");
    expect(JSON.parse(r.stdout)).toEqual(ref["Blessed are the"].ids);
  }, T);

  test("--special matches control tokens written in the text", async () => {
    const plain = JSON.parse((await runCli(["tokenize", "-m", DEMO, "--ids", "<|im_start|>user"])).stdout);
    const special = JSON.parse((await runCli(["tokenize", "-m", DEMO, "--ids", "--special", "<|im_start|>user"])).stdout);
    expect(special[0]).toBe(1); // <|im_start|> is id 1 in the demo vocabulary
    expect(plain).not.toContain(1);
    expect(plain.length).toBeGreaterThan(special.length);
  }, T);

  test("works on a vocabulary-only file (llama.cpp's test vocabularies)", async () => {
    const r = await runCli(["tokenize", "-m", join(fixtures, "vocab", "ggml-vocab-llama-spm.gguf"), "--ids", "--no-bos", "Hello world"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([15043, 3186]);
  }, T);
});

describe("ingot prompt", () => {
  test("renders the model's own template exactly as Python jinja2 does", async () => {
    const ref = await Bun.file(join(fixtures, "templates", "demo-chatml-render.json")).json();
    const messages = join(tmp, "messages.json");
    writeFileSync(messages, JSON.stringify(ref.messages));
    const r = await runCli(["prompt", "-m", DEMO, "--messages", messages]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(ref.expected);
    const j = await runCli(["prompt", "-m", DEMO, "--messages", messages, "--json"]);
    expect(JSON.parse(j.stdout)).toEqual({ prompt: ref.expected });
  }, T);

  test("--template overrides the model's, with --bos/--eos and --no-generation-prompt", async () => {
    const cases = await Bun.file(join(fixtures, "templates", "expected-renders.json")).json();
    const c = cases.find((x: { template: string; case: string; context: { add_generation_prompt: boolean } }) => x.template.startsWith("meta-llama-Llama-3.1") && !x.context.add_generation_prompt);
    expect(c).toBeDefined();
    const messages = join(tmp, "llama-messages.json");
    writeFileSync(messages, JSON.stringify(c.context.messages));
    const r = await runCli([
      "prompt", "-m", DEMO, "--messages", messages, "--template", join(fixtures, "templates", c.template),
      "--no-generation-prompt", "--bos", c.context.bos_token, "--eos", c.context.eos_token,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(c.expected);
  }, T);
});

describe("errors", () => {
  test("a missing file: one line on stderr, exit 1, no stack trace", async () => {
    const r = await runCli(["inspect", join(tmp, "nope.gguf")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("nope.gguf");
    expect(r.stderr).not.toContain("    at ");
  }, T);

  test("a corrupt file names the problem; --verbose adds the stack", async () => {
    const bad = join(tmp, "bad.gguf");
    writeFileSync(bad, "GGUF\x03\x00\x00\x00garbage");
    const r = await runCli(["inspect", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ingot: .*(truncat|ends)/i);
    const v = await runCli(["inspect", bad, "--verbose"]);
    expect(v.stderr).toContain("    at ");
  }, T);

  test("a malformed messages file is a clear error", async () => {
    const messages = join(tmp, "bad.json");
    writeFileSync(messages, "{ not json");
    const r = await runCli(["prompt", "-m", DEMO, "--messages", messages]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not valid JSON");
  }, T);

  test("an unknown option exits non-zero", async () => {
    const r = await runCli(["tokenize", "-m", DEMO, "--bogus", "x"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("bogus");
  }, T);
});
