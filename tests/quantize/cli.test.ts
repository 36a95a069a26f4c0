/** `ingot quantize` as a user runs it: the JSON summary, and one error line with a non-zero exit. */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { GgufFile } from "../../ts/gguf/index.ts";
import { DRAFT_F16, scratch } from "./helpers.ts";
import { useModelTestTimeout } from "../timeouts.ts";

useModelTestTimeout();

const MAIN = join(import.meta.dir, "../../ts/cli/main.ts");

function ingot(...args: string[]) {
  const r = Bun.spawnSync(["bun", MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("ingot quantize", () => {
  test("--json prints the summary, and no progress when stderr is not a terminal", () => {
    const out = join(scratch, "cli-draft-q4_k_m.gguf");
    const r = ingot("quantize", DRAFT_F16, out, "q4_k_m", "--json");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const s = JSON.parse(r.stdout);
    expect(s.fileType).toBe("Q4_K_M");
    expect(s.fileTypeId).toBe(15);
    // 2 layers: use_more_bits picks layer 1 for attn_v and ffn_down; plus output.weight
    expect(s.tensorTypes).toEqual({ Q6_K: 3, Q4_K: 13, F32: 5 });
    expect(s.inputBytes).toBe(Bun.file(DRAFT_F16).size);
    expect(s.outputBytes).toBe(Bun.file(out).size);
    expect(s.seconds).toBeGreaterThan(0);
    expect(GgufFile.open(out).getNumber("general.file_type")).toBe(15);
  });

  test("an error is one line on stderr, exit code 1, no output file", () => {
    const out = join(scratch, "cli-bad.gguf");
    const r = ingot("quantize", DRAFT_F16, out, "Q7");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toStartWith("ingot: unknown quantization type 'Q7'");
    expect(existsSync(out)).toBe(false);
  });
});
